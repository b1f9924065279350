//! NodeResourcesBalancedAllocation: favours nodes whose cpu and memory would be used evenly,
//! `(1 − std) × 100` over the actual requests (`balanced_allocation.go`).
use super::{NodeInfo, Plugin, PodInfo, ScorePlugin};

pub struct NodeResourcesBalancedAllocation;

impl Plugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }
}

impl ScorePlugin for NodeResourcesBalancedAllocation {
    fn weight(&self) -> i64 {
        1
    }
    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        // Best-effort pods get no score (PreScore skips them, kubernetes#129138).
        if pod.requests.milli_cpu == 0 && pod.requests.memory == 0 {
            return 0;
        }
        let fraction =
            |requested: i64, allocatable: i64| if allocatable <= 0 { 0.0 } else { (requested as f64 / allocatable as f64).min(1.0) };
        let cpu = fraction(node.requested.milli_cpu.saturating_add(pod.requests.milli_cpu), node.allocatable.milli_cpu);
        let memory = fraction(node.requested.memory.saturating_add(pod.requests.memory), node.allocatable.memory);
        let std = (cpu - memory).abs() / 2.0;
        ((1.0 - std) * 100.0) as i64
    }
}
