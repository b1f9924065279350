//! What the workload controllers share (`pkg/controller/controller_utils.go`): creating and
//! deleting pods with their events (`PodControl`), slow-start batches, which pods count as
//! active, ready and available, and the order in which pods are deleted on scale-down
//! (`ActivePodsWithRanks`).
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::api::labels::Selector;
use crate::api::{controller_key, controller_of, controller_ref, Key, Object, ObjectMeta, ObjectRef};
use crate::apiserver::{virtual_ms, ApiError, Client, Reason, WatchEvent, WatchEventType};

use super::{Store, WorkQueue};

/// A retried sync waits 5ms, then twice as long each time, up to 1000s: client-go's
/// `DefaultControllerRateLimiter` (its overall token bucket never binds here).
fn backoff_ms(failures: u32) -> u64 {
    5u64.saturating_mul(1u64 << failures.min(20)).min(1_000_000)
}

/// The rate limiter's memory: how many syncs of each key failed in a row.
#[derive(Default)]
pub struct Retries(HashMap<Key, u32>);

impl Retries {
    /// After a sync: a failed one is retried after its back-off (`AddRateLimited`), a
    /// successful one resets it (`Forget`).
    pub fn after_sync(&mut self, key: &Key, failed: bool, queue: &mut WorkQueue, now_ms: u64) {
        if !failed {
            self.forget(key);
            return;
        }
        let failures = self.0.entry(key.clone()).or_default();
        queue.add_at(key.clone(), now_ms.saturating_add(backoff_ms(*failures)));
        *failures = failures.saturating_add(1);
    }
    pub fn forget(&mut self, key: &Key) {
        self.0.remove(key);
    }
}

/// `ControllerExpectations`: the pod creations and deletions a controller made but has not
/// yet seen come back through its watch. Until they arrive its cache is behind, and it must
/// not count pods again.
#[derive(Default)]
pub struct Expectations(HashMap<Key, (i64, i64)>);

impl Expectations {
    pub fn satisfied(&self, owner: &Key) -> bool {
        self.0.get(owner).is_none_or(|(adds, dels)| *adds <= 0 && *dels <= 0)
    }
    pub fn expect(&mut self, owner: &Key, adds: usize, dels: usize) {
        self.0.insert(owner.clone(), (adds as i64, dels as i64));
    }
    /// Creations and deletions that failed, and so will never be observed.
    pub fn lower(&mut self, owner: &Key, adds: usize, dels: usize) {
        if let Some((a, d)) = self.0.get_mut(owner) {
            *a -= adds as i64;
            *d -= dels as i64;
        }
    }
    pub fn forget(&mut self, owner: &Key) {
        self.0.remove(owner);
    }
    /// Applies a pod's watch event to the pod cache and counts it against the expectations of
    /// its controller, if that is of `kind`; returns that controller's key.
    pub fn observe_pod(&mut self, pods: &mut Store, event: &WatchEvent, kind: &'static str) -> Option<Key> {
        let was_deleting = pods.get(&Key::of(&event.object)).is_some_and(|p| p.metadata().deletion_timestamp.is_some());
        pods.apply(event);
        let owner = controller_key(event.object.metadata(), kind)?;
        let deleting = event.object.metadata().deletion_timestamp.is_some();
        match event.event_type {
            WatchEventType::Added => self.lower(&owner, 1, 0),
            WatchEventType::Deleted if !was_deleting => self.lower(&owner, 0, 1),
            WatchEventType::Modified if deleting && !was_deleting => self.lower(&owner, 0, 1),
            _ => {}
        }
        Some(owner)
    }
}

/// The error as Go's `err.Error()` gives it, as controllers put it in events and conditions.
pub fn error_text(e: &ApiError) -> String {
    if e.reason != Reason::Invalid {
        return e.message.clone();
    }
    let causes: Vec<String> = e.causes.iter().map(ToString::to_string).collect();
    match causes.as_slice() {
        [one] => format!("{} is invalid: {one}", e.message),
        many => format!("{} is invalid: [{}]", e.message, many.join(", ")),
    }
}

