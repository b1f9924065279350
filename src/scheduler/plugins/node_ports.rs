//! NodePorts: a pod's host ports must be free on the node (`plugins/nodeports`).
use super::{Cycle, NodeInfo, Plugin, Rejection};

pub struct NodePorts;

impl Plugin for NodePorts {
    fn name(&self) -> &'static str {
        "NodePorts"
    }
    fn pre_filter(&mut self, cx: &Cycle) -> Result<bool, Rejection> {
        Ok(!cx.pod.host_ports.is_empty())
    }
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        let taken = node.pods.iter().flat_map(|p| p.host_ports.iter());
        let mut conflict = false;
        for used in taken {
            conflict |= cx.pod.host_ports.iter().any(|wanted| wanted.conflicts(used));
        }
        if conflict {
            return Err(Rejection::unschedulable(self.name(), "node(s) didn't have free ports for the requested pod ports"));
        }
        Ok(())
    }
}
