//! The scheduling framework's plugins, one file each, registered in upstream's default order
//! (`pkg/scheduler/apis/config/v1/default_plugins.go`) with their score weights.
mod node_affinity;
mod node_resources_balanced_allocation;
mod node_resources_fit;
mod node_unschedulable;
mod taint_toleration;

use super::{NodeInfo, PodInfo};

/// A filter's verdict on a node that does not fit, with the status code that decides whether
/// preemption could help (`Unschedulable`) or not (`UnschedulableAndUnresolvable`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub plugin: &'static str,
    pub reasons: Vec<String>,
    pub resolvable_by_preemption: bool,
}

/// Every plugin has the name upstream registers it under.
pub trait Plugin {
    fn name(&self) -> &'static str;
}

pub trait FilterPlugin: Plugin {
    /// `Ok` if the pod fits the node, else the reasons, as the plugin words them.
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection>;
}

pub trait ScorePlugin: Plugin {
    fn weight(&self) -> i64;
    /// The raw score of one feasible node.
    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64;
    /// Maps raw scores onto 0..=100 (`NormalizeScore`); by default they already are.
    fn normalize(&self, _scores: &mut [i64]) {}
}

/// Filter plugins in the order the framework runs them; the first rejection wins.
pub fn filters() -> Vec<Box<dyn FilterPlugin>> {
    vec![
        Box::new(node_unschedulable::NodeUnschedulable),
        Box::new(taint_toleration::TaintToleration),
        Box::new(node_affinity::NodeAffinity),
        Box::new(node_resources_fit::NodeResourcesFit),
    ]
}

/// Score plugins with their default weights.
pub fn scorers() -> Vec<Box<dyn ScorePlugin>> {
    vec![
        Box::new(taint_toleration::TaintToleration),
        Box::new(node_resources_fit::NodeResourcesFit),
        Box::new(node_resources_balanced_allocation::NodeResourcesBalancedAllocation),
    ]
}

/// `helper.DefaultNormalizeScore`: scales to 0..=100 by the maximum, optionally reversed.
pub(crate) fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = 100);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = 100 * *s / max;
        if reverse {
            *s = 100 - *s;
        }
    }
}
