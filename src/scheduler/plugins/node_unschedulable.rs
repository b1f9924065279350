//! NodeUnschedulable: a cordoned node takes no new pods unless they tolerate
//! `node.kubernetes.io/unschedulable:NoSchedule` (`plugins/nodeunschedulable`).
use super::{Cycle, NodeInfo, Plugin, Rejection};
use crate::api::scheduling::tolerates;

pub struct NodeUnschedulable;

impl Plugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        let unschedulable = node.node.spec.as_ref().and_then(|s| s.unschedulable).unwrap_or(false);
        if unschedulable && !tolerates(&cx.pod.tolerations, "node.kubernetes.io/unschedulable", "", "NoSchedule") {
            return Err(Rejection::unresolvable(self.name(), "node(s) were unschedulable"));
        }
        Ok(())
    }
}
