//! The worker's own operation counters: what running rounds cost in platform operations (D1
//! queries and rows, KV reads and writes, Durable Object requests, alarms) and how the
//! schedule kept up (slots due, run, missed; start lateness). `make bench-capacity` reads them
//! through `GET /api/v1/metrics` and divides them by what it measured from outside.
//!
//! Pure data: the coordinator keeps one [`Meter`] in its object storage (key `meter`, loaded
//! and saved at most once per alarm or request, never per monitor) and calls the one-line
//! increments below where the operations happen. Nothing here reads a clock or does I/O:
//! lateness is handed in as milliseconds already computed by the caller.
//!
//! Lateness is kept in a fixed-size histogram (exact below 1 s, then buckets that grow by
//! about 10 % each, up to ~35 min; above that the last bucket), so the stored meter has a
//! bounded size whatever the number of rounds, and quantiles are exact to within one bucket.
//! The maximum is kept exactly.

use serde::{Deserialize, Serialize};

/// Lateness under this many milliseconds is counted per 10 ms bucket (exact enough).
const LINEAR_LIMIT_MS: u64 = 1_000;
const LINEAR_STEP_MS: u64 = 10;
/// Number of linear buckets (0..1 s by 10 ms).
const LINEAR_BUCKETS: usize = (LINEAR_LIMIT_MS / LINEAR_STEP_MS) as usize;
/// Geometric buckets above 1 s, each ~10 % wider than the last: 80 of them reach ~35 min.
const GEOMETRIC_BUCKETS: usize = 80;
const GROWTH: f64 = 1.1;
/// Total histogram size (fixed: the stored meter never grows with the number of rounds).
pub const LATENCY_BUCKETS: usize = LINEAR_BUCKETS + GEOMETRIC_BUCKETS;

/// Counters since the meter was created or reset. Every field is a running total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Meter {
    /// Scheduled slots whose time came (run or missed).
    pub slots_due: u64,
    /// Scheduled slots whose round was started.
    pub slots_run: u64,
    /// Scheduled slots recorded as `missed` (skipped by a late alarm or interrupted).
    pub slots_missed: u64,
    /// Rounds of any kind whose rows were written.
    pub rounds_recorded: u64,
    /// D1 statements sent (a batch of n statements counts n).
    pub d1_queries: u64,
    /// D1 `meta.rows_written` summed over results that report it (indexes included).
    pub d1_rows_written: u64,
    /// D1 `meta.rows_read` summed over results that report it.
    pub d1_rows_read: u64,
    /// KV puts and deletes.
    pub kv_writes: u64,
    /// KV gets.
    pub kv_reads: u64,
    /// Requests this object sent to other Durable Objects (region objects, dispatcher).
    pub do_requests_sent: u64,
    /// Alarm invocations.
    pub alarms: u64,
    /// Writes to the coordinator's own Durable Object storage (puts, deletes, alarm sets):
    /// metered as rows written on SQLite-backed objects.
    pub do_storage_writes: u64,
    /// Start lateness of scheduled rounds (start time minus scheduled time).
    pub lateness: Lateness,
}

/// A bounded histogram of lateness in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Lateness {
    /// Counts per bucket (see [`bucket_of`]); stored sparse-free as a fixed-length vector.
    pub buckets: Vec<u64>,
    pub count: u64,
    pub max_ms: u64,
}

impl Default for Lateness {
    fn default() -> Self {
        Lateness {
            buckets: vec![0; LATENCY_BUCKETS],
            count: 0,
            max_ms: 0,
        }
    }
}

/// The bucket a lateness falls in.
fn bucket_of(ms: u64) -> usize {
    if ms < LINEAR_LIMIT_MS {
        return (ms / LINEAR_STEP_MS) as usize;
    }
    let k = ((ms as f64 / LINEAR_LIMIT_MS as f64).ln() / GROWTH.ln()).floor() as usize;
    LINEAR_BUCKETS + k.min(GEOMETRIC_BUCKETS - 1)
}

