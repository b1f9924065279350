//! NodeName: a pod that names a node fits only there (`plugins/nodename`).
use super::{Cycle, NodeInfo, Plugin, Rejection};

pub struct NodeName;

impl Plugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }
    fn pre_filter(&mut self, cx: &Cycle) -> Result<bool, Rejection> {
        Ok(cx.pod.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty()))
    }
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        match cx.pod.pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            Some(wanted) if wanted != &*node.name => {
                Err(Rejection::unresolvable(self.name(), "node(s) didn't match the requested node name"))
            }
            _ => Ok(()),
        }
    }
}
