//! A compact latency histogram with fixed logarithmic buckets.
//!
//! Owns the bucket layout and the percentile rule. Because every histogram uses the same
//! fixed buckets, merging is exact (counts add), so hourly rollups fold into daily ones
//! without losing anything a direct daily rollup would have kept. It must not store raw
//! values, read a clock or use floating point for bucketing (float `powf`/`ln` may differ
//! in the last bit between native and wasm32 libm; a bucket boundary must not move).
//!
//! Layout: 42 buckets. Bucket `i` holds latencies in `[BOUNDS[i], BOUNDS[i+1])` ms; the
//! first nine are exact (0..=8 ms), the rest grow by a factor of about 1.32, up to 66.5 s;
//! the last bucket holds everything from 66 521 ms up. A percentile is reported as its
//! bucket's representative value (the rounded geometric midpoint), so for any latency below
//! 66 521 ms the reported value is within [`MAX_RELATIVE_ERROR`] (15.3 %, documented as
//! "within 16 %") of the true sample at that rank. Values in the overflow bucket are
//! reported as 66 521 ms (probe timeouts are well below that).
//!
//! Serialised as a JSON array of `[bucket, count]` pairs for non-empty buckets, e.g.
//! `[[17,3],[18,40]]`: a typical hour of one path touches a handful of buckets, so the D1
//! text column stays around 20-60 bytes.

use serde::{Deserialize, Serialize};

/// Lower bound (inclusive, ms) of each bucket; bucket `i` ends where bucket `i + 1` starts.
const BOUNDS: [u32; BUCKETS] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 13, 17, 22, 28, 37, 49, 65, 85, 113, 149, 196, 258, 341, 450,
    594, 784, 1034, 1365, 1801, 2378, 3138, 4143, 5468, 7218, 9527, 12576, 16600, 21911, 28923,
    38178, 50395, 66521,
];

/// The value reported for a percentile that falls in each bucket: `round(sqrt(lo * hi_incl))`.
const REPRESENTATIVE: [u32; BUCKETS] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 14, 19, 24, 32, 42, 56, 74, 98, 129, 170, 224, 296, 391, 517,
    682, 900, 1188, 1567, 2069, 2731, 3605, 4759, 6282, 8292, 10945, 14448, 19071, 25174, 33229,
    43863, 57899, 66521,
];

/// Number of buckets.
pub const BUCKETS: usize = 42;

/// Largest relative error of a reported percentile for latencies below [`OVERFLOW_MS`].
pub const MAX_RELATIVE_ERROR: f64 = 0.16;

/// Latencies at or above this land in the last bucket and are reported as this value.
pub const OVERFLOW_MS: u32 = BOUNDS[BUCKETS - 1];

/// Counts of latencies per fixed bucket. See the module docs for the layout and error bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Vec<(u8, u32)>", try_from = "Vec<(u8, u32)>")]
pub struct LatencyHistogram {
    counts: [u32; BUCKETS],
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: [0; BUCKETS],
        }
    }
}

/// Why a stored histogram could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HistogramError {
    /// A pair names a bucket that does not exist (the layout has [`BUCKETS`] buckets).
    UnknownBucket(u8),
}

impl std::fmt::Display for HistogramError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HistogramError::UnknownBucket(b) => write!(
                f,
                "latency histogram bucket {b} does not exist (0..{BUCKETS})"
            ),
        }
    }
}

impl TryFrom<Vec<(u8, u32)>> for LatencyHistogram {
    type Error = HistogramError;

    fn try_from(pairs: Vec<(u8, u32)>) -> Result<Self, Self::Error> {
        let mut h = LatencyHistogram::default();
        for (bucket, count) in pairs {
            let slot = h
                .counts
                .get_mut(usize::from(bucket))
                .ok_or(HistogramError::UnknownBucket(bucket))?;
            // Duplicated pairs are summed rather than rejected: a hand-edited row stays usable.
            *slot = slot.saturating_add(count);
        }
        Ok(h)
    }
}

impl From<LatencyHistogram> for Vec<(u8, u32)> {
    fn from(h: LatencyHistogram) -> Self {
        // BUCKETS < 256, so every index fits in a u8.
        (0u8..).zip(h.counts).filter(|&(_, c)| c > 0).collect()
    }
}

impl LatencyHistogram {
    /// The bucket a latency falls into.
    pub fn bucket_of(latency_ms: u32) -> usize {
        // Number of lower bounds <= latency, minus one; BOUNDS[0] == 0 so this is >= 1.
        BOUNDS
            .partition_point(|&lo| lo <= latency_ms)
            .saturating_sub(1)
    }