/// `slowStartBatch`: calls `create` in batches of 1, 2, 4, … (never more than remain), and
/// stops after the first batch in which a call failed. Returns the successes and the first error.
pub fn slow_start_batch(count: usize, mut create: impl FnMut() -> Result<(), String>) -> (usize, Option<String>) {
    let mut remaining = count;
    let mut successes = 0;
    let mut batch = remaining.min(1);
    while batch > 0 {
        let mut first_error = None;
        for _ in 0..batch {
            match create() {
                Ok(()) => successes += 1,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if first_error.is_some() {
            return (successes, first_error);
        }
        remaining -= batch;
        batch = (2 * batch).min(remaining);
    }
    (successes, None)
}

/// A pod from a controller's template: `generateName` `<owner>-` (which names it unless the
/// controller does), the template's labels and annotations, and the controller as its owner
/// (`GetPodFromTemplate`).
pub fn pod_from_template(template: &PodTemplateSpec, owner: &Object, name: Option<String>) -> Pod {
    let t_meta = template.metadata.clone().unwrap_or_default();
    let meta = owner.metadata();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", meta.name.as_deref().unwrap_or(""))),
            name,
            namespace: meta.namespace.clone(),
            labels: t_meta.labels,
            annotations: t_meta.annotations,
            finalizers: t_meta.finalizers,
            owner_references: Some(vec![controller_ref(owner.kind(), meta)]),
            ..Default::default()
        },
        spec: template.spec.clone(),
        status: None,
    }
}

/// `PodControl.CreatePods`: creates the pod and records SuccessfulCreate or FailedCreate.
pub fn create_pod(client: &mut Client, owner: &Object, pod: Pod) -> Result<ObjectRef, String> {
    match client.create(Object::Pod(pod)) {
        Ok(created) => {
            let name = created.metadata().name.clone().unwrap_or_default();
            client.event(owner, "Normal", "SuccessfulCreate", format!("Created pod: {name}"));
            Ok(created)
        }
        Err(e) => {
            let text = error_text(&e);
            client.event(owner, "Warning", "FailedCreate", format!("Error creating: {text}"));
            Err(text)
        }
    }
}

/// `PodControl.DeletePod`: deletes the pod and records SuccessfulDelete or FailedDelete. A pod
/// that is already gone is not an error.
pub fn delete_pod(client: &mut Client, owner: &Object, pod: &Pod) -> Result<(), String> {
    let key = pod_key(pod);
    match client.delete(&key, None) {
        Ok(_) => {
            client.event(owner, "Normal", "SuccessfulDelete", format!("Deleted pod: {}", key.name));
            Ok(())
        }
        Err(e) if e.reason == Reason::NotFound => Ok(()),
        Err(e) => {
            let text = error_text(&e);
            client.event(owner, "Warning", "FailedDelete", format!("Error deleting: {text}"));
            Err(text)
        }
    }
}

pub fn pod_key(pod: &Pod) -> Key {
    Key::new("Pod", pod.metadata.namespace.as_deref().unwrap_or(""), pod.metadata.name.as_deref().unwrap_or(""))
}

/// The pods in a store that `owner` controls.
pub fn owned_pods(pods: &Store, owner: &ObjectMeta) -> Vec<Pod> {
    pods.owned_by(owner).filter_map(|p| if let Object::Pod(p) = &**p { Some(p.clone()) } else { None }).collect()
}

/// `ClaimPods` (`PodControllerRefManager`): the pods `owner` controls, after adopting the
/// orphans its selector matches and releasing its pods that the selector no longer matches
/// (a pod relabelled out of a ReplicaSet is replaced, not deleted).
pub fn claim_pods(pods: &Store, owner: &Object, selector: &LabelSelector, client: &mut Client) -> Vec<Pod> {
    let meta = owner.metadata();
    let Ok(selector) = Selector::from_api(selector) else { return Vec::new() };
    // An empty selector would claim every pod; validation forbids it, and so does upstream.
    if selector.0.is_empty() {
        return owned_pods(pods, meta);
    }
    let mut claimed = Vec::new();
    for object in pods.values() {
        let Object::Pod(pod) = &**object else { continue };
        if pod.metadata.namespace != meta.namespace {
            continue;
        }
        let matches = selector.matches(pod.metadata.labels.as_ref());
        let key = pod_key(pod);
        match controller_of(&pod.metadata) {
            Some(c) if Some(&c.uid) == meta.uid.as_ref() => {
                if matches {
                    claimed.push(pod.clone());
                } else {
                    let _ = client.patch(&key, "update", |o| {
                        if let Some(refs) = o.metadata_mut().owner_references.as_mut() {
                            refs.retain(|r| Some(&r.uid) != meta.uid.as_ref());
                        }
                    });
                }
            }
            None if matches && pod.metadata.deletion_timestamp.is_none() && meta.deletion_timestamp.is_none() => {
                let reference = controller_ref(owner.kind(), meta);
                if let Ok(adopted) =
                    client.patch(&key, "update", |o| o.metadata_mut().owner_references.get_or_insert_with(Vec::new).push(reference))
                {
                    if let Object::Pod(p) = &*adopted {
                        claimed.push(p.clone());
                    }
                }
            }
            _ => {}
        }
    }
    claimed
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.phase.as_deref())
}

