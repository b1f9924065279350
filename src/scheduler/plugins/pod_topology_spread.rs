//! PodTopologySpread: `whenUnsatisfiable: DoNotSchedule` constraints filter by skew,
//! ScheduleAnyway constraints (and the system defaults) score (`plugins/podtopologyspread`).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};

use k8s_openapi::api::core::v1::{PodSpec, TopologySpreadConstraint};

use super::{Cycle, NodeInfo, Plugin, Rejection};
use crate::api::labels::{Requirement, Selector};
use crate::api::scheduling::required_affinity_matches;
use crate::api::scheduling::tolerates;
use crate::api::{controller_of, Key, Object};
use crate::scheduler::cache::PodInfo;

const NAME: &str = "PodTopologySpread";
const HOSTNAME: &str = "kubernetes.io/hostname";
const NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";

/// One constraint, resolved (`topologySpreadConstraint`).
#[derive(Clone, Debug)]
struct Constraint {
    key: String,
    max_skew: i64,
    min_domains: i64,
    selector: Selector,
    honor_node_affinity: bool,
    honor_taints: bool,
}

impl Constraint {
    fn of(c: &TopologySpreadConstraint, pod: &PodInfo) -> Result<Constraint, Rejection> {
        let mut selector = match &c.label_selector {
            Some(s) => Selector::from_api(s).map_err(|e| Rejection::unresolvable(NAME, e))?,
            None => Selector(vec![Requirement::In(String::new(), Vec::new())]),
        };
        // matchLabelKeys: the pod's own values of those labels join the selector.
        for key in c.match_label_keys.iter().flatten() {
            if let Some(v) = pod.labels.get(key) {
                selector.0.push(Requirement::In(key.clone(), vec![v.clone()]));
            }
        }
        Ok(Constraint {
            key: c.topology_key.clone(),
            max_skew: i64::from(c.max_skew),
            min_domains: i64::from(c.min_domains.unwrap_or(1)),
            selector,
            honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
            honor_taints: c.node_taints_policy.as_deref() == Some("Honor"),
        })
    }

    /// Whether a node counts at all for this constraint (`matchNodeInclusionPolicies`).
    fn includes(&self, spec: &PodSpec, node: &NodeInfo) -> bool {
        if self.honor_node_affinity && !required_affinity_matches(spec, node) {
            return false;
        }
        if self.honor_taints {
            let taints = node.node.spec.as_ref().and_then(|s| s.taints.as_deref()).unwrap_or(&[]);
            let tolerations = spec.tolerations.as_deref().unwrap_or(&[]);
            return taints.iter().all(|t| {
                !matches!(t.effect.as_str(), "NoSchedule" | "NoExecute")
                    || tolerates(tolerations, &t.key, t.value.as_deref().unwrap_or(""), &t.effect)
            });
        }
        true
    }

    /// `countPodsMatchSelector`: live pods of the pod's namespace that the selector matches.
    fn count(&self, node: &NodeInfo, namespace: &str) -> i64 {
        node.pods.iter().filter(|p| !p.terminating && p.key.namespace == namespace && self.selector.matches(Some(&p.labels))).count() as i64
    }
}

/// The pod's constraints with the given `whenUnsatisfiable`, or the system defaults
/// (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) when it has none at all.
fn constraints(cx: &Cycle, when: &str) -> Result<(Vec<Constraint>, bool), Rejection> {
    let spec = cx.pod.pod.spec.as_ref();
    let own = spec.and_then(|s| s.topology_spread_constraints.as_deref()).unwrap_or(&[]);
    if !own.is_empty() {
        let list = own.iter().filter(|c| c.when_unsatisfiable == when).map(|c| Constraint::of(c, cx.pod)).collect::<Result<_, _>>()?;
        return Ok((list, false));
    }
    if when != "ScheduleAnyway" {
        return Ok((Vec::new(), true));
    }
    let selector = default_selector(cx);
    if selector.0.is_empty() {
        return Ok((Vec::new(), true));
    }
    let default = |key: &str, max_skew| Constraint {
        key: key.to_string(),
        max_skew,
        min_domains: 1,
        selector: selector.clone(),
        honor_node_affinity: true,
        honor_taints: false,
    };
    Ok((vec![default(HOSTNAME, 3), default("topology.kubernetes.io/zone", 5)], true))
}

