//! The dispatcher: one Durable Object that delivers the outbox (D1 `deliveries`) to channels,
//! with retries, driven by its own alarm so sending never blocks probing. (Being written.)

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

/// Asks the dispatcher to look at the outbox now (fire and forget from the caller's view).
pub async fn kick(env: &Env) -> Result<()> {
    let stub = env.durable_object("DISPATCHER")?.get_by_name("dispatcher")?;
    stub.fetch_with_str("https://dispatcher/kick").await?;
    Ok(())
}

#[durable_object]
pub struct Dispatcher {
    _state: State,
    _env: Env,
}

impl DurableObject for Dispatcher {
    fn new(state: State, env: Env) -> Self {
        Self { _state: state, _env: env }
    }

    async fn fetch(&self, _req: Request) -> Result<Response> {
        Response::ok("ok")
    }
}
