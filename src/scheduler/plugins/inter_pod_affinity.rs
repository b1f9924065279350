//! InterPodAffinity: required pod affinity and anti-affinity (the pod's own and the existing
//! pods') filter; preferred terms, and existing pods' terms that match the pod, score
//! (`plugins/interpodaffinity/filtering.go`, `scoring.go`).
use std::collections::BTreeMap;

use super::{Cycle, NodeInfo, Plugin, Rejection};
use crate::scheduler::cache::{AffinityTerm, NamespaceLabels, PodInfo};

const NAME: &str = "InterPodAffinity";

/// Counts or scores per topology pair (key, value).
type Pairs = BTreeMap<(String, String), i64>;

fn add_pair(pairs: &mut Pairs, term: &AffinityTerm, node: &NodeInfo, amount: i64) {
    if let Some(value) = node.label(&term.topology_key) {
        *pairs.entry((term.topology_key.clone(), value.to_string())).or_insert(0) += amount;
    }
}

#[derive(Default)]
pub struct InterPodAffinity {
    hard_pod_affinity_weight: i64,
    /// Pairs where an existing pod's required anti-affinity selects the incoming pod.
    existing_anti: Pairs,
    /// Pairs with pods that match all the pod's required affinity terms.
    affinity: Pairs,
    /// Pairs with pods that match one of the pod's required anti-affinity terms.
    anti: Pairs,
    /// PreScore: the score of each topology pair.
    scores: Pairs,
}

impl InterPodAffinity {
    pub fn new(hard_pod_affinity_weight: i64) -> Self {
        InterPodAffinity { hard_pod_affinity_weight, ..Default::default() }
    }
}

fn matches_all(terms: &[AffinityTerm], pod: &PodInfo, ns: &NamespaceLabels) -> bool {
    terms.iter().all(|t| t.matches(pod, ns))
}

impl Plugin for InterPodAffinity {
    fn name(&self) -> &'static str {
        NAME
    }
    fn pre_filter(&mut self, cx: &Cycle) -> Result<bool, Rejection> {
        let (pod, ns) = (cx.pod, &cx.objects.namespace_labels);
        self.existing_anti.clear();
        self.affinity.clear();
        self.anti.clear();
        let own = &pod.affinity;
        for node in cx.nodes {
            if node.pods_with_required_anti_affinity > 0 {
                for existing in &node.pods {
                    for term in existing.affinity.required_anti_affinity.iter().filter(|t| t.matches(pod, ns)) {
                        add_pair(&mut self.existing_anti, term, node, 1);
                    }
                }
            }
            if own.required_affinity.is_empty() && own.required_anti_affinity.is_empty() {
                continue;
            }
            for existing in &node.pods {
                if !own.required_affinity.is_empty() && matches_all(&own.required_affinity, existing, ns) {
                    for term in &own.required_affinity {
                        add_pair(&mut self.affinity, term, node, 1);
                    }
                }
                for term in own.required_anti_affinity.iter().filter(|t| t.matches(existing, ns)) {
                    add_pair(&mut self.anti, term, node, 1);
                }
            }
        }
        Ok(!self.existing_anti.is_empty() || !own.required_affinity.is_empty() || !own.required_anti_affinity.is_empty())
    }
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        let pair = |t: &AffinityTerm| node.label(&t.topology_key).map(|v| (t.topology_key.clone(), v.to_string()));
        let terms = &cx.pod.affinity.required_affinity;
        let mut satisfied = true;
        for term in terms {
            match pair(term) {
                // All topology labels must exist on the node.
                None => return Err(Rejection::unresolvable(NAME, "node(s) didn't match pod affinity rules")),
                Some(p) => satisfied &= self.affinity.get(&p).is_some_and(|n| *n > 0),
            }
        }
        // The first pod of a group that selects itself may go anywhere its keys exist.
        if !(satisfied || self.affinity.is_empty() && matches_all(terms, cx.pod, &cx.objects.namespace_labels)) {
            return Err(Rejection::unresolvable(NAME, "node(s) didn't match pod affinity rules"));
        }
        let anti_hit =
            cx.pod.affinity.required_anti_affinity.iter().any(|t| pair(t).is_some_and(|p| self.anti.get(&p).is_some_and(|n| *n > 0)));
        if anti_hit {
            return Err(Rejection::unschedulable(NAME, "node(s) didn't match pod anti-affinity rules"));
        }
        if !self.existing_anti.is_empty() {
            let labels = node.labels().into_iter().flatten();
            let mut hit = false;
            for (k, v) in labels {
                hit |= self.existing_anti.get(&(k.clone(), v.clone())).is_some_and(|n| *n > 0);
            }
            if hit {
                return Err(Rejection::unschedulable(NAME, "node(s) didn't satisfy existing pods anti-affinity rules"));
            }
        }
        Ok(())
    }
    /// Sums, per topology pair, the weights of the terms that tie the pod to existing pods.
    fn pre_score(&mut self, cx: &Cycle, _feasible: &[&NodeInfo]) -> bool {
        let (pod, ns) = (cx.pod, &cx.objects.namespace_labels);
        let own = &pod.affinity;
        let has_preferred = !own.preferred_affinity.is_empty() || !own.preferred_anti_affinity.is_empty();
        let mut scores = Pairs::new();
        for node in cx.nodes.iter().filter(|n| has_preferred || n.pods_with_affinity > 0) {
            if node.labels().is_none_or(|l| l.is_empty()) {
                continue;
            }
            for existing in &node.pods {
                // The pod's preferred terms that select the existing pod, and the existing
                // pod's terms that select the pod: affinity adds, anti-affinity subtracts.
                let mut add = |terms: &[(i64, AffinityTerm)], target: &PodInfo, sign: i64| {
                    for (w, term) in terms.iter().filter(|(_, t)| t.matches(target, ns)) {
                        add_pair(&mut scores, term, node, sign * w);
                    }
                };
                add(&own.preferred_affinity, existing, 1);
                add(&own.preferred_anti_affinity, existing, -1);
                let theirs = &existing.affinity;
                add(&theirs.preferred_affinity, pod, 1);
                add(&theirs.preferred_anti_affinity, pod, -1);
                if self.hard_pod_affinity_weight > 0 {
                    for term in theirs.required_affinity.iter().filter(|t| t.matches(pod, ns)) {
                        add_pair(&mut scores, term, node, self.hard_pod_affinity_weight);
                    }
                }
            }
        }
        self.scores = scores;
        !self.scores.is_empty()
    }
    fn score(&self, _cx: &Cycle, node: &NodeInfo) -> i64 {
        let labels = node.labels().into_iter().flatten();
        labels.map(|(k, v)| self.scores.get(&(k.clone(), v.clone())).copied().unwrap_or(0)).fold(0i64, i64::saturating_add)
    }
    /// `100·(s − min)/(max − min)`, truncated; all 0 when every node scores the same.
    fn normalize(&self, _feasible: &[&NodeInfo], scores: &mut [i64]) {
        let (min, max) = scores.iter().fold((i64::MAX, i64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
        let diff = max.saturating_sub(min);
        for s in scores.iter_mut() {
            *s = if diff > 0 { (100.0 * ((*s - min) as f64 / diff as f64)) as i64 } else { 0 };
        }
    }
}