/// `helper.DefaultSelector`: the selectors of the Services that select the pod and of the
/// ReplicaSet or StatefulSet that controls it, merged.
fn default_selector(cx: &Cycle) -> Selector {
    let pod = cx.pod;
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for service in cx.objects.in_namespace("Service", &pod.key.namespace) {
        let Object::Service(s) = &**service else { continue };
        let Some(selector) = s.spec.as_ref().and_then(|s| s.selector.as_ref()).filter(|s| !s.is_empty()) else { continue };
        if selector.iter().all(|(k, v)| pod.labels.get(k) == Some(v)) {
            labels.extend(selector.clone());
        }
    }
    let mut selector = Selector(labels.into_iter().map(|(k, v)| Requirement::Equals(k, v)).collect());
    if let Some(owner) = controller_of(&pod.pod.metadata) {
        let owner_selector = match cx.objects.get(&Key::new(kind_name(&owner.kind), &pod.key.namespace, &owner.name)).as_deref() {
            Some(Object::ReplicaSet(rs)) => rs.spec.as_ref().map(|s| s.selector.clone()),
            Some(Object::StatefulSet(ss)) => ss.spec.as_ref().map(|s| s.selector.clone()),
            _ => None,
        };
        if let Some(Ok(s)) = owner_selector.as_ref().map(Selector::from_api) {
            selector.0.extend(s.0);
        }
    }
    selector
}

fn kind_name(kind: &str) -> &'static str {
    match kind {
        "ReplicaSet" => "ReplicaSet",
        "StatefulSet" => "StatefulSet",
        _ => "",
    }
}

/// PreFilter state: matching pods per (constraint, domain), and the domains per constraint.
#[derive(Default)]
struct FilterState {
    constraints: Vec<Constraint>,
    counts: Vec<BTreeMap<String, i64>>,
}

/// PreScore state: counts per (constraint, domain), the normalizing weight per constraint,
/// and the nodes that lack a required key.
#[derive(Default)]
struct ScoreState {
    constraints: Vec<Constraint>,
    counts: Vec<BTreeMap<String, i64>>,
    weights: Vec<f64>,
    ignored: BTreeSet<String>,
    /// Matching pods on each feasible node, per constraint (hostname constraints only).
    /// Indexed by constraint, then by node id.
    host_counts: Vec<Vec<i64>>,
}

/// Matching-pod counts per selector and node, valid while the node's generation is unchanged:
/// counting every pod of the cluster in every cycle would dominate large clusters, and
/// between two cycles only the nodes that gained or lost a pod change. Per selector, a slot
/// per node id holds the generation counted and the count.
#[derive(Default)]
struct CountCache(HashMap<u64, Vec<Option<(u64, i64)>>>);

/// Selectors beyond which the cache starts over.
const COUNT_CACHE_SELECTORS: usize = 64;

impl CountCache {
    /// The slots of a constraint's selector in a namespace.
    fn slots(&mut self, c: &Constraint, namespace: &str) -> &mut Vec<Option<(u64, i64)>> {
        let mut h = DefaultHasher::new();
        format!("{namespace}|{:?}", c.selector).hash(&mut h);
        let id = h.finish();
        if self.0.len() >= COUNT_CACHE_SELECTORS && !self.0.contains_key(&id) {
            self.0.clear();
        }
        self.0.entry(id).or_default()
    }
}

/// The count for a node, from its slot when the node has not changed since it was counted.
fn cached_count(slots: &mut Vec<Option<(u64, i64)>>, c: &Constraint, node: &NodeInfo, namespace: &str) -> i64 {
    if node.pods.is_empty() {
        return 0;
    }
    let Ok(index) = usize::try_from(node.id) else { return c.count(node, namespace) };
    if slots.len() <= index {
        slots.resize(index + 1, None);
    }
    match slots.get_mut(index) {
        Some(Some((generation, n))) if *generation == node.generation => *n,
        Some(slot) => {
            let n = c.count(node, namespace);
            *slot = Some((node.generation, n));
            n
        }
        None => c.count(node, namespace),
    }
}

#[derive(Default)]
pub struct PodTopologySpread {
    filter: FilterState,
    score: ScoreState,
    counts: CountCache,
}

fn has_all_keys(node: &NodeInfo, constraints: &[Constraint]) -> bool {
    constraints.iter().all(|c| node.label(&c.key).is_some())
}

