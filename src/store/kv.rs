//! KV: the current status document per monitor (`status:{monitor_id}`), read by the status
//! page, badges and the API without touching D1.

use worker::{Env, Result};

use edgeprobe_core::status::CurrentStatus;

fn key(monitor_id: &str) -> String {
    format!("status:{monitor_id}")
}

pub async fn put_status(env: &Env, status: &CurrentStatus) -> Result<()> {
    let kv = env.kv("STATUS")?;
    let text = super::to_json(status)?;
    kv.put(&key(&status.monitor_id), text)?.execute().await?;
    Ok(())
}

pub async fn get_status(env: &Env, monitor_id: &str) -> Result<Option<CurrentStatus>> {
    let kv = env.kv("STATUS")?;
    match kv.get(&key(monitor_id)).text().await? {
        Some(text) => Ok(Some(super::from_json(&text)?)),
        None => Ok(None),
    }
}

pub async fn delete_status(env: &Env, monitor_id: &str) -> Result<()> {
    env.kv("STATUS")?.delete(&key(monitor_id)).await?;
    Ok(())
}
