//! What a pod asks of a node: `spec.nodeSelector`, the required node affinity terms
//! (`k8s.io/component-helpers/scheduling/corev1/nodeaffinity`) and tolerations of the node's
//! taints. The scheduler filters with these, and the DaemonSet controller decides with them
//! which nodes should run a daemon pod.
use k8s_openapi::api::core::v1::{Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Toleration};

/// Whether the tolerations tolerate a taint (`v1.Toleration.ToleratesTaint`).
pub fn tolerates(tolerations: &[Toleration], key: &str, value: &str, effect: &str) -> bool {
    tolerations.iter().any(|t| {
        let effect_ok = t.effect.as_deref().is_none_or(|e| e.is_empty() || e == effect);
        let key_ok = t.key.as_deref().is_none_or(|k| k.is_empty() || k == key);
        let value_ok = match t.operator.as_deref() {
            Some("Exists") => true,
            _ => t.value.as_deref().unwrap_or("") == value && t.key.as_deref().is_some_and(|k| !k.is_empty()),
        };
        effect_ok && key_ok && value_ok
    })
}

/// What node affinity reads of a node: its name and labels. The scheduler matches its cached
/// `NodeInfo`, the DaemonSet controller a `Node`.
pub trait NodeFields {
    fn node_name(&self) -> &str;
    fn node_label(&self, key: &str) -> Option<&str>;
}

impl NodeFields for Node {
    fn node_name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or("")
    }
    fn node_label(&self, key: &str) -> Option<&str> {
        self.metadata.labels.as_ref()?.get(key).map(String::as_str)
    }
}

/// Whether the node satisfies the pod's nodeSelector and required node affinity
/// (`GetRequiredNodeAffinity(pod).Match(node)`).
pub fn required_affinity_matches(spec: &PodSpec, node: &impl NodeFields) -> bool {
    let selector_ok = spec.node_selector.iter().flatten().all(|(k, v)| node.node_label(k) == Some(v.as_str()));
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| n.required_during_scheduling_ignored_during_execution.as_ref());
    // The terms are ORed; a term with no requirements matches nothing.
    selector_ok && required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node)))
}

/// A term matches when every expression and field requirement does; an empty term matches
/// nothing.
pub fn term_matches(term: &NodeSelectorTerm, node: &impl NodeFields) -> bool {
    let expressions = term.match_expressions.as_deref().unwrap_or_default();
    let fields = term.match_fields.as_deref().unwrap_or_default();
    if expressions.is_empty() && fields.is_empty() {
        return false;
    }
    expressions.iter().all(|r| requirement_matches(r, node.node_label(&r.key)))
        // `metadata.name` is the only field a term may select on.
        && fields.iter().all(|r| r.key == "metadata.name" && requirement_matches(r, Some(node.node_name())))
}

fn requirement_matches(r: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = r.values.as_deref().unwrap_or_default();
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{Affinity, NodeAffinity, NodeSelector};

    fn node(name: &str, zone: &str) -> Node {
        let mut n = Node::default();
        n.metadata.name = Some(name.into());
        n.metadata.labels = Some([("zone".to_string(), zone.to_string())].into());
        n
    }

    fn requiring(terms: Vec<NodeSelectorTerm>) -> PodSpec {
        PodSpec {
            affinity: Some(Affinity {
                node_affinity: Some(NodeAffinity {
                    required_during_scheduling_ignored_during_execution: Some(NodeSelector { node_selector_terms: terms }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn req(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
        NodeSelectorRequirement { key: key.into(), operator: op.into(), values: Some(values.iter().map(|v| v.to_string()).collect()) }
    }

    #[test]
    fn terms_are_ored_and_fields_select_the_node_name() {
        let by_name =
            requiring(vec![NodeSelectorTerm { match_fields: Some(vec![req("metadata.name", "In", &["worker-2"])]), ..Default::default() }]);
        assert!(required_affinity_matches(&by_name, &node("worker-2", "a")));
        assert!(!required_affinity_matches(&by_name, &node("worker-1", "a")));
        let either = requiring(vec![
            NodeSelectorTerm { match_expressions: Some(vec![req("zone", "In", &["b"])]), ..Default::default() },
            NodeSelectorTerm { match_expressions: Some(vec![req("zone", "NotIn", &["a", "b"])]), ..Default::default() },
        ]);
        assert!(required_affinity_matches(&either, &node("n", "b")));
        assert!(required_affinity_matches(&either, &node("n", "c")));
        assert!(!required_affinity_matches(&either, &node("n", "a")));
        assert!(!required_affinity_matches(&requiring(vec![NodeSelectorTerm::default()]), &node("n", "a")));
    }

    #[test]
    fn node_selector_needs_every_label() {
        let spec = PodSpec { node_selector: Some([("zone".to_string(), "a".to_string())].into()), ..Default::default() };
        assert!(required_affinity_matches(&spec, &node("n", "a")));
        assert!(!required_affinity_matches(&spec, &node("n", "b")));
    }
}
