//! The Deployment controller (`pkg/controller/deployment`): owns one ReplicaSet per pod
//! template (named by the template's hash), numbers them with revisions, rolls from old to new
//! within maxSurge and maxUnavailable (or all at once under Recreate), scales every ReplicaSet
//! in proportion when the Deployment is resized mid-rollout, keeps `revisionHistoryLimit` old
//! ReplicaSets, and reports the Available and Progressing conditions, including a rollout that
//! missed its `progressDeadlineSeconds`.
use std::cmp::Reverse;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::{controller_key, controller_ref, Key, Object, ObjectMeta};
use crate::apiserver::{timestamp, virtual_ms, Client, Reason, WatchEvent, WatchEventType};

use super::{Controller, Store, WorkQueue};

const REVISION: &str = "deployment.kubernetes.io/revision";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
/// The controller's `--deployment-controller` default for the revision-history annotation.
const MAX_REVISION_HISTORY_CHARS: usize = 2000;
const TEMPLATE_HASH: &str = "pod-template-hash";
/// Annotations of a Deployment that are not copied to its ReplicaSets (`skipCopyAnnotation`).
const NOT_COPIED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
];

#[derive(Default)]
pub struct DeploymentController {
    deployments: Store,
    replicasets: Store,
    pods: Store,
    queue: WorkQueue,
}

/// `pod-template-hash`: the FNV-32a hash of the template, as a decimal number encoded with
/// `rand.SafeEncodeString` (`controller.ComputeHash`). kubeglass hashes the template's JSON,
/// so the characters and length match upstream's although the value cannot.
pub fn pod_template_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u32::from(*b);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    };
    feed(serde_json::to_string(template).unwrap_or_default().as_bytes());
    if let Some(c) = collision_count {
        feed(c.to_string().as_bytes());
    }
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    hash.to_string().bytes().map(|c| ALPHANUMS[usize::from(c) % ALPHANUMS.len()] as char).collect()
}

/// `intstr.GetScaledValueFromIntOrPercent`: an absolute number, or a percentage of `total`
/// rounded up or down.
pub(super) fn scaled(value: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match value {
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            let product = percent.saturating_mul(i64::from(total));
            let value = if round_up { product.saturating_add(99) / 100 } else { product / 100 };
            value.clamp(0, i64::from(i32::MAX)) as i32
        }
        None => 0,
    }
}

/// `ResolveFenceposts`: maxSurge rounds up, maxUnavailable down, and both 0 means 1 unavailable.
fn resolve_fenceposts(d: &Deployment) -> (i32, i32) {
    let rolling = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.rolling_update.as_ref());
    let surge = scaled(rolling.and_then(|r| r.max_surge.as_ref()), replicas(d), true);
    let unavailable = scaled(rolling.and_then(|r| r.max_unavailable.as_ref()), replicas(d), false);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

fn is_rolling(d: &Deployment) -> bool {
    d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.type_.as_deref()) != Some("Recreate")
}

/// `MaxSurge`: 0 under Recreate.
fn max_surge(d: &Deployment) -> i32 {
    if is_rolling(d) {
        resolve_fenceposts(d).0
    } else {
        0
    }
}

/// `MaxUnavailable`: 0 under Recreate or with no replicas, and never more than the replicas.
fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling(d) || replicas(d) == 0 {
        0
    } else {
        resolve_fenceposts(d).1.min(replicas(d))
    }
}

/// `HasProgressDeadline`: set, and not math.MaxInt32 (which means "never").
fn progress_deadline(d: &Deployment) -> Option<i32> {
    d.spec.as_ref().and_then(|s| s.progress_deadline_seconds).filter(|s| *s != i32::MAX)
}

/// A sum of replica counts, saturating (a user may ask for any number of replicas).
fn total(counts: impl Iterator<Item = i32>) -> i32 {
    counts.map(i64::from).sum::<i64>().clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0)
}

fn rs_actual(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().map_or(0, |s| s.replicas)
}

fn annotation<'a>(meta: &'a ObjectMeta, name: &str) -> Option<&'a String> {
    meta.annotations.as_ref()?.get(name)
}

fn revision_of(rs: &ReplicaSet) -> i64 {
    annotation(&rs.metadata, REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

/// Creation time, then name: `ReplicaSetsByCreationTimestamp`.
fn created(rs: &ReplicaSet) -> (u64, String) {
    (rs.metadata.creation_timestamp.as_ref().map_or(0, virtual_ms), rs.metadata.name.clone().unwrap_or_default())
}

fn rs_key(rs: &ReplicaSet) -> Key {
    Key::new("ReplicaSet", rs.metadata.namespace.as_deref().unwrap_or(""), rs.metadata.name.as_deref().unwrap_or(""))
}

/// `EqualIgnoreHash`: whether two pod templates are the same apart from the hash label.
fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let strip = |t: &PodTemplateSpec| {
        let mut t = t.clone();
        if let Some(labels) = t.metadata.as_mut().and_then(|m| m.labels.as_mut()) {
            labels.remove(TEMPLATE_HASH);
        }
        t
    };
    strip(a) == strip(b)
}

/// `IsSaturated`: the new ReplicaSet has all the Deployment's replicas, all available.
fn is_saturated(d: &Deployment, rs: &ReplicaSet) -> bool {
    let desired = annotation(&rs.metadata, DESIRED_REPLICAS).and_then(|v| v.parse::<i32>().ok());
    rs_replicas(rs) == replicas(d) && desired == Some(replicas(d)) && rs_available(rs) == replicas(d)
}

/// `DeploymentComplete`.
fn is_complete(d: &Deployment, status: &DeploymentStatus) -> bool {
    let want = replicas(d);
    status.updated_replicas.unwrap_or(0) == want
        && status.replicas.unwrap_or(0) == want
        && status.available_replicas.unwrap_or(0) == want
        && status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0)
}

