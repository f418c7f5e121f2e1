//! The every-minute cron trigger. Rounds are driven by the coordinator's alarm; the cron is
//! the safety net and the housekeeper:
//! 1. re-syncs the coordinator's schedule with D1 and re-arms its alarm if missing;
//! 2. kicks the dispatcher, so a lost kick never strands an alert in the outbox;
//! 3. copies finished hours from `hour_stats` into hourly rollups and those into daily ones
//!    (core::rollup);
//! 4. prunes raw rows and rollups past retention (core::rollup::retention), in bounded
//!    batches;
//! 5. rebuilds the public documents the status pages and badges read (`publish`), after the
//!    rollups so a just-finished hour is in them.
//!
//! Each step runs even if an earlier one failed; failures are logged and retried next minute.

use worker::{Env, Result};

use crate::{coordinator, dispatcher, env, publish, store};
use edgeprobe_core::rollup::{self, retention, Granularity};

/// Rows one retention delete removes per table and cron run (a backlog drains over several
/// minutes instead of one huge write).
pub const PRUNE_BATCH: u32 = 1_000;
use edgeprobe_core::time::{DAY, HOUR};

pub async fn run(env: &Env, _scheduled_at: i64) -> Result<()> {
    let mut first_error = None;
    let steps: [(&str, Result<()>); 4] = [
        ("coordinator", coordinator::ensure_alarm(env).await),
        ("dispatcher", dispatcher::kick(env).await),
        ("rollups", roll_and_prune(env).await),
        ("pages", publish_pages(env).await),
    ];
    for (what, result) in steps {
        if let Err(e) = result {
            worker::console_error!("cron {what}: {e}");
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

async fn roll_and_prune(env: &Env) -> Result<()> {
    let db = store::db(env)?;
    let now = env::now();
    let config = env::Config::from_env(env);
    let last = store::rollups::last_rolled_hour(&db).await?;
    let hours = retention::hours_to_roll(last, now);
    for &hour in &hours {
        // Rounds keep their hour's row up to date (store::hours); a finished hour is copied
        // into `rollups` as is.
        let hourly = store::hours::hourly_between(&db, hour, hour + HOUR).await?;
        store::rollups::upsert(&db, &hourly).await?;
        // The day's rollup is rebuilt from all of its hours, so re-running is idempotent.
        let day = Granularity::Day.bucket_start(hour);
        let day_hours = store::rollups::hourly_between(&db, day, day + DAY).await?;
        store::rollups::upsert(&db, &rollup::roll_hours_into_days(&day_hours)).await?;
        store::rollups::set_last_rolled_hour(&db, hour).await?;
    }
    let policy = retention::Retention {
        raw_days: config.retention_raw_days,
        ..retention::Retention::default()
    };
    let cut = retention::cutoffs(&policy, now);
    let last = store::rollups::last_rolled_hour(&db).await?;
    if let Some(last) = last {
        // Rolled hours stay an hour longer than needed (a late round's interrupted-marker
        // check reads them), then go.
        store::hours::prune(&db, last - HOUR, PRUNE_BATCH).await?;
    }
    store::rollups::prune(
        &db,
        retention::raw_prune_before(&cut, last),
        cut.hourly_before,
        cut.daily_before,
    )
    .await
}

async fn publish_pages(env: &Env) -> Result<()> {
    let r = publish::rebuild(env, env::now()).await?;
    worker::console_log!(
        "pages: {} written, {} unchanged, {} deleted{}",
        r.written,
        r.unchanged,
        r.deleted,
        if r.skipped {
            " (skipped: another rebuild holds the lease)"
        } else {
            ""
        }
    );
    Ok(())
}
