//! The API server: the only door to etcd.
//!
//! Every component (and kubectl) reaches the cluster's state through a [`Client`], which names
//! the caller. A write is decoded, defaulted, admitted and validated here, then persisted to
//! etcd with a compare-and-swap on the key's revision. Every request is recorded in the audit
//! log as a [`Message`], and the watch fan-out reads etcd's history to produce [`WatchEvent`]s.
mod admission;
mod allocator;
mod audit;
mod bootstrap;
mod defaults;
mod errors;
mod etcd_snapshot;
mod eviction;
mod metrics;

use std::fmt;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{EventSource, ObjectReference, PodCondition, PodStatus};

pub use admission::{format_quantity, usage as quota_usage};
pub use audit::{Component, Message};
pub use bootstrap::create_system_objects;
pub use errors::{ApiError, Reason};

use crate::api::validation;
use crate::api::{kind_info, Event, Key, KindInfo, Object, ObjectRef, Time};
use crate::etcd::{Etcd, WriteError};
use crate::rng::Rng;

/// Virtual time 0 as wall-clock time: 2026-01-01T00:00:00Z. Timestamps are derived from it so
/// that a transcript never depends on the machine's clock.
pub const EPOCH_SECONDS: i64 = 1_767_225_600;

/// An API timestamp (second precision, as `metav1.Time` serializes) for a virtual instant.
pub fn timestamp(now_ms: u64) -> Time {
    let seconds = EPOCH_SECONDS + (now_ms / 1000) as i64;
    Time(k8s_openapi::jiff::Timestamp::from_second(seconds).unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH))
}

/// Milliseconds of virtual time at an API timestamp (the inverse of [`timestamp`]).
pub fn virtual_ms(time: &Time) -> u64 {
    (time.0.as_second() - EPOCH_SECONDS).max(0) as u64 * 1000
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl fmt::Display for WatchEventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        })
    }
}

/// One watch event, as a watcher of the object's kind receives it.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub event_type: WatchEventType,
    pub object: ObjectRef,
}

/// The watch event a change of etcd's history is.
fn watch_event(change: &crate::etcd::Change) -> Option<WatchEvent> {
    match (&change.value, &change.prev) {
        (Some(v), None) => Some(WatchEvent { event_type: WatchEventType::Added, object: v.clone() }),
        (Some(v), Some(_)) => Some(WatchEvent { event_type: WatchEventType::Modified, object: v.clone() }),
        (None, Some(p)) => Some(WatchEvent { event_type: WatchEventType::Deleted, object: p.clone() }),
        (None, None) => None,
    }
}

/// The etcd key of an object: `/registry/<resource>/<namespace>/<name>`, as kube-apiserver lays it out.
fn storage_key(key: &Key) -> String {
    let resource = kind_info(key.kind).map_or(key.kind, |k| k.resource);
    if key.namespace.is_empty() {
        format!("/registry/{resource}/{}", key.name)
    } else {
        format!("/registry/{resource}/{}/{}", key.namespace, key.name)
    }
}

fn storage_prefix(kind: &KindInfo, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if kind.namespaced => format!("/registry/{}/{ns}/", kind.resource),
        _ => format!("/registry/{}/", kind.resource),
    }
}

/// How often kube-apiserver compacts etcd (`--etcd-compaction-interval`, 5m).
pub const COMPACTION_INTERVAL_MS: u64 = 5 * 60 * 1000;

#[derive(Default)]
pub struct ApiServer {
    etcd: Etcd,
    now_ms: u64,
    audit: Vec<Message>,
    /// How far the watch fan-out has read etcd's history.
    watched_revision: i64,
    /// The compactor's last tick: (virtual time, etcd's revision then).
    compactor: (u64, i64),
    /// metrics.k8s.io: CPU millicores by pod, from the last scrape (see `metrics`).
    pod_metrics: std::collections::BTreeMap<Key, u64>,
}

impl ApiServer {
    /// The cluster sets the virtual time before each step, so timestamps follow the clock.
    /// The compactor runs here: at each 5-minute tick it compacts etcd to the revision it saw
    /// at the previous tick (`storage/etcd3/compact.go`), so between 5 and 10 minutes of
    /// history stay readable.
    pub fn set_time(&mut self, now_ms: u64) {
        self.now_ms = now_ms;
        let ticks = now_ms.saturating_sub(self.compactor.0) / COMPACTION_INTERVAL_MS;
        if ticks == 0 {
            return;
        }
        if self.compactor.1 > 0 {
            self.etcd.compact(self.compactor.1);
        }
        // Nothing is written between ticks that fall inside one step of the clock: a later
        // tick of the same step saw the current revision.
        if ticks >= 2 {
            self.etcd.compact(self.etcd.revision());
        }
        self.compactor = (self.compactor.0 + ticks * COMPACTION_INTERVAL_MS, self.etcd.revision());
    }