/// `DeploymentProgressing`: more updated, ready or available pods, or fewer old ones.
fn is_progressing(d: &Deployment, new: &DeploymentStatus) -> bool {
    let old = d.status.clone().unwrap_or_default();
    let n = |v: Option<i32>| v.unwrap_or(0);
    n(new.updated_replicas) > n(old.updated_replicas)
        || n(new.replicas) - n(new.updated_replicas) < n(old.replicas) - n(old.updated_replicas)
        || n(new.ready_replicas) > n(old.ready_replicas)
        || n(new.available_replicas) > n(old.available_replicas)
}

fn get_condition<'a>(status: Option<&'a DeploymentStatus>, type_: &str) -> Option<&'a DeploymentCondition> {
    status?.conditions.as_ref()?.iter().find(|c| c.type_ == type_)
}

fn new_condition(type_: &str, status: &str, reason: &str, message: String, now_ms: u64) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message),
        last_update_time: Some(timestamp(now_ms)),
        last_transition_time: Some(timestamp(now_ms)),
    }
}

/// `SetDeploymentCondition`: a condition with the same status and reason is left alone;
/// otherwise it replaces the old one at the end of the list, keeping its transition time
/// while the status stays the same.
fn set_condition(status: &mut DeploymentStatus, mut condition: DeploymentCondition) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    if let Some(current) = conditions.iter().find(|c| c.type_ == condition.type_) {
        if current.status == condition.status && current.reason == condition.reason {
            return;
        }
        if current.status == condition.status {
            condition.last_transition_time = current.last_transition_time.clone();
        }
    }
    conditions.retain(|c| c.type_ != condition.type_);
    conditions.push(condition);
}

fn remove_condition(status: &mut DeploymentStatus, type_: &str) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != type_);
    }
}

/// `SetReplicasAnnotations`: the desired and max replicas a ReplicaSet was last sized for,
/// which proportional scaling reads back. Returns whether anything changed.
fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let annotations = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut changed = false;
    for (name, value) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        if annotations.get(name) != Some(&value.to_string()) {
            annotations.insert(name.to_string(), value.to_string());
            changed = true;
        }
    }
    changed
}

/// `SetNewReplicaSetAnnotations`: copies the Deployment's own annotations, raises the
/// revision (a ReplicaSet brought back by a rollback keeps its former revisions in
/// `revision-history`), and sizes a brand-new ReplicaSet's replica annotations.
fn set_new_rs_annotations(d: &Deployment, rs: &mut ReplicaSet, new_revision: i64, exists: bool) -> bool {
    let annotations = rs.metadata.annotations.get_or_insert_with(BTreeMap::new);
    let mut changed = false;
    for (k, v) in d.metadata.annotations.iter().flatten() {
        if !NOT_COPIED.contains(&k.as_str()) && annotations.get(k) != Some(v) {
            annotations.insert(k.clone(), v.clone());
            changed = true;
        }
    }
    let old_revision = annotations.get(REVISION).cloned().unwrap_or_default();
    if old_revision.parse::<i64>().unwrap_or(0) < new_revision {
        annotations.insert(REVISION.to_string(), new_revision.to_string());
        changed = true;
        if !old_revision.is_empty() {
            let history = annotations.get(REVISION_HISTORY).cloned().unwrap_or_default();
            let mut entries: Vec<&str> = history.split(',').filter(|e| !e.is_empty()).collect();
            let mut total = history.len() + old_revision.len() + 1;
            while total > MAX_REVISION_HISTORY_CHARS && !entries.is_empty() {
                total -= entries.remove(0).len() + 1;
            }
            entries.push(&old_revision);
            annotations.insert(REVISION_HISTORY.to_string(), entries.join(","));
        }
    }
    if !exists && set_replicas_annotations(rs, replicas(d), replicas(d).saturating_add(max_surge(d))) {
        changed = true;
    }
    changed
}

/// `NewRSNewReplicas`: how far the new ReplicaSet may grow now.
fn new_rs_new_replicas(d: &Deployment, all_replicas: i32, new_replicas: i32) -> i32 {
    if !is_rolling(d) {
        return replicas(d);
    }
    let max_total = replicas(d).saturating_add(max_surge(d));
    if all_replicas >= max_total {
        return new_replicas;
    }
    new_replicas + (max_total - all_replicas).min(replicas(d) - new_replicas)
}

