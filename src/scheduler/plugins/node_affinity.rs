//! NodeAffinity: the pod's nodeSelector and required node affinity must match the node
//! (`plugins/nodeaffinity/node_affinity.go`). DaemonSet pods reach their node this way.
use super::{FilterPlugin, NodeInfo, Plugin, PodInfo, Rejection};
use crate::api::scheduling::required_affinity_matches;

pub struct NodeAffinity;

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }
}

impl FilterPlugin for NodeAffinity {
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
        if required_affinity_matches(&pod.placement, &node.node) {
            return Ok(());
        }
        Err(Rejection {
            plugin: self.name(),
            reasons: vec!["node(s) didn't match Pod's node affinity/selector".into()],
            resolvable_by_preemption: false,
        })
    }
}
