//! NodeResourcesFit: the pod's requests must fit the node's allocatable minus what is already
//! requested (`fitsRequest`); the score is LeastAllocated over the non-zero requests.
use super::{FilterPlugin, NodeInfo, Plugin, PodInfo, Rejection, ScorePlugin};

pub struct NodeResourcesFit;

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }
}

impl FilterPlugin for NodeResourcesFit {
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
        let mut reasons = Vec::new();
        if node.pod_count + 1 > node.allocatable.pods {
            reasons.push("Too many pods".to_string());
        }
        let free = |alloc: i64, used: i64| alloc.saturating_sub(used);
        if pod.requests.milli_cpu > 0 && pod.requests.milli_cpu > free(node.allocatable.milli_cpu, node.requested.milli_cpu) {
            reasons.push("Insufficient cpu".to_string());
        }
        if pod.requests.memory > 0 && pod.requests.memory > free(node.allocatable.memory, node.requested.memory) {
            reasons.push("Insufficient memory".to_string());
        }
        if reasons.is_empty() {
            Ok(())
        } else {
            Err(Rejection { plugin: self.name(), reasons, resolvable_by_preemption: true })
        }
    }
}

/// `leastRequestedScore`: the share of capacity left free, 0..=100, in integer division.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 || requested > capacity {
        return 0;
    }
    // i128: capacities as large as a quantity can say must not overflow.
    ((i128::from(capacity) - i128::from(requested)) * 100 / i128::from(capacity)) as i64
}

impl ScorePlugin for NodeResourcesFit {
    fn weight(&self) -> i64 {
        1
    }
    /// LeastAllocated with cpu and memory weighted 1 each.
    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let cpu = least_requested(node.non_zero_requested.milli_cpu.saturating_add(pod.non_zero.milli_cpu), node.allocatable.milli_cpu);
        let memory = least_requested(node.non_zero_requested.memory.saturating_add(pod.non_zero.memory), node.allocatable.memory);
        (cpu + memory) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of upstream's `TestLeastAllocatedScoringStrategy`.
    #[test]
    fn least_allocated_matches_upstream() {
        let node_score = |cap: (i64, i64), used: (i64, i64), pod: (i64, i64)| {
            (least_requested(used.0 + pod.0, cap.0) + least_requested(used.1 + pod.1, cap.1)) / 2
        };
        assert_eq!(node_score((4000, 10000), (0, 0), (3000, 5000)), 37);
        assert_eq!(node_score((10000, 20000), (3000, 0), (3000, 5000)), 57);
        assert_eq!(node_score((4000, 10000), (3000, 0), (3000, 0)), 50);
        assert_eq!(node_score((4000, 10000), (3000, 5000), (3000, 0)), 25);
    }
}