/// `getReplicaSetFraction`: how many replicas a ReplicaSet gains or loses when the Deployment
/// is resized, in proportion to the size it was last given (its max-replicas annotation).
fn replica_set_fraction(d: &Deployment, rs: &ReplicaSet) -> i32 {
    if replicas(d) == 0 {
        return -rs_replicas(rs);
    }
    let deployment_replicas = f64::from(replicas(d).saturating_add(max_surge(d)));
    let annotated = annotation(&rs.metadata, MAX_REPLICAS)
        .and_then(|v| v.parse::<i32>().ok())
        .unwrap_or_else(|| d.status.as_ref().and_then(|s| s.replicas).unwrap_or(0));
    if annotated <= 0 {
        return 0;
    }
    let size = f64::from(rs_replicas(rs)) * deployment_replicas / f64::from(annotated);
    // integer.RoundToInt32 rounds halves away from zero, as f64::round does.
    size.round().clamp(0.0, f64::from(i32::MAX)) as i32 - rs_replicas(rs)
}

/// One sync's view of a Deployment and its ReplicaSets, kept current as the sync writes.
struct Rollout {
    d: Deployment,
    /// The Deployment's revision annotation changed and is not yet written.
    revision_changed: bool,
    new: Option<ReplicaSet>,
    old: Vec<ReplicaSet>,
}

impl Rollout {
    fn d_obj(&self) -> Object {
        Object::Deployment(self.d.clone())
    }
    fn all(&self) -> impl Iterator<Item = &ReplicaSet> {
        self.old.iter().chain(self.new.iter())
    }
    fn name(&self) -> String {
        self.d.metadata.name.clone().unwrap_or_default()
    }
}

impl Controller for DeploymentController {
    fn name(&self) -> &'static str {
        "deployment-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Deployment(_) | Object::ReplicaSet(_) | Object::Pod(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::Deployment(_) => {
                self.deployments.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::ReplicaSet(rs) => {
                self.replicasets.apply(event);
                if let Some(owner) = controller_key(&rs.metadata, "Deployment") {
                    self.queue.add(owner);
                }
            }
            Object::Pod(pod) => {
                self.pods.apply(event);
                // A Recreate rollout waits for the old pods to be gone (`deletePod`).
                if event.event_type != WatchEventType::Deleted {
                    return;
                }
                let rs = controller_key(&pod.metadata, "ReplicaSet").and_then(|k| self.replicasets.get(&k).cloned());
                if let Some(owner) = rs.and_then(|rs| controller_key(rs.metadata(), "Deployment")) {
                    let recreate = self.deployments.get(&owner).is_some_and(|d| matches!(&**d, Object::Deployment(d) if !is_rolling(d)));
                    if recreate {
                        self.queue.add(owner);
                    }
                }
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    /// `syncDeployment`.
    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(Object::Deployment(d)) = self.deployments.get(key).map(|o| (**o).clone()) else { return };
        if d.spec.is_none() || d.metadata.deletion_timestamp.is_some() {
            return;
        }
        let mut owned: Vec<ReplicaSet> = self
            .replicasets
            .owned_by(&d.metadata)
            .filter_map(|rs| if let Object::ReplicaSet(rs) = &**rs { Some(rs.clone()) } else { None })
            .collect();
        owned.sort_by_key(created);
        let template = d.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
        // `FindNewReplicaSet`: the oldest ReplicaSet whose template is the Deployment's.
        let new_index =
            owned.iter().position(|rs| rs.spec.as_ref().and_then(|s| s.template.as_ref()).is_some_and(|t| equal_ignore_hash(t, &template)));
        let new = new_index.map(|i| owned.remove(i));
        let mut r = Rollout { d, revision_changed: false, new, old: owned };

        self.check_paused_conditions(&mut r, client);
        let paused = r.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        sync_revision(&mut r, false, client);
        if paused || is_scaling_event(&r) {
            scale(&mut r, client);
            if paused {
                cleanup(&r, client);
            }
            let status = calculate_status(&r, client.now_ms());
            write_status(&mut r, status, client);
        } else if is_rolling(&r.d) {
            self.rollout_rolling(&mut r, client);
        } else {
            self.rollout_recreate(&mut r, client);
        }
    }
}

impl DeploymentController {
    /// `checkPausedConditions`: Progressing becomes Unknown with DeploymentPaused, and
    /// DeploymentResumed when the pause ends, so a long pause is not taken for a stuck rollout.
    fn check_paused_conditions(&self, r: &mut Rollout, client: &mut Client) {
        if progress_deadline(&r.d).is_none() {
            return;
        }
        let reason = get_condition(r.d.status.as_ref(), "Progressing").and_then(|c| c.reason.clone());
        if reason.as_deref() == Some("ProgressDeadlineExceeded") {
            return;
        }
        let paused = r.d.spec.as_ref().and_then(|s| s.paused).unwrap_or(false);
        let was_paused = reason.as_deref() == Some("DeploymentPaused");
        let (reason, message) = match (paused, was_paused) {
            (true, false) => ("DeploymentPaused", "Deployment is paused"),
            (false, true) => ("DeploymentResumed", "Deployment is resumed"),
            _ => return,
        };
        let mut status = r.d.status.clone().unwrap_or_default();
        set_condition(&mut status, new_condition("Progressing", "Unknown", reason, message.to_string(), client.now_ms()));
        write_status(r, status, client);
    }

