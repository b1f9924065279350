//! DefaultPreemption (`plugins/defaultpreemption`, `framework/preemption`): when a pod fits
//! nowhere, find nodes where evicting lower-priority pods would let it fit, keep as few
//! victims as possible (respecting PodDisruptionBudgets where it can), and pick the node
//! whose eviction costs least.
use std::sync::Arc;

use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::cache::{NodeInfo, PodInfo};
use super::framework::{fit_error, Decision, Framework};
use super::plugins::{Cycle, Rejection};
use crate::api::labels::Selector;
use crate::api::Object;
use crate::rng::Rng;

const NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// `minCandidateNodesPercentage` and `minCandidateNodesAbsolute`.
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// A node where preemption would make room, and what it would evict.
pub struct Candidate {
    pub node: Arc<str>,
    pub victims: Vec<Arc<PodInfo>>,
    violations: usize,
}

/// A PodDisruptionBudget's selector and how many more disruptions it allows.
struct Budget {
    namespace: String,
    selector: Selector,
    allowed: i64,
    disrupted: Vec<String>,
}

fn budgets(objects: &[Arc<Object>]) -> Vec<Budget> {
    objects
        .iter()
        .filter_map(|o| {
            let Object::PodDisruptionBudget(PodDisruptionBudget { metadata, spec, status }) = &**o else { return None };
            let selector = spec.as_ref()?.selector.as_ref()?;
            let selector = Selector::from_api(selector).ok().filter(|s| !s.0.is_empty())?;
            Some(Budget {
                namespace: metadata.namespace.clone().unwrap_or_default(),
                selector,
                allowed: status.as_ref().map_or(0, |s| i64::from(s.disruptions_allowed)),
                disrupted: status.as_ref().and_then(|s| s.disrupted_pods.as_ref()).map(|d| d.keys().cloned().collect()).unwrap_or_default(),
            })
        })
        .collect()
}

/// Splits pods into those whose eviction would violate a budget and those whose would not
/// (`filterPodsWithPDBViolation`), keeping their order.
fn split_by_budget(pods: Vec<Arc<PodInfo>>, budgets: &[Budget]) -> (Vec<Arc<PodInfo>>, Vec<Arc<PodInfo>>) {
    let mut allowed: Vec<i64> = budgets.iter().map(|b| b.allowed).collect();
    let (mut violating, mut fine) = (Vec::new(), Vec::new());
    for pod in pods {
        let mut violates = false;
        for (b, left) in budgets.iter().zip(allowed.iter_mut()) {
            if b.namespace != pod.key.namespace || !b.selector.matches(Some(&pod.labels)) || b.disrupted.contains(&pod.key.name) {
                continue;
            }
            *left -= 1;
            violates |= *left < 0;
        }
        if violates {
            violating.push(pod);
        } else {
            fine.push(pod);
        }
    }
    (violating, fine)
}

/// `MoreImportantPod`: higher priority first, then the one that started earlier.
fn more_important_first(pods: &mut [Arc<PodInfo>]) {
    pods.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.start_ms.cmp(&b.start_ms)));
}

/// `SelectVictimsOnNode`: remove every lower-priority pod; if the pod then fits, add them
/// back, most important first (budget-violating ones first), keeping out only those without
/// which it would not fit.
fn select_victims(fw: &Framework, run: &[bool], cx: &Cycle, node: &NodeInfo, budgets: &[Budget]) -> Result<Candidate, Rejection> {
    let mut reduced = node.clone();
    let mut potential: Vec<Arc<PodInfo>> = node.pods.iter().filter(|p| p.priority < cx.pod.priority).cloned().collect();
    if potential.is_empty() {
        return Err(Rejection::unresolvable("DefaultPreemption", NO_VICTIMS));
    }
    for p in &potential {
        reduced.remove_pod(&p.key);
    }
    fw.filter(run, cx, &reduced)?;
    more_important_first(&mut potential);
    let (violating, fine) = split_by_budget(potential, budgets);
    let mut victims = Vec::new();
    let mut violations = 0;
    for (list, violates) in [(violating, true), (fine, false)] {
        for pod in list {
            reduced.add_pod(pod.clone());
            if fw.filter(run, cx, &reduced).is_err() {
                reduced.remove_pod(&pod.key);
                victims.push(pod);
                violations += usize::from(violates);
            }
        }
    }
    more_important_first(&mut victims);
    Ok(Candidate { node: node.name.clone(), victims, violations })
}