    /// The value reported for percentiles that land in `bucket` (`None` past the last one).
    pub fn representative(bucket: usize) -> Option<u32> {
        REPRESENTATIVE.get(bucket).copied()
    }

    pub fn record(&mut self, latency_ms: u32) {
        let b = Self::bucket_of(latency_ms);
        self.counts[b] = self.counts[b].saturating_add(1);
    }

    /// Adds another histogram's counts to this one (exact: the buckets are shared).
    pub fn absorb(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine = mine.saturating_add(theirs);
        }
    }

    pub fn merged(&self, other: &LatencyHistogram) -> LatencyHistogram {
        let mut out = *self;
        out.absorb(other);
        out
    }

    /// Number of latencies recorded.
    pub fn count(&self) -> u32 {
        self.counts
            .iter()
            .fold(0u32, |acc, &c| acc.saturating_add(c))
    }

    /// The `q`-quantile (0.0..=1.0) by nearest rank: the representative value of the bucket
    /// holding the `ceil(q * n)`-th smallest latency (the smallest for q = 0). `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<u32> {
        let n = u64::from(self.count());
        if n == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.5 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0u64;
        for (bucket, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Self::representative(bucket);
            }
        }
        // Unreachable in practice (seen ends at n >= rank); saturated counts fall back to the top.
        Self::representative(BUCKETS - 1)
    }

    pub fn p50(&self) -> Option<u32> {
        self.quantile(0.5)
    }

    pub fn p95(&self) -> Option<u32> {
        self.quantile(0.95)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_increasing_and_representatives_lie_inside_their_bucket() {
        for i in 0..BUCKETS - 1 {
            assert!(BOUNDS[i] < BOUNDS[i + 1], "bounds not increasing at {i}");
            assert!(
                BOUNDS[i] <= REPRESENTATIVE[i] && REPRESENTATIVE[i] < BOUNDS[i + 1],
                "rep {i} outside its bucket"
            );
        }
    }

    #[test]
    fn every_bucket_keeps_within_the_documented_error() {
        for i in 1..BUCKETS - 1 {
            let rep = f64::from(REPRESENTATIVE[i]);
            for v in [BOUNDS[i], BOUNDS[i + 1] - 1] {
                let err = (rep - f64::from(v)).abs() / f64::from(v);
                assert!(
                    err <= MAX_RELATIVE_ERROR,
                    "bucket {i}: value {v} reported as {rep} (error {err:.3})"
                );
            }
        }
    }

    #[test]
    fn buckets_of_known_latencies() {
        let cases = [
            (0, 0),
            (1, 1),
            (8, 8),
            (9, 8),
            (10, 9),
            (12, 9),
            (13, 10),
            (100, 17),
            (113, 18),
            (1000, 25),
            (60_000, 40),
            (66_520, 40),
            (66_521, 41),
            (u32::MAX, 41),
        ];
        for (latency, bucket) in cases {
            assert_eq!(
                LatencyHistogram::bucket_of(latency),
                bucket,
                "latency {latency}"
            );
        }
    }

    #[test]
    fn quantiles_by_nearest_rank() {
        let mut h = LatencyHistogram::default();
        assert_eq!(h.p50(), None);
        for v in [1, 2, 3, 4, 5, 6, 7, 8, 8, 8] {
            h.record(v);
        }
        let cases = [(0.0, 1), (0.1, 1), (0.5, 5), (0.51, 6), (0.95, 8), (1.0, 8)];
        for (q, want) in cases {
            assert_eq!(h.quantile(q), Some(want), "q = {q}");
        }
    }

    #[test]
    fn serialises_sparse_pairs_and_round_trips() {
        let mut h = LatencyHistogram::default();
        for v in [100, 100, 120, 5] {
            h.record(v);
        }
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(text, "[[5,1],[17,2],[18,1]]");
        assert_eq!(serde_json::from_str::<LatencyHistogram>(&text).unwrap(), h);
        assert_eq!(
            serde_json::to_string(&LatencyHistogram::default()).unwrap(),
            "[]"
        );
    }

    #[test]
    fn rejects_unknown_buckets_and_sums_duplicates() {
        assert!(serde_json::from_str::<LatencyHistogram>("[[42,1]]").is_err());
        assert!(serde_json::from_str::<LatencyHistogram>("{\"b\":1}").is_err());
        let h: LatencyHistogram = serde_json::from_str("[[3,2],[3,5]]").unwrap();
        assert_eq!(h.count(), 7);
        assert_eq!(h.p50(), Some(3));
    }
}