    /// `rolloutRolling`: grow the new ReplicaSet within maxSurge, then shrink the old ones
    /// within maxUnavailable; once complete, prune the history.
    fn rollout_rolling(&mut self, r: &mut Rollout, client: &mut Client) {
        if r.new.is_none() {
            sync_revision(r, true, client);
        }
        if r.new.is_none() {
            return;
        }
        if !reconcile_new_replica_set(r, client)
            && !reconcile_old_replica_sets(r, client)
            && is_complete(&r.d, &r.d.status.clone().unwrap_or_default())
        {
            cleanup(r, client);
        }
        if !sync_rollout_status(r, client) {
            self.requeue_stuck(r, client.now_ms());
        }
    }

    /// `rolloutRecreate`: every old pod goes first, then the new ReplicaSet gets all replicas.
    fn rollout_recreate(&mut self, r: &mut Rollout, client: &mut Client) {
        let mut scaled_down = false;
        for i in 0..r.old.len() {
            if rs_replicas(&r.old[i]) > 0 {
                scaled_down |= scale_and_record(&r.d, &mut r.old[i], 0, client);
            }
        }
        if !scaled_down && !self.old_pods_running(r) {
            if r.new.is_none() {
                sync_revision(r, true, client);
            }
            let d = r.d.clone();
            if let Some(new) = r.new.as_mut() {
                scale_and_record(&d, new, replicas(&d), client);
            }
            if is_complete(&r.d, &r.d.status.clone().unwrap_or_default()) {
                cleanup(r, client);
            }
        }
        if !sync_rollout_status(r, client) {
            self.requeue_stuck(r, client.now_ms());
        }
    }

    /// `oldPodsRunning`: old ReplicaSets still report pods, or a pod of theirs (even one
    /// terminating) has not finished.
    fn old_pods_running(&self, r: &Rollout) -> bool {
        if total(r.old.iter().map(rs_actual)) > 0 {
            return true;
        }
        r.old.iter().any(|rs| {
            self.pods.owned_by(&rs.metadata).any(|p| match &**p {
                Object::Pod(p) => !matches!(p.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Succeeded" | "Failed")),
                _ => false,
            })
        })
    }

    /// `requeueStuckDeployment`: a rollout that is not progressing is looked at again just
    /// after its deadline, so it times out without waiting for another event.
    fn requeue_stuck(&mut self, r: &Rollout, now_ms: u64) {
        let Some(deadline) = progress_deadline(&r.d) else { return };
        let status = r.d.status.clone().unwrap_or_default();
        let Some(cond) = get_condition(Some(&status), "Progressing") else { return };
        if is_complete(&r.d, &status) || cond.reason.as_deref() == Some("ProgressDeadlineExceeded") {
            return;
        }
        let last_update = cond.last_update_time.as_ref().map_or(now_ms, virtual_ms);
        let due = last_update.saturating_add(u64::try_from(deadline).unwrap_or(0).saturating_mul(1000));
        // Upstream adds a second "to avoid milliseconds skew in AddAfter".
        let due = due.max(now_ms).saturating_add(1000);
        self.queue.add_at(Key::of(&r.d_obj()), due);
    }
}

/// `getNewReplicaSet`: brings an existing new ReplicaSet's annotations (and minReadySeconds)
/// up to date, or creates it, and copies its revision to the Deployment.
fn sync_revision(r: &mut Rollout, create: bool, client: &mut Client) {
    let new_revision = r.old.iter().map(revision_of).max().unwrap_or(0).saturating_add(1);
    let now = client.now_ms();
    let min_ready = r.d.spec.as_ref().and_then(|s| s.min_ready_seconds);
    if let Some(existing) = r.new.as_mut() {
        let mut copy = existing.clone();
        let annotations_changed = set_new_rs_annotations(&r.d, &mut copy, new_revision, true);
        let spec = copy.spec.get_or_insert_with(Default::default);
        if annotations_changed || spec.min_ready_seconds.unwrap_or(0) != min_ready.unwrap_or(0) {
            spec.min_ready_seconds = min_ready;
            if let Some(updated) = update_replica_set(&copy, client) {
                *existing = updated;
            }
            return;
        }
        let name = existing.metadata.name.clone().unwrap_or_default();
        let mut status = r.d.status.clone().unwrap_or_default();
        r.revision_changed |= set_deployment_revision(&mut r.d, new_revision);
        if progress_deadline(&r.d).is_some() && get_condition(Some(&status), "Progressing").is_none() {
            set_condition(
                &mut status,
                new_condition("Progressing", "True", "FoundNewReplicaSet", format!("Found new replica set {name:?}"), now),
            );
        }
        write_status(r, status, client);
        return;
    }
    if !create {
        return;
    }
    let Some(spec) = r.d.spec.clone() else { return };
    let collision_count = r.d.status.as_ref().and_then(|s| s.collision_count);
    let hash = pod_template_hash(&spec.template, collision_count);
    let mut template = spec.template.clone();
    template
        .metadata
        .get_or_insert_with(Default::default)
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(TEMPLATE_HASH.into(), hash.clone());
    let mut selector = spec.selector.clone();
    selector.match_labels.get_or_insert_with(BTreeMap::new).insert(TEMPLATE_HASH.into(), hash.clone());
    let all = total(r.old.iter().map(rs_replicas));
    let count = new_rs_new_replicas(&r.d, all, 0);
    let name = format!("{}-{hash}", r.name());
    let mut rs = ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: r.d.metadata.namespace.clone(),
            labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
            owner_references: Some(vec![controller_ref(crate::api::info("Deployment"), &r.d.metadata)]),
            ..Default::default()
        },
        spec: Some(ReplicaSetSpec { replicas: Some(count), selector, template: Some(template), min_ready_seconds: min_ready }),
        status: None,
    };
    set_new_rs_annotations(&r.d, &mut rs, new_revision, false);
    let mut status = r.d.status.clone().unwrap_or_default();
    match client.create(Object::ReplicaSet(rs)) {
        Ok(created) => {
            let Object::ReplicaSet(created) = &*created else { return };
            if count > 0 {
                client.event(&r.d_obj(), "Normal", "ScalingReplicaSet", format!("Scaled up replica set {name} from 0 to {count}"));
            }
            r.new = Some(created.clone());
            r.revision_changed |= set_deployment_revision(&mut r.d, new_revision);
            if progress_deadline(&r.d).is_some() {
                set_condition(
                    &mut status,
                    new_condition("Progressing", "True", "NewReplicaSetCreated", format!("Created new replica set {name:?}"), now),
                );
            }
            write_status(r, status, client);
        }
        Err(e) if e.reason == Reason::AlreadyExists => {
            // A ReplicaSet of that name with another template: a hash collision. Counting it
            // changes the hash, and the status update brings the Deployment back.
            status.collision_count = Some(collision_count.unwrap_or(0).saturating_add(1));
            write_status(r, status, client);
        }
        Err(e) => {
            let message = format!("Failed to create new replica set {name:?}: {}", e.message);
            if progress_deadline(&r.d).is_some() {
                set_condition(&mut status, new_condition("Progressing", "False", "ReplicaSetCreateError", message.clone(), now));
                write_status(r, status, client);
            }
            client.event(&r.d_obj(), "Warning", "ReplicaSetCreateError", message);
        }
    }
}

