//! NodeResourcesFit: the pod's requests must fit the node's allocatable minus what is already
//! requested (`fitsRequest`); the score follows the profile's scoring strategy
//! (`least_allocated.go`, `most_allocated.go`, `requested_to_capacity_ratio.go`).
use super::{Cycle, NodeInfo, Plugin, PodInfo, Rejection};
use crate::scheduler::cache::{ResourceName, Resources};

/// How NodeResourcesFit scores (`scoringStrategy.type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    LeastAllocated,
    MostAllocated,
    /// The shape as (utilization 0..=100, score 0..=100): scores already scaled by 10.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

/// `NodeResourcesFitArgs.scoringStrategy`: the strategy and the weighted resources.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitArgs {
    pub strategy: Strategy,
    pub resources: Vec<(String, i64)>,
}

impl Default for FitArgs {
    fn default() -> Self {
        FitArgs { strategy: Strategy::LeastAllocated, resources: vec![("cpu".into(), 1), ("memory".into(), 1)] }
    }
}

/// A node's allocatable and requested amount of a resource with the pod added
/// (`calculateResourceAllocatableRequest`): the non-zero requests for cpu and memory unless
/// `use_requested`; an extended resource the pod does not ask for counts as (0, 0).
pub fn allocatable_and_requested(node: &NodeInfo, pod: &PodInfo, resource: &ResourceName, use_requested: bool) -> (i64, i64) {
    let non_zero = !use_requested && matches!(resource, ResourceName::Cpu | ResourceName::Memory);
    let (node_requested, pod_request) = if non_zero { (&node.non_zero_requested, &pod.non_zero) } else { (&node.requested, &pod.requests) };
    let wanted = pod_request.get(resource);
    if wanted == 0 && matches!(resource, ResourceName::Scalar(_)) {
        return (0, 0);
    }
    (node.allocatable.get(resource), node_requested.get(resource).saturating_add(wanted))
}

/// `leastRequestedScore`: the share of capacity left free, 0..=100, in integer division.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 || requested > capacity {
        return 0;
    }
    // i128: capacities as large as a quantity can say must not overflow.
    ((i128::from(capacity) - i128::from(requested)) * 100 / i128::from(capacity)) as i64
}

/// `mostRequestedScore`: the share of capacity in use, requests capped at capacity.
fn most_requested(requested: i64, capacity: i64) -> i64 {
    if capacity <= 0 {
        return 0;
    }
    (i128::from(requested.clamp(0, capacity)) * 100 / i128::from(capacity)) as i64
}

/// `helper.BuildBrokenLinearFunction` over a shape sorted by utilization.
fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for (i, &(u, s)) in shape.iter().enumerate() {
        if p <= u {
            let Some(&(pu, ps)) = i.checked_sub(1).and_then(|j| shape.get(j)) else { return s };
            return ps + (s - ps) * (p - pu) / (u - pu).max(1);
        }
    }
    shape.last().map_or(0, |&(_, s)| s)
}

impl NodeResourcesFit {
    /// The node score over the weighted resources, as the strategy computes it.
    fn node_score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let (mut sum, mut weights, mut float_sum) = (0i64, 0i64, 0f64);
        for (resource, weight) in &self.resources {
            let (capacity, requested) = allocatable_and_requested(node, pod, resource, false);
            if capacity == 0 {
                continue;
            }
            match &self.args.strategy {
                Strategy::LeastAllocated => sum += least_requested(requested, capacity) * weight,
                Strategy::MostAllocated => sum += most_requested(requested, capacity) * weight,
                Strategy::RequestedToCapacityRatio(shape) => {
                    let utilization = if requested > capacity { 100 } else { (i128::from(requested) * 100 / i128::from(capacity)) as i64 };
                    let score = broken_linear(shape, utilization);
                    // Resources that score 0 are left out of the average.
                    if score > 0 {
                        float_sum += (score * weight) as f64;
                    } else {
                        continue;
                    }
                }
            }
            weights += weight;
        }
        if weights == 0 {
            return 0;
        }
        match self.args.strategy {
            Strategy::RequestedToCapacityRatio(_) => (float_sum / weights as f64).round() as i64,
            _ => sum / weights,
        }
    }
}

pub struct NodeResourcesFit {
    args: FitArgs,
    /// `args.resources`, resolved.
    resources: Vec<(ResourceName, i64)>,
}

impl NodeResourcesFit {
    pub fn new(args: FitArgs) -> NodeResourcesFit {
        let resources = args.resources.iter().map(|(n, w)| (ResourceName::of(n), *w)).collect();
        NodeResourcesFit { args, resources }
    }
}

/// The reasons a pod's requests do not fit a node (`fitsRequest`), in upstream's order:
/// pods, cpu, memory, ephemeral storage, then extended resources by name.
pub fn insufficient(pod: &PodInfo, node: &NodeInfo) -> Vec<String> {
    let mut reasons = Vec::new();
    if i64::try_from(node.pods.len()).unwrap_or(i64::MAX).saturating_add(1) > node.allocatable.pods {
        reasons.push("Too many pods".to_string());
    }
    let r = &pod.requests;
    if r.milli_cpu == 0 && r.memory == 0 && r.ephemeral_storage == 0 && r.scalars.values().all(|v| *v == 0) {
        return reasons;
    }
    let (alloc, used) = (&node.allocatable, &node.requested);
    let short = |wanted: i64, allocatable: i64, requested: i64| wanted > 0 && wanted > allocatable.saturating_sub(requested);
    if short(r.milli_cpu, alloc.milli_cpu, used.milli_cpu) {
        reasons.push("Insufficient cpu".to_string());
    }
    if short(r.memory, alloc.memory, used.memory) {
        reasons.push("Insufficient memory".to_string());
    }
    if short(r.ephemeral_storage, alloc.ephemeral_storage, used.ephemeral_storage) {
        reasons.push("Insufficient ephemeral-storage".to_string());
    }
    for (name, &wanted) in &r.scalars {
        let of = |res: &Resources| res.scalars.get(name).copied().unwrap_or(0);
        if short(wanted, of(alloc), of(used)) {
            reasons.push(format!("Insufficient {name}"));
        }
    }
    reasons
}

impl Plugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        let reasons = insufficient(cx.pod, node);
        if reasons.is_empty() {
            return Ok(());
        }
        Err(Rejection { plugin: self.name(), reasons, resolvable_by_preemption: true })
    }
    fn score(&self, cx: &Cycle, node: &NodeInfo) -> i64 {
        self.node_score(cx.pod, node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_linear_interpolates_between_points() {
        let shape = [(0, 0), (100, 100)];
        assert_eq!(broken_linear(&shape, 75), 75);
        let shape = [(0, 100), (50, 20), (100, 0)];
        assert_eq!(broken_linear(&shape, 25), 60);
        assert_eq!(broken_linear(&shape, 100), 0);
    }
}