    /// The oldest revision that can still be read or watched from.
    pub fn compacted_revision(&self) -> i64 {
        self.etcd.compact_revision()
    }

    /// Every object at a past revision, in etcd key order (a list at that resourceVersion),
    /// for a timeline that scrubs through the cluster's history.
    pub fn state_at(&self, revision: i64) -> Result<Vec<ObjectRef>, ApiError> {
        self.check_revision(revision)?;
        Ok(self.etcd.state_at(revision).map(|s| s.into_values().collect()).unwrap_or_default())
    }

    /// A list of one kind (in one namespace, or all) at a past revision.
    pub fn list_at(&self, kind: &KindInfo, namespace: Option<&str>, revision: i64) -> Result<Vec<ObjectRef>, ApiError> {
        self.check_revision(revision)?;
        let prefix = storage_prefix(kind, namespace);
        let state = self.etcd.state_at(revision).unwrap_or_default();
        Ok(state.range(prefix.clone()..).take_while(|(k, _)| k.starts_with(&prefix)).map(|(_, v)| v.clone()).collect())
    }

    /// A watch from `revision` (`?watch=1&resourceVersion=N`): every event after it, oldest
    /// first, for one kind or every kind. A compacted revision is 410 Gone.
    pub fn watch_from(&self, kind: Option<&KindInfo>, revision: i64) -> Result<Vec<WatchEvent>, ApiError> {
        self.check_revision(revision)?;
        let changes = self.etcd.changes_since(revision).map_err(|c| ApiError::expired(revision, c.compact_revision))?;
        let prefix = kind.map(|k| storage_prefix(k, None)).unwrap_or_default();
        Ok(changes.iter().filter(|c| c.key.starts_with(&prefix)).filter_map(watch_event).collect())
    }

    fn check_revision(&self, revision: i64) -> Result<(), ApiError> {
        if revision < self.etcd.compact_revision() {
            return Err(ApiError::expired(revision, self.etcd.compact_revision()));
        }
        if revision > self.etcd.revision() {
            return Err(ApiError::too_large_resource_version(revision, self.etcd.revision()));
        }
        Ok(())
    }

    /// etcd's current revision: it moves exactly when the cluster's state changes.
    pub fn revision(&self) -> i64 {
        self.etcd.revision()
    }

    /// The audit log: every request and watch delivery, oldest first.
    pub fn messages(&self) -> &[Message] {
        &self.audit
    }

    pub fn record(&mut self, from: Component, to: Component, verb: &str, object: String) {
        let seq = self.audit.len() as u64;
        self.audit.push(Message { seq, time_ms: self.now_ms, from, to, verb: verb.to_string(), object });
    }

    /// Reads an object without recording a request: for snapshots and informers' initial lists.
    pub fn peek(&self, key: &Key) -> Option<ObjectRef> {
        self.etcd.get(&storage_key(key)).map(|r| r.value.clone())
    }

    /// Every object of a kind (in one namespace, or all), in key order, without recording.
    pub fn peek_list(&self, kind: &KindInfo, namespace: Option<&str>) -> Vec<ObjectRef> {
        self.etcd.range(&storage_prefix(kind, namespace)).map(|r| r.value.clone()).collect()
    }

    /// Everything written since the last call, as watch events (the API server's etcd watch).
    pub fn take_watch_events(&mut self) -> Vec<WatchEvent> {
        // The fan-out reads after every step, and compaction never passes an unread revision
        // within one step, so this watch is never compacted.
        let events = self.etcd.changes_since(self.watched_revision).map(|c| c.iter().filter_map(watch_event).collect());
        self.watched_revision = self.etcd.revision();
        events.unwrap_or_default()
    }

    fn persist(&mut self, key: &Key, mut object: Object, expected: i64) -> Result<ObjectRef, WriteError> {
        object.metadata_mut().resource_version = Some((self.etcd.revision() + 1).to_string());
        let value = Arc::new(object);
        self.etcd.put(&storage_key(key), value.clone(), Some(expected))?;
        Ok(value)
    }

    /// The error a request gets when etcd cannot serve it now (no leader), as kubectl prints it.
    pub fn etcd_unavailable(&self) -> Option<ApiError> {
        self.etcd.raft.unavailable().map(ApiError::storage)
    }

    /// etcd's members, their leader and term.
    pub fn etcd_members(&self) -> &crate::etcd::raft::Raft {
        &self.etcd.raft
    }