/// `SetDeploymentRevision`.
fn set_deployment_revision(d: &mut Deployment, revision: i64) -> bool {
    let annotations = d.metadata.annotations.get_or_insert_with(BTreeMap::new);
    if annotations.get(REVISION) == Some(&revision.to_string()) {
        return false;
    }
    annotations.insert(REVISION.to_string(), revision.to_string());
    true
}

/// Writes the Deployment's status (and its revision annotation, which upstream sends in the
/// same UpdateStatus call), unless nothing changed. Returns whether it wrote.
fn write_status(r: &mut Rollout, status: DeploymentStatus, client: &mut Client) -> bool {
    if r.d.status.as_ref() == Some(&status) && !r.revision_changed {
        return false;
    }
    let revision = annotation(&r.d.metadata, REVISION).cloned();
    let written = client.patch(&Key::of(&r.d_obj()), "update status", |o| {
        if let Object::Deployment(d) = o {
            d.status = Some(status);
            if let Some(revision) = revision {
                d.metadata.annotations.get_or_insert_with(BTreeMap::new).insert(REVISION.to_string(), revision);
            }
        }
    });
    match written.as_deref() {
        Ok(Object::Deployment(d)) => {
            r.d = d.clone();
            r.revision_changed = false;
            true
        }
        _ => false,
    }
}

/// Writes a changed ReplicaSet's annotations and spec; returns it as stored.
fn update_replica_set(rs: &ReplicaSet, client: &mut Client) -> Option<ReplicaSet> {
    let (annotations, spec) = (rs.metadata.annotations.clone(), rs.spec.clone());
    let written = client
        .patch(&rs_key(rs), "update", |o| {
            if let Object::ReplicaSet(rs) = o {
                rs.metadata.annotations = annotations;
                rs.spec = spec;
            }
        })
        .ok()?;
    match &*written {
        Object::ReplicaSet(rs) => Some(rs.clone()),
        _ => None,
    }
}

/// `isScalingEvent`: an active ReplicaSet was sized for another replica count.
fn is_scaling_event(r: &Rollout) -> bool {
    let want = replicas(&r.d);
    r.all()
        .filter(|rs| rs_replicas(rs) > 0)
        .filter_map(|rs| annotation(&rs.metadata, DESIRED_REPLICAS).and_then(|v| v.parse::<i32>().ok()))
        .any(|desired| desired != want)
}

