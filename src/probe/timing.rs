//! Deadlines for the probes: race any future against the time left until a deadline, and
//! measure elapsed milliseconds with the platform's one clock (`Instant` panics on wasm32).
//! Nothing here classifies anything.

use std::future::Future;
use std::time::Duration;

use futures::future::{select, Either};
use worker::Delay;

use crate::env;
use edgeprobe_core::time::{Millis, UnixMillis};

/// Milliseconds since `start` (never negative).
pub fn since(start: UnixMillis) -> Millis {
    (env::now() - start).max(0) as Millis
}

/// An absolute deadline on the platform clock.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub UnixMillis);

impl Deadline {
    pub fn after(start: UnixMillis, timeout_ms: Millis) -> Deadline {
        Deadline(start + timeout_ms as i64)
    }

    pub fn remaining_ms(self) -> u64 {
        (self.0 - env::now()).max(0) as u64
    }

    /// `Some(output)` when `fut` finished before the deadline, `None` when the timer won.
    /// The loser is dropped, so a timed-out step can never hold the probe.
    pub async fn race<F: Future>(self, fut: F) -> Option<F::Output> {
        let left = self.remaining_ms();
        if left == 0 {
            return None;
        }
        let fut = std::pin::pin!(fut);
        let timer = std::pin::pin!(Delay::from(Duration::from_millis(left)));
        match select(fut, timer).await {
            Either::Left((out, _)) => Some(out),
            Either::Right(_) => None,
        }
    }
}