impl Plugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        NAME
    }
    fn pre_filter(&mut self, cx: &Cycle) -> Result<bool, Rejection> {
        let (constraints, _) = constraints(cx, "DoNotSchedule")?;
        let Some(spec) = cx.pod.pod.spec.as_ref().filter(|_| !constraints.is_empty()) else {
            self.filter = FilterState::default();
            return Ok(false);
        };
        let mut counts = vec![BTreeMap::new(); constraints.len()];
        let namespace = &cx.pod.key.namespace;
        for (c, domain_counts) in constraints.iter().zip(counts.iter_mut()) {
            let slots = self.counts.slots(c, namespace);
            for node in cx.nodes.iter().filter(|n| has_all_keys(n, &constraints) && c.includes(spec, n)) {
                let value = node.label(&c.key).unwrap_or("").to_string();
                *domain_counts.entry(value).or_insert(0) += cached_count(slots, c, node, namespace);
            }
        }
        self.filter = FilterState { constraints, counts };
        Ok(true)
    }
    /// `existing matches + self match − global minimum ≤ maxSkew` for every constraint.
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        for (c, counts) in self.filter.constraints.iter().zip(&self.filter.counts) {
            let Some(value) = node.label(&c.key) else {
                return Err(Rejection::unresolvable(NAME, format!("{NOT_MATCH} (missing required label)")));
            };
            let domains = i64::try_from(counts.len()).unwrap_or(i64::MAX);
            let min = if domains < c.min_domains { 0 } else { counts.values().copied().min().unwrap_or(0) };
            let self_match = i64::from(c.selector.matches(Some(&cx.pod.labels)));
            let skew = counts.get(value).copied().unwrap_or(0) + self_match - min;
            if skew > c.max_skew {
                return Err(Rejection::unschedulable(NAME, NOT_MATCH));
            }
        }
        Ok(())
    }
    fn pre_score(&mut self, cx: &Cycle, feasible: &[&NodeInfo]) -> bool {
        let Ok((constraints, system_defaulted)) = constraints(cx, "ScheduleAnyway") else { return false };
        let Some(spec) = cx.pod.pod.spec.as_ref().filter(|_| !constraints.is_empty() && !feasible.is_empty()) else {
            self.score = ScoreState::default();
            return false;
        };
        let require_all = !system_defaulted;
        let mut state = ScoreState {
            counts: vec![BTreeMap::new(); constraints.len()],
            host_counts: vec![Vec::new(); constraints.len()],
            ..Default::default()
        };
        for node in feasible {
            if require_all && !has_all_keys(node, &constraints) {
                state.ignored.insert(node.name.to_string());
                continue;
            }
            for (c, counts) in constraints.iter().zip(state.counts.iter_mut()) {
                let value = node.label(&c.key).unwrap_or("");
                if c.key != HOSTNAME && !counts.contains_key(value) {
                    counts.insert(value.to_string(), 0);
                }
            }
        }
        let namespace = &cx.pod.key.namespace;
        for (i, (c, counts)) in constraints.iter().zip(state.counts.iter_mut()).enumerate() {
            let slots = self.counts.slots(c, namespace);
            if c.key == HOSTNAME {
                // Per-node counts, for Score.
                let mut per_node = Vec::new();
                for node in feasible {
                    let n = cached_count(slots, c, node, namespace);
                    let Ok(id) = usize::try_from(node.id) else { continue };
                    if per_node.len() <= id {
                        per_node.resize(id + 1, 0);
                    }
                    if let Some(slot) = per_node.get_mut(id) {
                        *slot = n;
                    }
                }
                if let Some(slot) = state.host_counts.get_mut(i) {
                    *slot = per_node;
                }
                continue;
            }
            for node in cx.nodes {
                if (require_all && !has_all_keys(node, &constraints)) || !c.includes(spec, node) {
                    continue;
                }
                if let Some(n) = counts.get_mut(node.label(&c.key).unwrap_or("")) {
                    *n += cached_count(slots, c, node, namespace);
                }
            }
        }
        let scored = feasible.len() - state.ignored.len();
        state.weights = constraints
            .iter()
            .zip(&state.counts)
            .map(|(c, counts)| {
                let size = if c.key == HOSTNAME { scored } else { counts.len() };
                ((size + 2) as f64).ln()
            })
            .collect();
        state.constraints = constraints;
        self.score = state;
        true
    }
    /// `Σ count·ln(size + 2) + (maxSkew − 1)` over the constraints whose key the node has.
    fn score(&self, _cx: &Cycle, node: &NodeInfo) -> i64 {
        let s = &self.score;
        if s.ignored.contains(&*node.name) {
            return 0;
        }
        let mut score = 0f64;
        let id = usize::try_from(node.id).unwrap_or(usize::MAX);
        for (i, ((c, counts), weight)) in s.constraints.iter().zip(&s.counts).zip(&s.weights).enumerate() {
            let Some(value) = node.label(&c.key) else { continue };
            let count = if c.key == HOSTNAME {
                s.host_counts.get(i).and_then(|h| h.get(id)).copied().unwrap_or(0)
            } else {
                counts.get(value).copied().unwrap_or(0)
            };
            score += count as f64 * weight + (c.max_skew - 1) as f64;
        }
        score.round() as i64
    }
    /// Fewer matching pods score higher: `100·(max + min − s)/max`; ignored nodes get 0.
    fn normalize(&self, feasible: &[&NodeInfo], scores: &mut [i64]) {
        let ignored = |i: usize| feasible.get(i).is_some_and(|n| self.score.ignored.contains(&*n.name));
        let counted = scores.iter().enumerate().filter(|(i, _)| !ignored(*i)).map(|(_, s)| *s);
        let (min, max) = counted.fold((i64::MAX, 0), |(lo, hi), s| (lo.min(s), hi.max(s)));
        for (i, s) in scores.iter_mut().enumerate() {
            *s = if ignored(i) {
                0
            } else if max == 0 {
                100
            } else {
                (i128::from(100) * i128::from(max.saturating_add(min).saturating_sub(*s)) / i128::from(max)) as i64
            };
        }
    }
}