/// `IsPodActive`: not finished and not being deleted.
pub fn is_active(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none() && !matches!(phase(pod), Some("Succeeded" | "Failed"))
}

/// When the pod's Ready condition became True, if it is True.
fn ready_since(pod: &Pod) -> Option<u64> {
    let conditions = pod.status.as_ref()?.conditions.as_ref()?;
    let ready = conditions.iter().find(|c| c.type_ == "Ready" && c.status == "True")?;
    Some(ready.last_transition_time.as_ref().map_or(0, virtual_ms))
}

/// Whether the pod's Ready condition is True.
pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

/// `IsPodAvailable`: ready for more than minReadySeconds.
pub fn is_available(pod: &Pod, min_ready_seconds: i32, now_ms: u64) -> bool {
    match ready_since(pod) {
        Some(since) => min_ready_seconds <= 0 || since.saturating_add(u64::try_from(min_ready_seconds).unwrap_or(0) * 1000) < now_ms,
        None => false,
    }
}

fn node_name(pod: &Pod) -> &str {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("")
}

fn deletion_cost(pod: &Pod) -> i32 {
    let annotations = pod.metadata.annotations.as_ref();
    annotations.and_then(|a| a.get("controller.kubernetes.io/pod-deletion-cost")).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn max_restarts(pod: &Pod) -> i32 {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
    statuses.into_iter().flatten().map(|c| c.restart_count).max().unwrap_or(0)
}

/// `logarithmicRankDiff`: compares two ages in `floor(log2(nanoseconds))` buckets, so that
/// pods of about the same age count as equally old (`LogarithmicScaleDown`).
fn log_rank_diff(t1_ms: u64, t2_ms: u64, now_ms: u64) -> i64 {
    let rank = |t: u64| {
        let nanos = now_ms.saturating_sub(t).saturating_mul(1_000_000);
        if nanos == 0 {
            -1
        } else {
            i64::from(63 - nanos.leading_zeros())
        }
    };
    rank(t1_ms) - rank(t2_ms)
}

/// `getPodsToDelete`: the `count` pods to delete first, as `ActivePodsWithRanks` sorts them.
/// `related` are the pods of every ReplicaSet of the same owner: a pod whose node has more
/// of them ("doubled up") goes first.
pub fn pods_to_delete(mut pods: Vec<Pod>, related: &[Pod], count: usize, now_ms: u64) -> Vec<Pod> {
    if count < pods.len() {
        let mut on_node: HashMap<&str, usize> = HashMap::new();
        for p in related.iter().filter(|p| is_active(p)) {
            *on_node.entry(node_name(p)).or_default() += 1;
        }
        let ranks: BTreeMap<String, usize> =
            pods.iter().map(|p| (p.metadata.uid.clone().unwrap_or_default(), on_node.get(node_name(p)).copied().unwrap_or(0))).collect();
        let rank = |p: &Pod| ranks.get(p.metadata.uid.as_deref().unwrap_or("")).copied().unwrap_or(0);
        pods.sort_by(|a, b| deletion_order(a, b, rank(a), rank(b), now_ms));
    }
    pods.truncate(count);
    pods
}

/// `ActivePodsWithRanks.Less`, as an ordering: `Less` means `a` is deleted before `b`.
fn deletion_order(a: &Pod, b: &Pod, rank_a: usize, rank_b: usize, now_ms: u64) -> Ordering {
    let phase_ordinal = |p: &Pod| match phase(p) {
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    };
    let uid = |p: &Pod| p.metadata.uid.clone().unwrap_or_default();
    // 1. Unassigned before assigned.
    let (na, nb) = (node_name(a), node_name(b));
    if na != nb && (na.is_empty() || nb.is_empty()) {
        return if na.is_empty() { Ordering::Less } else { Ordering::Greater };
    }
    // 2. Pending before Unknown before Running; 3. not ready before ready.
    let order = phase_ordinal(a).cmp(&phase_ordinal(b)).then(is_ready(a).cmp(&is_ready(b)));
    // 4. Lower pod-deletion-cost first; 5. more related pods on the same node first.
    let order = order.then(deletion_cost(a).cmp(&deletion_cost(b))).then(rank_b.cmp(&rank_a));
    if order != Ordering::Equal {
        return order;
    }
    // 6. Both ready: ready for less time first (in log buckets, then by uid).
    if let (Some(ra), Some(rb)) = (ready_since(a), ready_since(b)) {
        if ra != rb {
            return match log_rank_diff(ra, rb, now_ms) {
                0 => uid(a).cmp(&uid(b)),
                d => d.cmp(&0),
            };
        }
    }
    // 7. More restarts first.
    let order = max_restarts(b).cmp(&max_restarts(a));
    if order != Ordering::Equal {
        return order;
    }
    // 8. Newer first (in log buckets, then by uid).
    let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(virtual_ms);
    match (created(a), created(b)) {
        (ca, cb) if ca == cb => Ordering::Equal,
        (Some(ca), Some(cb)) => match log_rank_diff(ca, cb, now_ms) {
            0 => uid(a).cmp(&uid(b)),
            d => d.cmp(&0),
        },
        // A pod without a creation time counts as the newest.
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apiserver::timestamp;
    use k8s_openapi::api::core::v1::{PodCondition, PodSpec, PodStatus};

    fn pod(uid: &str, node: &str, phase: &str, ready_at: Option<u64>, created_ms: u64) -> Pod {
        let conditions = ready_at.map(|t| {
            vec![PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: Some(timestamp(t)),
                ..Default::default()
            }]
        });
        Pod {
            metadata: ObjectMeta { uid: Some(uid.into()), creation_timestamp: Some(timestamp(created_ms)), ..Default::default() },
            spec: Some(PodSpec { node_name: Some(node.into()).filter(|n: &String| !n.is_empty()), ..Default::default() }),
            status: Some(PodStatus { phase: Some(phase.into()), conditions, ..Default::default() }),
        }
    }

    fn order(pods: Vec<Pod>, now_ms: u64) -> Vec<String> {
        let n = pods.len();
        pods_to_delete(pods.clone(), &pods, n - 1, now_ms).into_iter().map(|p| p.metadata.uid.unwrap_or_default()).collect()
    }

    #[test]
    fn slow_start_doubles_and_stops_at_the_first_error() {
        let mut calls = 0;
        assert_eq!(
            slow_start_batch(10, || {
                calls += 1;
                Ok(())
            }),
            (10, None)
        );
        assert_eq!(calls, 10);
        let mut calls = 0;
        let result = slow_start_batch(10, || {
            calls += 1;
            if calls == 3 {
                Err("quota".into())
            } else {
                Ok(())
            }
        });
        // Batches 1 and 2: the third call fails, the batch of 2 finishes, nothing more starts.
        assert_eq!(result, (2, Some("quota".into())));
        assert_eq!(calls, 3);
    }

    #[test]
    fn scale_down_prefers_unassigned_pending_unready_doubled_up_young_pods() {
        let now = 3_600_000;
        assert_eq!(
            order(
                vec![pod("a", "n1", "Running", Some(0), 0), pod("b", "", "Pending", None, 0), pod("c", "n2", "Running", Some(0), 0)],
                now
            )[0],
            "b"
        );
        assert_eq!(
            order(vec![pod("a", "n1", "Running", Some(0), 0), pod("b", "n2", "Pending", None, 0), pod("c", "n3", "Running", None, 0)], now),
            ["b", "c"]
        );
        // Two on n1, one on n2: one of the doubled-up pods goes first.
        let first = order(
            vec![pod("a", "n1", "Running", Some(0), 0), pod("b", "n1", "Running", Some(0), 0), pod("c", "n2", "Running", Some(0), 0)],
            now,
        );
        assert_eq!(first, ["a", "b"]);
        // Ready for 10s against ready for an hour: the recently ready one goes first.
        assert_eq!(order(vec![pod("a", "n1", "Running", Some(0), 0), pod("b", "n2", "Running", Some(now - 10_000), 0)], now), ["b"]);
        // About the same age (same log2 bucket): the uid decides.
        assert_eq!(order(vec![pod("z", "n1", "Running", Some(1_000), 0), pod("y", "n2", "Running", Some(2_000), 0)], now), ["y"]);
    }

    #[test]
    fn availability_waits_for_min_ready_seconds() {
        let p = pod("a", "n1", "Running", Some(5_000), 0);
        assert!(is_available(&p, 0, 5_000));
        assert!(!is_available(&p, 10, 15_000));
        assert!(is_available(&p, 10, 15_001));
        assert_eq!(backoff_ms(0), 5);
        assert_eq!(backoff_ms(40), 1_000_000);
    }
}
