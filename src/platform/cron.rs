//! The every-minute cron trigger: re-arms the coordinator's alarm if it is missing, rolls up
//! finished hours, prunes raw rows past retention. (Being written.)

use worker::{Env, Result};

pub async fn run(env: &Env, _scheduled_at: i64) -> Result<()> {
    crate::platform::coordinator::ensure_alarm(env).await
}