    /// For starting, stopping and adding members.
    pub fn etcd_members_mut(&mut self) -> &mut crate::etcd::raft::Raft {
        &mut self.etcd.raft
    }

    fn mod_revision(&self, key: &Key) -> i64 {
        self.etcd.get(&storage_key(key)).map_or(0, |r| r.mod_revision)
    }
}

/// A caller's connection to the API server: every request names who made it.
pub struct Client<'a> {
    api: &'a mut ApiServer,
    rng: &'a mut Rng,
    who: Component,
    /// The event source of the loop now running inside `who` (the controller manager runs many).
    event_source: Option<&'static str>,
}

impl<'a> Client<'a> {
    pub fn new(api: &'a mut ApiServer, rng: &'a mut Rng, who: Component) -> Client<'a> {
        Client { api, rng, who, event_source: None }
    }

    /// Names the loop whose events this client records from now on.
    pub fn set_event_source(&mut self, name: &'static str) {
        self.event_source = Some(name);
    }

    pub fn now_ms(&self) -> u64 {
        self.api.now_ms
    }

    /// The cluster's RNG, for callers that must choose at random (the scheduler's tie-break).
    pub fn rng(&mut self) -> &mut Rng {
        self.rng
    }

    fn request(&mut self, verb: &str, key: &Key, etcd_verb: Option<&str>) {
        let path = key.path();
        self.api.record(self.who.clone(), Component::ApiServer, verb, path.clone());
        if let Some(etcd_verb) = etcd_verb {
            self.api.record(Component::ApiServer, Component::Etcd, etcd_verb, path);
        }
    }

    pub fn get(&mut self, key: &Key) -> Result<ObjectRef, ApiError> {
        self.request("get", key, Some("range"));
        self.api.peek(key).ok_or_else(|| ApiError::missing(key))
    }

    pub fn list(&mut self, kind: &'static KindInfo, namespace: Option<&str>) -> Vec<ObjectRef> {
        let key = Key::new(kind.kind, namespace.unwrap_or(""), "");
        self.api.record(self.who.clone(), Component::ApiServer, "list", key.path().trim_end_matches('/').to_string());
        self.api.peek_list(kind, namespace)
    }

    /// Creates an object: generateName, uid, timestamps, defaults, admission, validation.
    pub fn create(&mut self, mut object: Object) -> Result<ObjectRef, ApiError> {
        let info = object.kind();
        let now = timestamp(self.api.now_ms);
        {
            let meta = object.metadata_mut();
            if info.namespaced {
                if meta.namespace.as_deref().is_none_or(str::is_empty) {
                    meta.namespace = Some("default".to_string());
                }
            } else {
                meta.namespace = None;
            }
            if meta.name.as_deref().is_none_or(str::is_empty) {
                if let Some(base) = meta.generate_name.clone().filter(|g| !g.is_empty()) {
                    // names.SimpleNameGenerator: the base is cut to 58 characters, then 5 random ones.
                    let base: String = base.chars().take(58).collect();
                    meta.name = Some(format!("{base}{}", self.rng.name_suffix(5)));
                }
            }
            meta.uid = Some(self.rng.uuid());
            meta.creation_timestamp = Some(now);
            meta.deletion_timestamp = None;
            let has_generation = matches!(
                object,
                Object::Deployment(_)
                    | Object::ReplicaSet(_)
                    | Object::StatefulSet(_)
                    | Object::DaemonSet(_)
                    | Object::Job(_)
                    | Object::CronJob(_)
                    | Object::HorizontalPodAutoscaler(_)
                    | Object::PodDisruptionBudget(_)
            );
            if has_generation {
                object.metadata_mut().generation = Some(1);
            }
        }
        if let Object::Job(job) = &mut object {
            defaults::generate_job_selector(job);
        }
        defaults::apply(&mut object);
        let key = Key::of(&object);
        self.request("create", &key, Some("put"));
        let name = key.name.clone();
        // The Service registry allocates addresses before it validates (`BeginCreate`).
        self.allocate_addresses(&mut object, None)?;
        admission::mutate(self.api, &mut object)?;
        if let Object::Pod(pod) = &mut object {
            let status = pod.status.get_or_insert_with(PodStatus::default);
            status.phase = Some("Pending".to_string());
            status.qos_class = Some(qos_class(pod.spec.as_ref()));
        }
        let errors = validation::validate(&object);
        if !errors.is_empty() {
            return Err(ApiError::invalid(info, &name, errors));
        }
        admission::validate(self.api, &object)?;
        // etcd3's store refuses a create that carries a resourceVersion, before its transaction.
        if object.metadata().resource_version.as_deref().is_some_and(|rv| !rv.is_empty()) {
            return Err(ApiError::bad_request("resourceVersion should not be set on objects to be created".to_string()));
        }
        self.api.persist(&key, object, 0).map_err(|e| storage_error(e, || ApiError::already_exists(info, &name)))
    }

    /// A Service's ClusterIP and NodePorts; `current` is the stored object on an update.
    fn allocate_addresses(&mut self, object: &mut Object, current: Option<&Object>) -> Result<(), ApiError> {
        let Object::Service(service) = object else { return Ok(()) };
        let others = self.api.peek_list(crate::api::info("Service"), None);
        let own_uid = current.and_then(|c| c.metadata().uid.clone());
        let taken = allocator::Taken::from_services(others.iter().filter_map(|o| match &**o {
            Object::Service(s) if s.metadata.uid != own_uid || own_uid.is_none() => Some(s),
            _ => None,
        }));
        let current = match current {
            Some(Object::Service(s)) => Some(s),
            _ => None,
        };
        let errors = allocator::allocate(service, current, &taken, self.rng);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid(crate::api::info("Service"), service.metadata.name.as_deref().unwrap_or(""), errors))
        }
    }

    /// Replaces an object's spec and metadata (kubectl apply's update). The stored status is
    /// kept, `metadata.generation` moves when the spec changes, and an update that changes
    /// nothing writes nothing (the returned object keeps its resourceVersion).
    pub fn update(&mut self, mut object: Object) -> Result<ObjectRef, ApiError> {
        let info = object.kind();
        let key = Key::of(&object);
        self.request("update", &key, Some("put"));
        let current = self.api.peek(&key).ok_or_else(|| ApiError::not_found(info, &key.name))?;
        let expected = self.api.mod_revision(&key);
        if let Some(rv) = object.metadata().resource_version.as_deref() {
            if rv != expected.to_string() {
                return Err(ApiError::modified(info, &key.name));
            }
        }
        defaults::apply(&mut object);
        carry_over_server_fields(&current, &mut object);
        self.allocate_addresses(&mut object, Some(&current))?;
        let mut errors = validation::validate(&object);
        errors.extend(validation::validate_update(&current, &object));
        if !errors.is_empty() {
            return Err(ApiError::invalid(info, &key.name, errors));
        }
        if object == *current {
            return Ok(current);
        }
        bump_generation(&current, &mut object);
        self.write(&key, object, expected)
    }

    /// Reads, changes and writes an object in one step (a patch). `verb` names the request in
    /// the audit log, e.g. `update status`.
    pub fn patch(&mut self, key: &Key, verb: &str, change: impl FnOnce(&mut Object)) -> Result<ObjectRef, ApiError> {
        self.request(verb, key, Some("put"));
        let current = self.api.peek(key).ok_or_else(|| ApiError::missing(key))?;
        let mut object = (*current).clone();
        change(&mut object);
        if object == *current {
            return Ok(current);
        }
        let info = current.kind();
        let mut errors = validation::validate(&object);
        errors.extend(validation::validate_update(&current, &object));
        if !errors.is_empty() {
            return Err(ApiError::invalid(info, &key.name, errors));
        }
        bump_generation(&current, &mut object);
        let expected = self.api.mod_revision(key);
        self.write(key, object, expected)
    }

    /// Persists an updated object, or deletes it when it was marked for deletion and its last
    /// finalizer has just been removed (the generic registry's `deleteForEmptyFinalizers`).
    fn write(&mut self, key: &Key, object: Object, expected: i64) -> Result<ObjectRef, ApiError> {
        let info = object.kind();
        if object.metadata().deletion_timestamp.is_some() && !still_finalizing(&object) {
            self.api
                .etcd
                .delete(&storage_key(key), Some(expected))
                .map_err(|e| storage_error(e, || ApiError::modified(info, &key.name)))?;
            return Ok(Arc::new(object));
        }
        self.api.persist(key, object, expected).map_err(|e| storage_error(e, || ApiError::modified(info, &key.name)))
    }

    /// The pods/binding subresource: assigns a pending pod to a node.
    pub fn bind(&mut self, pod: &Key, node: &str) -> Result<ObjectRef, ApiError> {
        self.request(&format!("bind to {node}"), pod, Some("put"));
        let current = self.api.peek(pod).ok_or_else(|| ApiError::missing(pod))?;
        let Object::Pod(p) = &*current else { return Err(ApiError::missing(pod)) };
        if let Some(assigned) = p.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            let info = current.kind();
            return Err(ApiError::conflict(info, &pod.name, &format!("pod {} is already assigned to node {assigned:?}", pod.name)));
        }
        let mut p = p.clone();
        if let Some(spec) = p.spec.as_mut() {
            spec.node_name = Some(node.to_string());
        }
        set_pod_condition(p.status.get_or_insert_with(Default::default), "PodScheduled", "True", None, None, self.api.now_ms);
        let expected = self.api.mod_revision(pod);
        self.api.persist(pod, Object::Pod(p), expected).map_err(|e| storage_error(e, || ApiError::modified(current.kind(), &pod.name)))
    }

    /// Deletes an object with the kind's default options (see [`Client::delete_with`]).
    /// `grace_seconds` of 0 deletes a pod at once (what the kubelet sends at the end).
    pub fn delete(&mut self, key: &Key, grace_seconds: Option<i64>) -> Result<ObjectRef, ApiError> {
        self.delete_with(key, DeleteOptions { grace_period_seconds: grace_seconds, ..Default::default() })
    }

    /// Deletes an object as the generic registry's `Delete` does. A pod on a node is deleted
    /// gracefully: it gets a deletionTimestamp and the kubelet finishes the deletion once its
    /// containers have stopped. Foreground and orphan propagation add their finalizer; an
    /// object with finalizers only gets a deletionTimestamp and stays until they are removed
    /// (by the garbage collector, or whoever owns them). A namespace is first marked
    /// Terminating; the namespace controller empties and finalizes it.
    pub fn delete_with(&mut self, key: &Key, options: DeleteOptions) -> Result<ObjectRef, ApiError> {
        self.request("delete", key, Some("delete"));
        let current = self.api.peek(key).ok_or_else(|| ApiError::missing(key))?;
        let info = current.kind();
        if key.kind == "Namespace" && IMMORTAL_NAMESPACES.contains(&key.name.as_str()) {
            return Err(ApiError::forbidden(format!("namespaces {:?} is forbidden: this namespace may not be deleted", key.name)));
        }
        let now = self.api.now_ms;
        let mut object = (*current).clone();
        let grace = match &object {
            Object::Pod(p) if p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some() => options
                .grace_period_seconds
                .or_else(|| p.spec.as_ref().and_then(|s| s.termination_grace_period_seconds))
                .unwrap_or(30)
                .max(0),
            _ => 0,
        };
        // The namespace registry's own Delete sets no grace period.
        let grace_field = (key.kind != "Namespace").then_some(grace);
        let meta = object.metadata_mut();
        let already_deleting = meta.deletion_timestamp.is_some();
        let policy = options.propagation_policy.unwrap_or(if key.kind == "Job" { Propagation::Orphan } else { Propagation::Background });
        if !already_deleting {
            let finalizer = match policy {
                Propagation::Foreground => Some("foregroundDeletion"),
                Propagation::Orphan => Some("orphan"),
                Propagation::Background => None,
            };
            // The garbage collector removes these once it has dealt with the dependents (at
            // once when there are none).
            if let Some(f) = finalizer {
                let finalizers = meta.finalizers.get_or_insert_with(Vec::new);
                if !finalizers.iter().any(|x| x == f) {
                    finalizers.push(f.to_string());
                }
            }
            meta.deletion_timestamp = Some(timestamp(now.saturating_add((grace as u64).saturating_mul(1000))));
            meta.deletion_grace_period_seconds = grace_field;
        } else if grace == 0 {
            meta.deletion_grace_period_seconds = grace_field;
        } else {
            return Ok(current);
        }
        if let Object::Namespace(ns) = &mut object {
            ns.status.get_or_insert_with(Default::default).phase = Some("Terminating".to_string());
        }
        if still_finalizing(&object) {
            if object == *current {
                return Ok(current);
            }
            let expected = self.api.mod_revision(key);
            return self.api.persist(key, object, expected).map_err(|e| storage_error(e, || ApiError::modified(info, &key.name)));
        }
        self.api.etcd.delete(&storage_key(key), None).map_err(|e| storage_error(e, || ApiError::missing(key)))?;
        Ok(current)
    }

    /// Records a core/v1 Event about an object, as `record.EventRecorder` does.
    pub fn event(&mut self, about: &Object, type_: &str, reason: &str, message: String) {
        let meta = about.metadata();
        let namespace = meta.namespace.clone().unwrap_or_else(|| "default".to_string());
        let now = timestamp(self.api.now_ms);
        // record.EventRecorder names an event `<object>.<UnixNano in hex>`; the audit log's
        // length stands in for the nanoseconds so that events in one millisecond stay distinct.
        let nanos = (EPOCH_SECONDS as u64 * 1000 + self.api.now_ms) * 1_000_000 + self.api.audit.len() as u64 % 1_000_000;
        let name = format!("{}.{nanos:x}", meta.name.as_deref().unwrap_or(""));
        let mut source = self.who.event_source();
        if let Some(name) = self.event_source {
            source.component = Some(name.to_string());
        }
        let event = Event {
            metadata: crate::api::ObjectMeta { name: Some(name), namespace: Some(namespace.clone()), ..Default::default() },
            involved_object: ObjectReference {
                api_version: Some(about.kind().api_version.to_string()),
                kind: Some(about.kind().kind.to_string()),
                name: meta.name.clone(),
                namespace: meta.namespace.clone(),
                uid: meta.uid.clone(),
                resource_version: meta.resource_version.clone(),
                ..Default::default()
            },
            type_: Some(type_.to_string()),
            reason: Some(reason.to_string()),
            message: Some(message),
            count: Some(1),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            reporting_component: Some(source.component.clone().unwrap_or_default()),
            reporting_instance: Some(source.host.clone().unwrap_or_default()),
            source: Some(source),
            ..Default::default()
        };
        // Events are best-effort in Kubernetes too: a failed event write is dropped.
        let _ = self.create(Object::Event(event));
    }
}

