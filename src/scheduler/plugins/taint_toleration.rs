//! TaintToleration: NoSchedule and NoExecute taints filter; PreferNoSchedule taints score
//! (`plugins/tainttoleration/taint_toleration.go`).
use k8s_openapi::api::core::v1::{Taint, Toleration};

use crate::api::scheduling::tolerates;

use super::{default_normalize, Cycle, NodeInfo, Plugin, Rejection};

fn tolerated(tolerations: &[Toleration], t: &Taint) -> bool {
    tolerates(tolerations, &t.key, t.value.as_deref().unwrap_or(""), &t.effect)
}

fn taints(node: &NodeInfo) -> &[Taint] {
    node.node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or(&[])
}

#[derive(Default)]
pub struct TaintToleration;

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }
    /// The first NoSchedule or NoExecute taint the pod does not tolerate rejects the node.
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        let untolerated =
            taints(node).iter().find(|t| matches!(t.effect.as_str(), "NoSchedule" | "NoExecute") && !tolerated(&cx.pod.tolerations, t));
        match untolerated {
            Some(t) => Err(Rejection::unresolvable(
                self.name(),
                format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value.as_deref().unwrap_or("")),
            )),
            None => Ok(()),
        }
    }
    /// The number of PreferNoSchedule taints not tolerated by the pod's tolerations whose
    /// effect is PreferNoSchedule or empty.
    fn score(&self, cx: &Cycle, node: &NodeInfo) -> i64 {
        let node_taints = taints(node);
        if node_taints.is_empty() {
            return 0;
        }
        let prefer: Vec<Toleration> = cx
            .pod
            .tolerations
            .iter()
            .filter(|t| t.effect.as_deref().is_none_or(|e| e.is_empty() || e == "PreferNoSchedule"))
            .cloned()
            .collect();
        node_taints.iter().filter(|t| t.effect == "PreferNoSchedule" && !tolerated(&prefer, t)).count() as i64
    }
    fn normalize(&self, _feasible: &[&NodeInfo], scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}