/// The upper edge of a bucket, in milliseconds (what a quantile reports: never optimistic).
fn bucket_upper_ms(i: usize) -> u64 {
    if i < LINEAR_BUCKETS {
        return (i as u64 + 1) * LINEAR_STEP_MS;
    }
    let k = (i - LINEAR_BUCKETS) as i32 + 1;
    (LINEAR_LIMIT_MS as f64 * GROWTH.powi(k)).ceil() as u64
}

impl Lateness {
    pub fn record(&mut self, ms: u64) {
        if self.buckets.len() != LATENCY_BUCKETS {
            // A meter stored by another build: start its histogram afresh, keep the counters.
            self.buckets = vec![0; LATENCY_BUCKETS];
        }
        self.buckets[bucket_of(ms)] += 1;
        self.count += 1;
        self.max_ms = self.max_ms.max(ms);
    }

    /// The `q` quantile (0..=1) in milliseconds, to within one bucket (its upper edge, capped
    /// at the exact maximum); `None` when nothing was recorded.
    pub fn quantile_ms(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((self.count as f64) * q.clamp(0.0, 1.0)).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                // The last bucket is open-ended: its honest upper edge is the maximum.
                if i == LATENCY_BUCKETS - 1 {
                    return Some(self.max_ms);
                }
                return Some(bucket_upper_ms(i).min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }

    fn merge(&mut self, other: &Lateness) {
        if self.buckets.len() != LATENCY_BUCKETS {
            self.buckets = vec![0; LATENCY_BUCKETS];
        }
        for (i, n) in other.buckets.iter().enumerate().take(LATENCY_BUCKETS) {
            self.buckets[i] += n;
        }
        self.count += other.count;
        self.max_ms = self.max_ms.max(other.max_ms);
    }
}

impl Meter {
    /// One D1 call: `queries` statements, and the rows its results' meta reported.
    pub fn d1(&mut self, queries: u64, rows_read: u64, rows_written: u64) {
        self.d1_queries += queries;
        self.d1_rows_read += rows_read;
        self.d1_rows_written += rows_written;
    }

    /// A scheduled round started `ms` after its slot (negative lateness counts as 0).
    pub fn lateness(&mut self, ms: i64) {
        self.lateness.record(ms.max(0) as u64);
    }

    /// Adds another meter's counts (e.g. a meter kept by another object or shard).
    pub fn merge(&mut self, other: &Meter) {
        self.slots_due += other.slots_due;
        self.slots_run += other.slots_run;
        self.slots_missed += other.slots_missed;
        self.rounds_recorded += other.rounds_recorded;
        self.d1_queries += other.d1_queries;
        self.d1_rows_written += other.d1_rows_written;
        self.d1_rows_read += other.d1_rows_read;
        self.kv_writes += other.kv_writes;
        self.kv_reads += other.kv_reads;
        self.do_requests_sent += other.do_requests_sent;
        self.alarms += other.alarms;
        self.do_storage_writes += other.do_storage_writes;
        self.lateness.merge(&other.lateness);
    }