impl Component {
    /// The `source` an event from this component carries (`default-scheduler`, `kubelet` on a host, ...).
    fn event_source(&self) -> EventSource {
        let (component, host) = match self {
            Component::Scheduler => ("default-scheduler", None),
            Component::ControllerManager => ("controller-manager", None),
            Component::Kubelet(node) => ("kubelet", Some(node.clone())),
            Component::KubeProxy(node) => ("kube-proxy", Some(node.clone())),
            Component::Kubectl | Component::ApiServer | Component::Etcd => ("kube-apiserver", None),
        };
        EventSource { component: Some(component.to_string()), host }
    }
}

/// The API error for a failed etcd transaction: a failed compare is the caller's `conflict`;
/// an etcd error passes through as a 500 without a reason (`responsewriters.ErrorToAPIStatus`).
fn storage_error(error: WriteError, conflict: impl FnOnce() -> ApiError) -> ApiError {
    match error {
        WriteError::CompareFailed => conflict(),
        WriteError::Unavailable(message) => ApiError::storage(message),
    }
}

/// `metav1.DeletionPropagation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Propagation {
    Background,
    Foreground,
    Orphan,
}

/// `metav1.DeleteOptions`: what a delete request may ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    /// `None` is the kind's default: background, except orphan for batch/v1 Jobs.
    pub propagation_policy: Option<Propagation>,
}

