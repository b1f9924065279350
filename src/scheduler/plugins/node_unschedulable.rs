//! NodeUnschedulable: a cordoned node takes no new pods unless they tolerate
//! `node.kubernetes.io/unschedulable:NoSchedule`.
use super::{FilterPlugin, NodeInfo, Plugin, PodInfo, Rejection};
use crate::scheduler::tolerates;

pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }
}

impl FilterPlugin for NodeUnschedulable {
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
        let unschedulable = node.node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false);
        if unschedulable && !tolerates(&pod.tolerations, "node.kubernetes.io/unschedulable", "", "NoSchedule") {
            return Err(Rejection {
                plugin: self.name(),
                reasons: vec!["node(s) were unschedulable".into()],
                resolvable_by_preemption: false,
            });
        }
        Ok(())
    }
}