/// `scale`: a resize of the Deployment. One active ReplicaSet takes it all; a saturated new
/// ReplicaSet retires the old ones; mid-rollout every active ReplicaSet grows or shrinks in
/// proportion to its size, the leftovers going to the largest.
fn scale(r: &mut Rollout, client: &mut Client) {
    let want = replicas(&r.d);
    let d = r.d.clone();
    let active = r.all().filter(|rs| rs_replicas(rs) > 0).count();
    // `FindActiveOrLatest`.
    let target = match active {
        0 => r.new.as_mut().or_else(|| r.old.iter_mut().max_by_key(|rs| created(rs))),
        1 => r.old.iter_mut().chain(r.new.iter_mut()).find(|rs| rs_replicas(rs) > 0),
        _ => None,
    };
    if let Some(rs) = target {
        scale_and_record(&d, rs, want, client);
        return;
    }
    if r.new.as_ref().is_some_and(|new| is_saturated(&d, new)) {
        for rs in r.old.iter_mut().filter(|rs| rs_replicas(rs) > 0) {
            scale_and_record(&d, rs, 0, client);
        }
        return;
    }
    if !is_rolling(&d) {
        return;
    }
    let mut active: Vec<&mut ReplicaSet> = r.old.iter_mut().chain(r.new.iter_mut()).filter(|rs| rs_replicas(rs) > 0).collect();
    let current = total(active.iter().map(|rs| rs_replicas(rs)));
    let allowed = if want > 0 { want.saturating_add(max_surge(&d)) } else { 0 };
    let to_add = allowed - current;
    let operation = if to_add > 0 {
        // `ReplicaSetsBySizeNewer`.
        active.sort_by_key(|rs| (Reverse(rs_replicas(rs)), Reverse(created(rs))));
        "up"
    } else if to_add < 0 {
        // `ReplicaSetsBySizeOlder`.
        active.sort_by_key(|rs| (Reverse(rs_replicas(rs)), created(rs)));
        "down"
    } else {
        ""
    };
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(active.len());
    for rs in &active {
        // `GetProportion`.
        let proportion = if to_add == 0 || to_add == added {
            0
        } else if to_add > 0 {
            replica_set_fraction(&d, rs).min(to_add.saturating_sub(added))
        } else {
            replica_set_fraction(&d, rs).max(to_add.saturating_sub(added))
        };
        sizes.push(rs_replicas(rs).saturating_add(proportion));
        added = added.saturating_add(proportion);
    }
    if let Some(first) = sizes.first_mut() {
        *first = first.saturating_add(to_add.saturating_sub(added)).max(0);
    }
    for (rs, size) in active.into_iter().zip(sizes) {
        scale_replica_set(&d, rs, size, operation, client);
    }
}

/// `reconcileNewReplicaSet`: grows the new ReplicaSet as far as maxSurge allows (or shrinks
/// it when it has more than the Deployment wants). Returns whether it scaled.
fn reconcile_new_replica_set(r: &mut Rollout, client: &mut Client) -> bool {
    let want = replicas(&r.d);
    let all = total(r.all().map(rs_replicas));
    let d = r.d.clone();
    let Some(new) = r.new.as_mut() else { return false };
    let current = rs_replicas(new);
    if current == want {
        return false;
    }
    let target = if current > want { want } else { new_rs_new_replicas(&d, all, current) };
    scale_and_record(&d, new, target, client)
}

/// `reconcileOldReplicaSets`: shrinks old ReplicaSets, never below `replicas −
/// maxUnavailable` available pods: first their unavailable pods, then available ones, oldest
/// ReplicaSet first. Returns whether it scaled.
fn reconcile_old_replica_sets(r: &mut Rollout, client: &mut Client) -> bool {
    if total(r.old.iter().map(rs_replicas)) == 0 {
        return false;
    }
    let d = r.d.clone();
    let min_available = replicas(&d) - max_unavailable(&d);
    let new_unavailable = r.new.as_ref().map_or(0, |n| rs_replicas(n) - rs_available(n));
    let all = total(r.all().map(rs_replicas));
    let max_scaled_down = all.saturating_sub(min_available).saturating_sub(new_unavailable);
    if max_scaled_down <= 0 {
        return false;
    }
    r.old.sort_by_key(created);
    // `cleanupUnhealthyReplicas`.
    let mut cleaned = 0;
    for rs in r.old.iter_mut() {
        if cleaned >= max_scaled_down {
            break;
        }
        let unhealthy = rs_replicas(rs) - rs_available(rs);
        if rs_replicas(rs) == 0 || unhealthy <= 0 {
            continue;
        }
        let count = unhealthy.min(max_scaled_down - cleaned);
        let target = rs_replicas(rs) - count;
        if scale_and_record(&d, rs, target, client) {
            cleaned = cleaned.saturating_add(count);
        }
    }
    // `scaleDownOldReplicaSetsForRollingUpdate`.
    let available = total(r.all().map(rs_available));
    let mut scaled = 0;
    if available > min_available {
        let budget = available - min_available;
        for rs in r.old.iter_mut() {
            if scaled >= budget {
                break;
            }
            if rs_replicas(rs) == 0 {
                continue;
            }
            let count = rs_replicas(rs).min(budget - scaled);
            let target = rs_replicas(rs) - count;
            if scale_and_record(&d, rs, target, client) {
                scaled = scaled.saturating_add(count);
            }
        }
    }
    cleaned.saturating_add(scaled) > 0
}

/// `cleanupDeployment`: deletes the oldest ReplicaSets beyond `revisionHistoryLimit`, but
/// only those scaled to 0 with no pods left and their spec observed.
fn cleanup(r: &Rollout, client: &mut Client) {
    let Some(limit) = r.d.spec.as_ref().and_then(|s| s.revision_history_limit) else { return };
    let mut cleanable: Vec<&ReplicaSet> = r.old.iter().filter(|rs| rs.metadata.deletion_timestamp.is_none()).collect();
    let excess = cleanable.len() as i64 - i64::from(limit);
    if excess <= 0 {
        return;
    }
    cleanable.sort_by_key(|rs| (revision_of(rs), created(rs)));
    for rs in cleanable.into_iter().take(excess as usize) {
        let observed = rs.status.as_ref().and_then(|s| s.observed_generation).unwrap_or(0);
        if rs_actual(rs) != 0 || rs_replicas(rs) != 0 || rs.metadata.generation.unwrap_or(0) > observed {
            continue;
        }
        let _ = client.delete(&rs_key(rs), None);
    }
}