/// Namespaces the NamespaceLifecycle plugin never lets go.
const IMMORTAL_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

/// Whether an object marked for deletion must stay: it has finalizers, a namespace still has
/// spec finalizers, or a pod's graceful termination is still running.
fn still_finalizing(object: &Object) -> bool {
    let meta = object.metadata();
    let graceful = matches!(object, Object::Pod(_)) && meta.deletion_grace_period_seconds.is_some_and(|g| g > 0);
    let namespace_finalizers = match object {
        Object::Namespace(ns) => ns.spec.as_ref().and_then(|s| s.finalizers.as_ref()).is_some_and(|f| !f.is_empty()),
        _ => false,
    };
    graceful || namespace_finalizers || meta.finalizers.as_ref().is_some_and(|f| !f.is_empty())
}

/// Fields an update cannot change: identity, timestamps and the status (a separate subresource).
fn carry_over_server_fields(current: &Object, object: &mut Object) {
    let cur = current.metadata();
    let meta = object.metadata_mut();
    meta.uid = cur.uid.clone();
    meta.creation_timestamp = cur.creation_timestamp.clone();
    meta.generation = cur.generation;
    meta.resource_version = cur.resource_version.clone();
    meta.deletion_timestamp = cur.deletion_timestamp.clone();
    meta.deletion_grace_period_seconds = cur.deletion_grace_period_seconds;
    if meta.owner_references.is_none() {
        meta.owner_references = cur.owner_references.clone();
    }
    if let (Object::Pod(c), Object::Pod(o)) = (current, &mut *object) {
        if let (Some(cs), Some(os)) = (c.spec.as_ref(), o.spec.as_mut()) {
            os.node_name = cs.node_name.clone();
            os.tolerations = cs.tolerations.clone();
        }
    }
    // The status is the status subresource's: whatever an update sends, the stored one stays.
    let mut value = object.to_json();
    if let Some(map) = value.as_object_mut() {
        match current.to_json().get("status") {
            Some(status) => map.insert("status".to_string(), status.clone()),
            None => map.remove("status"),
        };
        if let Some(Ok(kept)) = Object::decode(current.kind().kind, &value) {
            *object = kept;
        }
    }
}

