//! TaintToleration: NoSchedule and NoExecute taints filter; PreferNoSchedule taints score
//! (`plugins/tainttoleration/taint_toleration.go`).
use super::{default_normalize, FilterPlugin, NodeInfo, Plugin, PodInfo, Rejection, ScorePlugin};
use crate::scheduler::tolerates;

pub struct TaintToleration;

impl Plugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }
}

impl FilterPlugin for TaintToleration {
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Rejection> {
        let taints = node.node.spec.as_ref().and_then(|s| s.taints.as_ref());
        let untolerated = taints.into_iter().flatten().find(|t| {
            matches!(t.effect.as_str(), "NoSchedule" | "NoExecute")
                && !tolerates(&pod.tolerations, &t.key, t.value.as_deref().unwrap_or(""), &t.effect)
        });
        match untolerated {
            Some(t) => Err(Rejection {
                plugin: self.name(),
                reasons: vec![format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value.as_deref().unwrap_or(""))],
                resolvable_by_preemption: false,
            }),
            None => Ok(()),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn weight(&self) -> i64 {
        3
    }
    /// The number of PreferNoSchedule taints the pod does not tolerate.
    fn score(&self, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let taints = node.node.spec.as_ref().and_then(|s| s.taints.as_ref());
        taints
            .into_iter()
            .flatten()
            .filter(|t| t.effect == "PreferNoSchedule" && !tolerates(&pod.tolerations, &t.key, t.value.as_deref().unwrap_or(""), &t.effect))
            .count() as i64
    }
    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}
