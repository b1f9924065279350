//! NodeAffinity: `spec.nodeSelector` and required node affinity filter, preferred terms
//! score by weight (`plugins/nodeaffinity`, `component-helpers/scheduling/corev1/nodeaffinity`).
use k8s_openapi::api::core::v1::PodSpec;

use crate::api::scheduling::{required_affinity_matches, term_matches};

use super::{default_normalize, Cycle, NodeInfo, Plugin, Rejection};

fn spec<'a>(cx: &'a Cycle) -> Option<&'a PodSpec> {
    cx.pod.pod.spec.as_ref()
}

#[derive(Default)]
pub struct NodeAffinity;

impl Plugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }
    fn pre_filter(&mut self, cx: &Cycle) -> Result<bool, Rejection> {
        let Some(spec) = spec(cx) else { return Ok(false) };
        let required = spec
            .affinity
            .as_ref()
            .and_then(|a| a.node_affinity.as_ref())
            .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref());
        Ok(spec.node_selector.as_ref().is_some_and(|s| !s.is_empty()) || required.is_some())
    }
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        match spec(cx) {
            Some(spec) if !required_affinity_matches(spec, node) => {
                Err(Rejection::unresolvable(self.name(), "node(s) didn't match Pod's node affinity/selector"))
            }
            _ => Ok(()),
        }
    }
    fn pre_score(&mut self, cx: &Cycle, _feasible: &[&NodeInfo]) -> bool {
        !preferred(cx).is_empty()
    }
    /// The sum of the weights of the preferred terms the node matches.
    fn score(&self, cx: &Cycle, node: &NodeInfo) -> i64 {
        preferred(cx).iter().filter(|p| term_matches(&p.preference, node)).map(|p| i64::from(p.weight)).sum()
    }
    fn normalize(&self, _feasible: &[&NodeInfo], scores: &mut [i64]) {
        default_normalize(scores, false);
    }
}

fn preferred<'a>(cx: &'a Cycle) -> &'a [k8s_openapi::api::core::v1::PreferredSchedulingTerm] {
    spec(cx)
        .and_then(|s| s.affinity.as_ref())
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.preferred_during_scheduling_ignored_during_execution.as_deref())
        .unwrap_or(&[])
}
