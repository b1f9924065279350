//! NodeAffinity: `spec.nodeSelector` and required node affinity filter, preferred terms
//! score by weight (`plugins/nodeaffinity`, `component-helpers/scheduling/corev1/nodeaffinity`).
use k8s_openapi::api::core::v1::{NodeSelectorRequirement, NodeSelectorTerm, PodSpec};

use super::{default_normalize, Cycle, NodeInfo, Plugin, Rejection};

/// One requirement against the node's labels (or, for `matchFields`, its name).
fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or(&[]);
    let number = |s: &str| s.parse::<i64>().ok();
    match r.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|x| x == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|x| x == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        // Gt and Lt take exactly one integer value; anything else matches nothing.
        "Gt" | "Lt" => match (values, value.and_then(number)) {
            ([bound], Some(v)) => number(bound).is_some_and(|b| if r.operator == "Gt" { v > b } else { v < b }),
            _ => false,
        },
        _ => false,
    }
}

/// A term matches when every expression and field requirement does; an empty term matches
/// nothing.
pub(super) fn term_matches(term: &NodeSelectorTerm, node: &NodeInfo) -> bool {
    let exprs = term.match_expressions.as_deref().unwrap_or(&[]);
    let fields = term.match_fields.as_deref().unwrap_or(&[]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    exprs.iter().all(|r| requirement_matches(r, node.label(&r.key)))
        && fields.iter().all(|r| r.key == "metadata.name" && requirement_matches(r, Some(&node.name)))
}

/// Whether a node satisfies a pod's nodeSelector and required node affinity
/// (`GetRequiredNodeAffinity(pod).Match(node)`); PodTopologySpread uses it too.
pub fn node_matches_required(spec: &PodSpec, node: &NodeInfo) -> bool {
    let selector_ok = spec.node_selector.iter().flatten().all(|(k, v)| node.label(k) == Some(v.as_str()));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| a.required_during_scheduling_ignored_during_execution.as_ref());
    selector_ok && required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node)))
}

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
            Some(spec) if !node_matches_required(spec, node) => {
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