/// `calculateStatus`: counts over every ReplicaSet, and the Available condition.
fn calculate_status(r: &Rollout, now_ms: u64) -> DeploymentStatus {
    let sum = |f: fn(&ReplicaSet) -> i32| total(r.all().map(f));
    let available = sum(rs_available);
    let unavailable = (sum(rs_replicas) - available).max(0);
    let positive = |n: i32| Some(n).filter(|n| *n > 0);
    let mut status = DeploymentStatus {
        observed_generation: r.d.metadata.generation,
        replicas: positive(sum(rs_actual)),
        updated_replicas: positive(r.new.as_ref().map_or(0, rs_actual)),
        ready_replicas: positive(sum(|rs| rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0))),
        available_replicas: positive(available),
        unavailable_replicas: positive(unavailable),
        collision_count: r.d.status.as_ref().and_then(|s| s.collision_count),
        conditions: r.d.status.as_ref().and_then(|s| s.conditions.clone()),
        ..Default::default()
    };
    let condition = if available >= replicas(&r.d) - max_unavailable(&r.d) {
        new_condition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.".into(), now_ms)
    } else {
        new_condition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.".into(), now_ms)
    };
    set_condition(&mut status, condition);
    status
}

/// `syncRolloutStatus`: the status, and the Progressing condition: successfully progressed,
/// progressing (its lastUpdateTime moves with every step), or timed out. Returns whether the
/// status changed.
fn sync_rollout_status(r: &mut Rollout, client: &mut Client) -> bool {
    let now = client.now_ms();
    let mut status = calculate_status(r, now);
    let Some(deadline) = progress_deadline(&r.d) else {
        remove_condition(&mut status, "Progressing");
        return write_status(r, status, client);
    };
    let current = get_condition(r.d.status.as_ref(), "Progressing").cloned();
    let done = status.replicas == status.updated_replicas
        && current.as_ref().is_some_and(|c| c.reason.as_deref() == Some("NewReplicaSetAvailable"));
    let rs_name = r.new.as_ref().and_then(|rs| rs.metadata.name.clone());
    let subject = match &rs_name {
        Some(name) => format!("ReplicaSet {name:?}"),
        None => format!("Deployment {:?}", r.name()),
    };
    if !done {
        if is_complete(&r.d, &status) {
            set_condition(
                &mut status,
                new_condition("Progressing", "True", "NewReplicaSetAvailable", format!("{subject} has successfully progressed."), now),
            );
        } else if is_progressing(&r.d, &status) {
            let mut condition = new_condition("Progressing", "True", "ReplicaSetUpdated", format!("{subject} is progressing."), now);
            if let Some(current) = current.as_ref().filter(|c| c.status == "True") {
                condition.last_transition_time = current.last_transition_time.clone();
            }
            remove_condition(&mut status, "Progressing");
            set_condition(&mut status, condition);
        } else if timed_out(&status, deadline, now) {
            set_condition(
                &mut status,
                new_condition("Progressing", "False", "ProgressDeadlineExceeded", format!("{subject} has timed out progressing."), now),
            );
        }
    }
    // `getReplicaFailures`: a ReplicaSet that cannot make pods (the new one first) says why.
    let failure = r.new.iter().chain(r.old.iter()).find_map(|rs| {
        let c = rs.status.as_ref()?.conditions.as_ref()?.iter().find(|c| c.type_ == "ReplicaFailure")?;
        Some(DeploymentCondition {
            type_: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone(),
            message: c.message.clone(),
            last_update_time: c.last_transition_time.clone(),
            last_transition_time: c.last_transition_time.clone(),
        })
    });
    match failure {
        Some(condition) => set_condition(&mut status, condition),
        None => remove_condition(&mut status, "ReplicaFailure"),
    }
    write_status(r, status, client)
}

/// `DeploymentTimedOut`: the Progressing condition has not moved for progressDeadlineSeconds.
fn timed_out(status: &DeploymentStatus, deadline: i32, now_ms: u64) -> bool {
    let Some(condition) = get_condition(Some(status), "Progressing") else { return false };
    match condition.reason.as_deref() {
        Some("NewReplicaSetAvailable") => false,
        Some("ProgressDeadlineExceeded") => true,
        _ => {
            let from = condition.last_update_time.as_ref().map_or(now_ms, virtual_ms);
            from.saturating_add(u64::try_from(deadline).unwrap_or(0).saturating_mul(1000)) < now_ms
        }
    }
}

/// `scaleReplicaSetAndRecordEvent`.
fn scale_and_record(d: &Deployment, rs: &mut ReplicaSet, replicas: i32, client: &mut Client) -> bool {
    let from = rs_replicas(rs);
    if from == replicas {
        return false;
    }
    let operation = if from < replicas { "up" } else { "down" };
    scale_replica_set(d, rs, replicas, operation, client)
}