/// `metadata.generation` counts changes of the spec (for kinds that have one).
fn bump_generation(current: &Object, object: &mut Object) {
    let spec = |o: &Object| o.to_json().get("spec").cloned();
    if let Some(generation) = current.metadata().generation {
        if spec(object) != spec(current) {
            object.metadata_mut().generation = Some(generation + 1);
        }
    }
}

/// The pod's QoS class (`pkg/apis/core/helper/qos`): Guaranteed when every container's
/// requests equal its limits for cpu and memory, BestEffort with none set, else Burstable.
fn qos_class(spec: Option<&k8s_openapi::api::core::v1::PodSpec>) -> String {
    let containers = spec.map(|s| s.containers.as_slice()).unwrap_or_default();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in containers {
        let r = c.resources.as_ref();
        let requests = r.and_then(|r| r.requests.as_ref());
        let limits = r.and_then(|r| r.limits.as_ref());
        any |= requests.is_some_and(|m| !m.is_empty()) || limits.is_some_and(|m| !m.is_empty());
        for res in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(res));
            let request = requests.and_then(|q| q.get(res)).or(limit);
            guaranteed &= limit.is_some() && request == limit;
        }
    }
    match (any, guaranteed) {
        (false, _) => "BestEffort",
        (true, true) => "Guaranteed",
        (true, false) => "Burstable",
    }
    .to_string()
}