    /// The view `GET /api/v1/metrics` answers.
    pub fn report(&self) -> Report {
        Report {
            slots_due: self.slots_due,
            slots_run: self.slots_run,
            slots_missed: self.slots_missed,
            rounds_recorded: self.rounds_recorded,
            d1_queries: self.d1_queries,
            d1_rows_written: self.d1_rows_written,
            d1_rows_read: self.d1_rows_read,
            kv_writes: self.kv_writes,
            kv_reads: self.kv_reads,
            do_requests_sent: self.do_requests_sent,
            alarms: self.alarms,
            do_storage_writes: self.do_storage_writes,
            lateness_samples: self.lateness.count,
            lateness_p50_ms: self.lateness.quantile_ms(0.50),
            lateness_p95_ms: self.lateness.quantile_ms(0.95),
            lateness_max_ms: (self.lateness.count > 0).then_some(self.lateness.max_ms),
        }
    }
}

/// The counters with lateness as quantiles instead of a histogram (the API's answer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "MeterReport")]
pub struct Report {
    pub slots_due: u64,
    pub slots_run: u64,
    pub slots_missed: u64,
    pub rounds_recorded: u64,
    pub d1_queries: u64,
    pub d1_rows_written: u64,
    pub d1_rows_read: u64,
    pub kv_writes: u64,
    pub kv_reads: u64,
    pub do_requests_sent: u64,
    pub alarms: u64,
    #[serde(default)]
    pub do_storage_writes: u64,
    pub lateness_samples: u64,
    pub lateness_p50_ms: Option<u64>,
    pub lateness_p95_ms: Option<u64>,
    pub lateness_max_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up() {
        let mut m = Meter::default();
        m.d1(3, 10, 5);
        m.d1(1, 2, 0);
        m.kv_writes += 1;
        let r = m.report();
        assert_eq!(
            (r.d1_queries, r.d1_rows_read, r.d1_rows_written),
            (4, 12, 5)
        );
        assert_eq!(r.kv_writes, 1);
        assert_eq!(r.lateness_p50_ms, None, "no samples, no quantile");
    }

    #[test]
    fn quantiles_are_within_one_bucket() {
        let mut m = Meter::default();
        for ms in 1..=100 {
            m.lateness(ms * 10); // 10 ms .. 1000 ms
        }
        let r = m.report();
        assert_eq!(r.lateness_samples, 100);
        let p50 = r.lateness_p50_ms.unwrap();
        assert!((500..=510).contains(&p50), "p50 {p50}");
        let p95 = r.lateness_p95_ms.unwrap();
        assert!((950..=960).contains(&p95), "p95 {p95}");
        assert_eq!(r.lateness_max_ms, Some(1000));
    }

    #[test]
    fn large_lateness_is_bounded_and_max_is_exact() {
        let mut m = Meter::default();
        for ms in [5_000i64, 30_000, 600_000, 86_400_000, -20] {
            m.lateness(ms);
        }
        assert_eq!(m.lateness.buckets.len(), LATENCY_BUCKETS);
        let r = m.report();
        assert_eq!(r.lateness_max_ms, Some(86_400_000));
        // Sorted: 0, 5 s, 30 s, 600 s, 1 day; p50 is 30 s within 10 %.
        let p50 = r.lateness_p50_ms.unwrap();
        assert!((30_000..=33_000).contains(&p50), "p50 {p50}");
        assert_eq!(r.lateness_p95_ms, Some(86_400_000));
    }

    #[test]
    fn every_bucket_upper_edge_is_above_its_values() {
        for ms in (0..3_000_000).step_by(997) {
            let b = bucket_of(ms);
            assert!(b < LATENCY_BUCKETS);
            if b < LATENCY_BUCKETS - 1 {
                assert!(bucket_upper_ms(b) >= ms, "{ms} in bucket {b}");
            }
        }
    }

    #[test]
    fn merge_adds_counts_and_histograms() {
        let mut a = Meter {
            slots_due: 2,
            ..Meter::default()
        };
        a.lateness(100);
        let mut b = Meter {
            slots_due: 3,
            alarms: 1,
            do_storage_writes: 4,
            ..Meter::default()
        };
        b.lateness(2_000);
        a.merge(&b);
        assert_eq!((a.slots_due, a.alarms), (5, 1));
        assert_eq!(a.report().do_storage_writes, 4);
        assert_eq!(a.lateness.count, 2);
        assert_eq!(a.report().lateness_max_ms, Some(2_000));
    }

    #[test]
    fn a_stored_meter_survives_json_and_older_shapes() {
        let mut m = Meter {
            rounds_recorded: 7,
            ..Meter::default()
        };
        m.lateness(42);
        let back: Meter = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
        // A meter stored before a counter existed loads with that counter at 0.
        let old: Meter = serde_json::from_str(r#"{"alarms": 4}"#).unwrap();
        assert_eq!(old.alarms, 4);
        assert_eq!(old.lateness.buckets.len(), LATENCY_BUCKETS);
    }
}