/// `scaleReplicaSet`: sets a ReplicaSet's replicas and its desired/max annotations, and
/// records the `ScalingReplicaSet` event when the size changed.
fn scale_replica_set(d: &Deployment, rs: &mut ReplicaSet, replicas_: i32, operation: &str, client: &mut Client) -> bool {
    let from = rs_replicas(rs);
    let mut copy = rs.clone();
    let annotations_changed = set_replicas_annotations(&mut copy, replicas(d), replicas(d).saturating_add(max_surge(d)));
    if from == replicas_ && !annotations_changed {
        return false;
    }
    copy.spec.get_or_insert_with(Default::default).replicas = Some(replicas_);
    let Some(updated) = update_replica_set(&copy, client) else { return false };
    *rs = updated;
    if from == replicas_ {
        return false;
    }
    let name = rs.metadata.name.clone().unwrap_or_default();
    client.event(
        &Object::Deployment(d.clone()),
        "Normal",
        "ScalingReplicaSet",
        format!("Scaled {operation} replica set {name} from {from} to {replicas_}"),
    );
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment};

    fn deployment(replicas: i32, surge: &str, unavailable: &str) -> Deployment {
        Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                strategy: Some(DeploymentStrategy {
                    type_: Some("RollingUpdate".into()),
                    rolling_update: Some(RollingUpdateDeployment {
                        max_surge: Some(IntOrString::String(surge.into())),
                        max_unavailable: Some(IntOrString::String(unavailable.into())),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn replica_set(replicas: i32, max_replicas: i32) -> ReplicaSet {
        let mut rs = ReplicaSet { spec: Some(ReplicaSetSpec { replicas: Some(replicas), ..Default::default() }), ..Default::default() };
        set_replicas_annotations(&mut rs, 0, max_replicas);
        rs
    }

    #[test]
    fn fenceposts_match_upstream() {
        let d = |surge, unavailable, replicas| {
            let d = deployment(replicas, surge, unavailable);
            (max_surge(&d), max_unavailable(&d))
        };
        assert_eq!(resolve_fenceposts(&deployment(0, "0%", "0%")), (0, 1));
        assert_eq!(d("0%", "0%", 0), (0, 0), "MaxUnavailable is 0 without replicas");
        assert_eq!(d("39%", "39%", 10), (4, 3));
        assert_eq!(d("25%", "25%", 3), (1, 0));
        assert_eq!(d("25%", "25%", 10), (3, 2));
    }

    #[test]
    fn template_hash_uses_safe_encoding() {
        let h = pod_template_hash(&PodTemplateSpec::default(), None);
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        assert_ne!(h, pod_template_hash(&PodTemplateSpec::default(), Some(1)));
    }

    #[test]
    fn a_rolled_back_replica_set_keeps_its_old_revisions() {
        let d = deployment(3, "25%", "25%");
        let mut rs = ReplicaSet::default();
        assert!(set_new_rs_annotations(&d, &mut rs, 1, false));
        assert_eq!(annotation(&rs.metadata, MAX_REPLICAS).map(String::as_str), Some("4"));
        assert!(set_new_rs_annotations(&d, &mut rs, 3, true));
        assert!(set_new_rs_annotations(&d, &mut rs, 5, true));
        assert_eq!(annotation(&rs.metadata, REVISION).map(String::as_str), Some("5"));
        assert_eq!(annotation(&rs.metadata, REVISION_HISTORY).map(String::as_str), Some("1,3"));
        assert!(!set_new_rs_annotations(&d, &mut rs, 4, true), "a lower revision changes nothing");
    }

    #[test]
    fn proportions_follow_the_max_replicas_annotation() {
        // 10 replicas mid-rollout (surge 3: 8 old + 5 new = 13), resized to 20 (surge 5).
        let d = deployment(20, "25%", "25%");
        assert_eq!(replica_set_fraction(&d, &replica_set(8, 13)), 7, "8 × 25 / 13 = 15.4");
        assert_eq!(replica_set_fraction(&d, &replica_set(5, 13)), 5, "5 × 25 / 13 = 9.6");
        assert_eq!(replica_set_fraction(&deployment(0, "25%", "25%"), &replica_set(5, 13)), -5);
    }

    #[test]
    fn the_new_replica_set_grows_within_max_surge() {
        let d = deployment(4, "25%", "25%");
        assert_eq!(new_rs_new_replicas(&d, 4, 0), 1);
        assert_eq!(new_rs_new_replicas(&d, 5, 1), 1);
        assert_eq!(new_rs_new_replicas(&d, 3, 1), 3);
    }

    #[test]
    fn absurd_replica_counts_saturate() {
        let d = deployment(i32::MAX, "100%", "100%");
        assert_eq!(max_surge(&d), i32::MAX);
        assert_eq!(new_rs_new_replicas(&d, 0, 0), i32::MAX);
        assert_eq!(total([i32::MAX, i32::MAX].into_iter()), i32::MAX);
        assert_eq!(replica_set_fraction(&d, &replica_set(i32::MAX, 1)), 0);
    }

    #[test]
    fn a_changed_condition_moves_to_the_end() {
        let mut status = DeploymentStatus::default();
        set_condition(&mut status, new_condition("Progressing", "True", "NewReplicaSetCreated", "a".into(), 0));
        set_condition(&mut status, new_condition("Available", "False", "MinimumReplicasUnavailable", "b".into(), 0));
        set_condition(&mut status, new_condition("Progressing", "True", "ReplicaSetUpdated", "c".into(), 5000));
        let conditions = status.conditions.unwrap_or_default();
        let types: Vec<&str> = conditions.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, ["Available", "Progressing"]);
        assert_eq!(conditions[1].last_transition_time, Some(timestamp(0)), "the status stayed True");
        assert_eq!(conditions[1].last_update_time, Some(timestamp(5000)));
    }
}