/// Sets a pod condition, moving its lastTransitionTime only when the status changes.
pub fn set_pod_condition(status: &mut PodStatus, type_: &str, value: &str, reason: Option<&str>, message: Option<String>, now_ms: u64) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let now = timestamp(now_ms);
    match conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(c) => {
            if c.status != value {
                c.last_transition_time = Some(now);
            }
            c.status = value.to_string();
            c.reason = reason.map(str::to_string);
            c.message = message;
        }
        None => conditions.push(PodCondition {
            type_: type_.to_string(),
            status: value.to_string(),
            reason: reason.map(str::to_string),
            message,
            last_transition_time: Some(now),
            last_probe_time: None,
            observed_generation: None,
        }),
    }
}

/// A malformed quantity is refused while decoding, as the API server's JSON decoder does.
pub fn check_quantities(object: &Object) -> Result<(), ApiError> {
    match validation::malformed_quantity(object) {
        Some(problem) => {
            let kind = object.kind().kind;
            let version = object.kind().api_version.rsplit('/').next().unwrap_or("v1");
            Err(ApiError::bad_request(format!("{kind} in version {version:?} cannot be handled as a {kind}: {problem}")))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{info, ConfigMap, Namespace};

    fn config_map(name: &str, value: &str) -> Object {
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some(name.to_string());
        cm.metadata.namespace = Some("default".to_string());
        cm.data = Some([("k".to_string(), value.to_string())].into());
        Object::ConfigMap(cm)
    }

    fn server() -> (ApiServer, Rng) {
        let (mut api, mut rng) = (ApiServer::default(), Rng::new(1));
        let mut ns = Namespace::default();
        ns.metadata.name = Some("default".to_string());
        Client::new(&mut api, &mut rng, Component::ApiServer).create(Object::Namespace(ns)).unwrap();
        (api, rng)
    }

    #[test]
    fn a_stale_resource_version_is_a_conflict_and_changes_nothing() {
        let (mut api, mut rng) = server();
        let mut client = Client::new(&mut api, &mut rng, Component::Kubectl);
        let first = client.create(config_map("c", "1")).unwrap();
        let mut second = (*first).clone();
        if let Object::ConfigMap(cm) = &mut second {
            cm.data = Some([("k".to_string(), "2".to_string())].into());
        }
        client.update(second.clone()).unwrap();
        let revision = api.revision();
        let mut client = Client::new(&mut api, &mut rng, Component::Kubectl);
        let err = client.update(second).unwrap_err();
        assert_eq!(
            err.render(None),
            "Error from server (Conflict): Operation cannot be fulfilled on configmaps \"c\": the object has been modified; please apply your changes to the latest version and try again"
        );
        assert_eq!(api.revision(), revision);
    }

    #[test]
    fn history_is_compacted_every_five_minutes_to_the_previous_tick() {
        let (mut api, mut rng) = server();
        let mut write = |api: &mut ApiServer, at: u64, value: &str| {
            api.set_time(at);
            let mut client = Client::new(api, &mut rng, Component::Kubectl);
            let current = client.get(&Key::new("ConfigMap", "default", "c")).ok();
            match current {
                Some(c) => {
                    let mut o = (*c).clone();
                    if let Object::ConfigMap(cm) = &mut o {
                        cm.data = Some([("k".to_string(), value.to_string())].into());
                    }
                    client.update(o).unwrap();
                }
                None => {
                    client.create(config_map("c", value)).unwrap();
                }
            }
            api.revision()
        };
        let r1 = write(&mut api, 1_000, "1"); // revision 2
        let r2 = write(&mut api, 6 * 60_000, "2"); // after the first tick (5m): nothing compacted
        assert_eq!(api.compacted_revision(), 0);
        assert_eq!(api.watch_from(Some(info("ConfigMap")), r1 - 1).unwrap().len(), 2);
        api.set_time(10 * 60_000); // the second tick compacts to the revision seen at 5m
        assert_eq!(api.compacted_revision(), r1);
        let err = api.watch_from(Some(info("ConfigMap")), r1 - 1).unwrap_err();
        assert_eq!(err.reason, Reason::Expired);
        assert_eq!(err.render(None), format!("Error from server (Expired): too old resource version: {} ({r1})", r1 - 1));
        let events = api.watch_from(Some(info("ConfigMap")), r1).unwrap();
        assert_eq!(events.iter().map(|e| e.event_type).collect::<Vec<_>>(), [WatchEventType::Modified]);

        let value_at = |api: &ApiServer, revision| match &*api.list_at(info("ConfigMap"), Some("default"), revision).unwrap()[0] {
            Object::ConfigMap(cm) => cm.data.clone().unwrap_or_default()["k"].clone(),
            _ => unreachable!(),
        };
        assert_eq!(value_at(&api, r1), "1");
        assert_eq!(value_at(&api, r2), "2");
        assert_eq!(api.state_at(r2).unwrap().len(), 2, "the namespace and the config map");
        assert_eq!(api.state_at(r2 + 1).unwrap_err().reason, Reason::Timeout);
        assert!(api.state_at(r1 - 1).is_err());
    }

    fn pod(name: &str, class: Option<&str>) -> Object {
        let json = serde_json::json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"priorityClassName": class, "containers": [{"name": "app", "image": "nginx"}]}
        });
        Object::Pod(serde_json::from_value(json).unwrap())
    }

    #[test]
    fn priority_comes_from_the_class_or_the_global_default() {
        let (mut api, mut rng) = server();
        let mut client = Client::new(&mut api, &mut rng, Component::Kubectl);
        let priority = |o: &ObjectRef| match &**o {
            Object::Pod(p) => p.spec.as_ref().and_then(|s| s.priority),
            _ => None,
        };
        assert_eq!(priority(&client.create(pod("plain", None)).unwrap()), Some(0));
        let mut default = crate::api::PriorityClass { value: 7, global_default: Some(true), ..Default::default() };
        default.metadata.name = Some("normal".to_string());
        client.create(Object::PriorityClass(default)).unwrap();
        assert_eq!(priority(&client.create(pod("defaulted", None)).unwrap()), Some(7));
        let revision = api.revision();
        let mut client = Client::new(&mut api, &mut rng, Component::Kubectl);
        let err = client.create(pod("lost", Some("nope"))).unwrap_err();
        assert_eq!(
            err.render(None),
            "Error from server (Forbidden): pods \"lost\" is forbidden: no PriorityClass with name nope was found"
        );
        assert_eq!(api.revision(), revision, "a rejected request writes nothing");
    }

    #[test]
    fn a_terminating_namespace_takes_no_new_content() {
        let (mut api, mut rng) = server();
        let mut client = Client::new(&mut api, &mut rng, Component::Kubectl);
        let mut ns = Namespace::default();
        ns.metadata.name = Some("shop".to_string());
        client.create(Object::Namespace(ns)).unwrap();
        client.delete(&Key::new("Namespace", "", "shop"), None).unwrap();
        let shop = client.get(&Key::new("Namespace", "", "shop")).unwrap();
        let Object::Namespace(ns) = &*shop else { unreachable!() };
        assert_eq!(ns.status.as_ref().and_then(|s| s.phase.as_deref()), Some("Terminating"));
        let mut cm = config_map("c", "1");
        cm.metadata_mut().namespace = Some("shop".to_string());
        let err = client.create(cm).unwrap_err();
        assert_eq!(
            err.render(None),
            "Error from server (Forbidden): configmaps \"c\" is forbidden: unable to create new content in namespace shop because it is being terminated"
        );
        // Finalizing the namespace (removing its `kubernetes` finalizer) lets it go.
        client
            .patch(&Key::new("Namespace", "", "shop"), "finalize", |o| {
                if let Object::Namespace(ns) = o {
                    ns.spec = None;
                }
            })
            .unwrap();
        assert!(client.get(&Key::new("Namespace", "", "shop")).is_err());
    }
}
