//! A histogram whose `observe` is two atomic additions: no lock, no allocation, so that the request path can
//! afford one per request (prometheus-client's own histogram takes a mutex per observation).

use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Observations in whole units (microseconds, contacts), exposed multiplied by `scale` (seconds: `1e-6`).
#[derive(Clone, Debug)]
pub(crate) struct Histogram(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    /// Upper bounds, in units, ascending; the last bucket (`+Inf`) is implicit.
    bounds: &'static [u64],
    scale: f64,
    /// One count per bucket, not cumulative; `bounds.len() + 1` of them.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    pub(crate) fn new(bounds: &'static [u64], scale: f64) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self(Arc::new(Inner { bounds, scale, counts, sum: AtomicU64::new(0) }))
    }

    pub(crate) fn observe(&self, units: u64) {
        let inner = &*self.0;
        let bucket = inner.bounds.iter().position(|&bound| units <= bound).unwrap_or(inner.bounds.len());
        inner.counts[bucket].fetch_add(1, Ordering::Relaxed);
        inner.sum.fetch_add(units, Ordering::Relaxed);
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        let inner = &*self.0;
        let mut buckets = Vec::with_capacity(inner.counts.len());
        let mut count = 0;
        for (i, slot) in inner.counts.iter().enumerate() {
            let n = slot.load(Ordering::Relaxed);
            count += n;
            let bound = inner.bounds.get(i).map_or(f64::INFINITY, |&b| b as f64 * inner.scale);
            buckets.push((bound, n));
        }
        let sum = inner.sum.load(Ordering::Relaxed) as f64 * inner.scale;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        Self::TYPE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::registry::Registry;

    #[test]
    fn counts_each_observation_in_its_bucket_and_encodes_them_cumulatively() {
        let histogram = Histogram::new(&[10, 100], 0.5);
        for units in [1, 10, 11, 100, 1000] {
            histogram.observe(units);
        }
        let mut registry = Registry::default();
        registry.register("h", "test", histogram);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(text.contains("h_bucket{le=\"5.0\"} 2\n"), "{text}");
        assert!(text.contains("h_bucket{le=\"50.0\"} 4\n"), "{text}");
        assert!(text.contains("h_bucket{le=\"+Inf\"} 5\n"), "{text}");
        assert!(text.contains("h_count 5\n"), "{text}");
        assert!(text.contains("h_sum 561.0\n"), "{text}");
    }
}
