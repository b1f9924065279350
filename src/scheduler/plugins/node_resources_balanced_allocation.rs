//! NodeResourcesBalancedAllocation: favours nodes whose resources would be used evenly,
//! `(1 − std) × 100` over the actual requests (`balanced_allocation.go`).
use super::node_resources_fit::allocatable_and_requested;
use super::{Cycle, NodeInfo, Plugin};
use crate::scheduler::cache::ResourceName;

pub struct NodeResourcesBalancedAllocation {
    resources: Vec<ResourceName>,
}

impl NodeResourcesBalancedAllocation {
    pub fn new(resources: &[String]) -> Self {
        NodeResourcesBalancedAllocation { resources: resources.iter().map(|r| ResourceName::of(r)).collect() }
    }
}

impl Plugin for NodeResourcesBalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }
    /// Best-effort pods get no score (PreScore skips them, kubernetes#129138).
    fn pre_score(&mut self, cx: &Cycle, _feasible: &[&NodeInfo]) -> bool {
        self.resources.iter().any(|r| cx.pod.requests.get(r) > 0)
    }
    fn score(&self, cx: &Cycle, node: &NodeInfo) -> i64 {
        // Two passes over the resources rather than a list per node: this runs for every
        // feasible node of every pod.
        let fractions = || {
            self.resources.iter().filter_map(|resource| {
                let (allocatable, requested) = allocatable_and_requested(node, cx.pod, resource, true);
                (allocatable != 0).then(|| (requested as f64 / allocatable as f64).min(1.0))
            })
        };
        let (n, total) = fractions().fold((0usize, 0f64), |(n, t), f| (n + 1, t + f));
        let std = if n == 2 {
            let mut two = fractions();
            let (a, b) = (two.next().unwrap_or(0.0), two.next().unwrap_or(0.0));
            ((a - b) / 2.0).abs()
        } else if n > 2 {
            let mean = total / n as f64;
            (fractions().map(|f| (f - mean) * (f - mean)).sum::<f64>() / n as f64).sqrt()
        } else {
            0.0
        };
        ((1.0 - std) * 100.0) as i64
    }
}
