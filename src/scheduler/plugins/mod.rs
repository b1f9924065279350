//! The scheduling framework's plugins, one file each, registered in upstream's default order
//! (`pkg/scheduler/apis/config/v1/default_plugins.go`) with their score weights.
mod image_locality;
mod inter_pod_affinity;
mod node_affinity;
mod node_name;
mod node_ports;
mod node_resources_balanced_allocation;
pub mod node_resources_fit;
mod node_unschedulable;
mod pod_topology_spread;
pub mod taint_toleration;
mod volume_binding;

use std::collections::HashMap;
use std::sync::Arc;

use super::cache::{ImageNodes, NodeInfo, PodInfo};
use super::config::Profile;
use super::Informers;

/// A filter's verdict on a node that does not fit, with the status code that decides whether
/// preemption could help (`Unschedulable`) or not (`UnschedulableAndUnresolvable`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub plugin: &'static str,
    pub reasons: Vec<String>,
    pub resolvable_by_preemption: bool,
}

impl Rejection {
    /// An `Unschedulable` status: removing pods may make room.
    pub fn unschedulable(plugin: &'static str, reason: impl Into<String>) -> Rejection {
        Rejection { plugin, reasons: vec![reason.into()], resolvable_by_preemption: true }
    }
    /// An `UnschedulableAndUnresolvable` status: no preemption can help.
    pub fn unresolvable(plugin: &'static str, reason: impl Into<String>) -> Rejection {
        Rejection { plugin, reasons: vec![reason.into()], resolvable_by_preemption: false }
    }
}

/// What one scheduling cycle looks at: the pod, every node in the cache, and the other
/// objects the plugins read through the scheduler's informers.
pub struct Cycle<'a> {
    pub pod: &'a PodInfo,
    pub nodes: &'a [NodeInfo],
    /// On how many of `nodes` each image is present.
    pub image_nodes: &'a ImageNodes,
    pub objects: &'a Informers,
    /// Pending pods nominated to a node by preemption, by node.
    pub nominated: &'a HashMap<Arc<str>, Vec<Arc<PodInfo>>>,
}

/// A plugin's extension points, as upstream's small interfaces; a plugin implements the ones
/// it has. Per-cycle state (PreFilter, PreScore) lives in the plugin between the calls.
pub trait Plugin {
    fn name(&self) -> &'static str;
    /// PreFilter: prepares the cycle. `Ok(false)` skips this plugin's Filter (`Skip`); an
    /// error rejects the pod on every node.
    fn pre_filter(&mut self, _cx: &Cycle) -> Result<bool, Rejection> {
        Ok(true)
    }
    /// `Ok` if the pod fits the node, else the reasons, as the plugin words them.
    fn filter(&self, _cx: &Cycle, _node: &NodeInfo) -> Result<(), Rejection> {
        Ok(())
    }
    /// PreScore over the nodes that passed the filters; false skips scoring (every node 0).
    fn pre_score(&mut self, _cx: &Cycle, _feasible: &[&NodeInfo]) -> bool {
        true
    }
    /// The raw score of one feasible node.
    fn score(&self, _cx: &Cycle, _node: &NodeInfo) -> i64 {
        0
    }
    /// Maps raw scores onto 0..=100 (`NormalizeScore`); by default they already are.
    fn normalize(&self, _feasible: &[&NodeInfo], _scores: &mut [i64]) {}
}

/// A plugin in a profile: whether it filters, and its score weight (0: it does not score).
pub struct Registered {
    pub plugin: Box<dyn Plugin>,
    pub filter: bool,
    pub weight: i64,
}

/// Names of the plugins that score by default, with their default weights.
pub const DEFAULT_SCORE_WEIGHTS: &[(&str, i64)] = &[
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodeResourcesFit", 1),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
];

/// Names of the filter plugins, in the order the framework runs them.
pub const FILTERS: &[&str] = &[
    "NodeUnschedulable",
    "NodeName",
    "TaintToleration",
    "NodeAffinity",
    "NodePorts",
    "NodeResourcesFit",
    "VolumeBinding",
    "PodTopologySpread",
    "InterPodAffinity",
];

/// Builds a profile's plugins in upstream's MultiPoint order.
pub fn build(profile: &Profile) -> Vec<Registered> {
    let all: Vec<Box<dyn Plugin>> = vec![
        Box::new(node_unschedulable::NodeUnschedulable),
        Box::new(node_name::NodeName),
        Box::new(taint_toleration::TaintToleration),
        Box::new(node_affinity::NodeAffinity),
        Box::new(node_ports::NodePorts),
        Box::new(node_resources_fit::NodeResourcesFit::new(profile.fit.clone())),
        Box::new(volume_binding::VolumeBinding),
        Box::new(pod_topology_spread::PodTopologySpread::default()),
        Box::new(inter_pod_affinity::InterPodAffinity::new(profile.hard_pod_affinity_weight)),
        Box::new(node_resources_balanced_allocation::NodeResourcesBalancedAllocation::new(&profile.balanced_resources)),
        Box::new(image_locality::ImageLocality::default()),
    ];
    all.into_iter()
        .map(|plugin| {
            let name = plugin.name();
            let filter = FILTERS.contains(&name) && !profile.disabled_filters.iter().any(|d| d == name || d == "*");
            let weight = profile.weights.get(name).copied().unwrap_or(0);
            Registered { plugin, filter, weight }
        })
        .collect()
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
        *s = (i128::from(*s) * 100 / i128::from(max)) as i64;
        if reverse {
            *s = 100 - *s;
        }
    }
}