/// `pickOneNodeForPreemption`: fewest budget violations, then the lowest highest-priority
/// victim, the smallest sum of priorities, the fewest victims, the latest start among the
/// most important victims, and finally the first.
fn pick(candidates: Vec<Candidate>) -> Option<Candidate> {
    let key = |c: &Candidate| {
        let highest = c.victims.first().map_or(i64::MIN, |v| i64::from(v.priority));
        let sum: i64 = c.victims.iter().map(|v| i64::from(v.priority) + i64::from(i32::MAX) + 1).sum();
        let earliest = c.victims.iter().filter(|v| i64::from(v.priority) == highest).map(|v| v.start_ms).min().unwrap_or(0);
        (c.violations, highest, sum, c.victims.len(), std::cmp::Reverse(earliest))
    };
    let mut best: Option<Candidate> = None;
    for c in candidates {
        if best.as_ref().is_none_or(|b| key(&c) < key(b)) {
            best = Some(c);
        }
    }
    best
}

/// Why preemption chose no node: the PostFilter message (`preemption: …`), and whether the
/// pod's nominated node is to be cleared (no candidates) or kept (the pod was not eligible).
pub struct NoCandidate {
    pub message: String,
    pub clear_nomination: bool,
}

fn not_eligible(message: &str) -> NoCandidate {
    NoCandidate { message: format!("preemption: {message}"), clear_nomination: false }
}

/// `Evaluator.Preempt` up to choosing the node: the chosen candidate, or why there is none.
pub fn preempt(fw: &Framework, cx: &Cycle, decision: &Decision, pdbs: &[Arc<Object>], rng: &mut Rng) -> Result<Candidate, NoCandidate> {
    let spec = cx.pod.pod.spec.as_ref();
    if spec.and_then(|s| s.preemption_policy.as_deref()) == Some("Never") {
        return Err(not_eligible("not eligible due to preemptionPolicy=Never."));
    }
    let nominated = cx.pod.pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref()).filter(|n| !n.is_empty());
    if let Some(node) = nominated.and_then(|n| cx.nodes.iter().find(|i| &*i.name == n)) {
        let rejected_there =
            decision.nodes.iter().any(|v| v.name == node.name && v.rejection.as_ref().is_some_and(|r| !r.resolvable_by_preemption));
        if !rejected_there && node.pods.iter().any(|p| p.terminating && p.priority < cx.pod.priority) {
            return Err(not_eligible("not eligible due to a terminating pod on the nominated node."));
        }
    }
    let all = cx.nodes.len();
    let mut statuses: Vec<String> = Vec::new();
    let mut potential: Vec<&NodeInfo> = Vec::new();
    let none = |statuses: &mut dyn Iterator<Item = &str>| NoCandidate {
        message: format!("preemption: {}", fit_error(all, statuses)),
        clear_nomination: true,
    };
    if decision.pre_filter.is_some() {
        return Err(none(&mut std::iter::repeat_n(NOT_HELPFUL, all)));
    }
    for v in &decision.nodes {
        match &v.rejection {
            Some(r) if r.resolvable_by_preemption => potential.extend(cx.nodes.get(v.index)),
            _ => statuses.push(NOT_HELPFUL.to_string()),
        }
    }
    let run = fw.last_run();
    let budgets = budgets(pdbs);
    let mut candidates = Vec::new();
    if !potential.is_empty() {
        // Dry-run from a random offset, stopping once enough candidates are found.
        let wanted = (potential.len() * MIN_CANDIDATE_NODES_PERCENTAGE / 100).max(MIN_CANDIDATE_NODES_ABSOLUTE).min(potential.len());
        let offset = usize::try_from(rng.below(potential.len() as u64)).unwrap_or(0);
        for i in 0..potential.len() {
            let Some(node) = potential.get((offset + i) % potential.len()) else { continue };
            match select_victims(fw, run, cx, node, &budgets) {
                Ok(c) if !c.victims.is_empty() => candidates.push(c),
                Ok(_) => statuses.push(NO_VICTIMS.to_string()),
                Err(r) => statuses.push(r.reasons.join(", ")),
            }
            if candidates.len() >= wanted {
                break;
            }
        }
    }
    pick(candidates).ok_or_else(|| none(&mut statuses.iter().map(String::as_str)))
}
