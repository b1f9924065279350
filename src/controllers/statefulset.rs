//! The StatefulSet controller (`pkg/controller/statefulset`): pods with stable names
//! `<set>-<ordinal>`, hostnames under the governing Service, and one PersistentVolumeClaim per
//! volumeClaimTemplate and ordinal (created before the pod, kept when the set shrinks). Under
//! OrderedReady it creates ordinal 0 first and waits for each pod to be Running and Ready
//! before the next, and removes pods from the highest ordinal down, one at a time; Parallel
//! does both at once. A RollingUpdate replaces pods from the highest ordinal down to the
//! partition; OnDelete waits for the user to delete them.
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::apps::v1::{StatefulSet, StatefulSetStatus};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PersistentVolumeClaimStatus, PersistentVolumeClaimVolumeSource, Pod, PodTemplateSpec, Volume,
};

use crate::api::{controller_key, Key, Object};
use crate::apiserver::{Client, Reason, WatchEvent};

use super::deployment::pod_template_hash;
use super::pod_control::{self, error_text, is_available, is_ready, owned_pods, pod_key, Retries};
use super::{Controller, Store, WorkQueue};

const REVISION_HASH: &str = "controller-revision-hash";
/// At most this many pods are created in one sync (upstream has no such limit; it keeps a
/// huge Parallel set from stalling the simulation in one step).
const BURST_PODS: usize = 500;

#[derive(Default)]
pub struct StatefulSetController {
    sets: Store,
    pods: Store,
    claims: Store,
    /// Pod templates by revision name (`<set>-<hash>`): what upstream keeps in
    /// ControllerRevisions, so that pods below a partition are recreated at their old revision.
    revisions: HashMap<String, PodTemplateSpec>,
    retries: Retries,
    queue: WorkQueue,
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.phase.as_deref())
}

fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// `isRunningAndReady`.
fn running_and_ready(pod: &Pod) -> bool {
    phase(pod) == Some("Running") && is_ready(pod)
}

/// `isHealthy`: running, ready and not on its way out.
fn is_healthy(pod: &Pod) -> bool {
    running_and_ready(pod) && !is_terminating(pod)
}

fn revision_of(pod: &Pod) -> Option<&str> {
    pod.metadata.labels.as_ref()?.get(REVISION_HASH).map(String::as_str)
}

/// The ordinal in a pod's name `<set>-<ordinal>` (`getParentNameAndOrdinal`).
fn ordinal(set_name: &str, pod: &Pod) -> Option<i32> {
    let name = pod.metadata.name.as_deref()?;
    name.strip_prefix(set_name)?.strip_prefix('-')?.parse().ok().filter(|o: &i32| *o >= 0)
}

/// One sync's view of a StatefulSet.
struct Sync<'a> {
    set: &'a StatefulSet,
    name: String,
    current_revision: String,
    update_revision: String,
    min_ready: i32,
    now_ms: u64,
}

impl Sync<'_> {
    fn obj(&self) -> Object {
        Object::StatefulSet(self.set.clone())
    }

    /// `recordPodEvent`: upstream's own wording, e.g. `create Pod web-0 in StatefulSet web successful`.
    fn record(&self, client: &mut Client, verb: &str, pod: &str, error: Option<&str>) {
        let title = if verb == "create" { "Create" } else { "Delete" };
        match error {
            None => client.event(
                &self.obj(),
                "Normal",
                &format!("Successful{title}"),
                format!("{verb} Pod {pod} in StatefulSet {} successful", self.name),
            ),
            Some(e) => client.event(
                &self.obj(),
                "Warning",
                &format!("Failed{title}"),
                format!("{verb} Pod {pod} in StatefulSet {} failed error: {e}", self.name),
            ),
        }
    }
}

impl Controller for StatefulSetController {
    fn name(&self) -> &'static str {
        "statefulset-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::StatefulSet(_) | Object::Pod(_) | Object::PersistentVolumeClaim(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::StatefulSet(_) => {
                self.sets.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Pod(pod) => {
                self.pods.apply(event);
                if let Some(set) = controller_key(&pod.metadata, "StatefulSet") {
                    self.queue.add(set);
                }
            }
            _ => self.claims.apply(event),
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    /// `updateStatefulSet`.
    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(Object::StatefulSet(set)) = self.sets.get(key).map(|o| (**o).clone()) else {
            self.retries.forget(key);
            return;
        };
        let Some(spec) = set.spec.as_ref() else { return };
        if set.metadata.deletion_timestamp.is_some() {
            return;
        }
        let name = key.name.clone();
        let status = set.status.clone().unwrap_or_default();
        // Upstream hashes with a collision count of 0 when the status has none yet.
        let update_revision = format!("{name}-{}", pod_template_hash(&spec.template, Some(status.collision_count.unwrap_or(0))));
        self.revisions.insert(update_revision.clone(), spec.template.clone());
        let current_revision =
            status.current_revision.clone().filter(|r| self.revisions.contains_key(r)).unwrap_or_else(|| update_revision.clone());
        let s = Sync {
            set: &set,
            name,
            current_revision,
            update_revision,
            min_ready: spec.min_ready_seconds.unwrap_or(0),
            now_ms: client.now_ms(),
        };

        let start = spec.ordinals.as_ref().and_then(|o| o.start).unwrap_or(0).max(0);
        let replicas = spec.replicas.unwrap_or(1).max(0);
        let end = start.saturating_add(replicas);
        let (mut in_range, mut condemned) = (BTreeMap::new(), Vec::new());
        for pod in pod_control::claim_pods(&self.pods, &Object::StatefulSet(set.clone()), &spec.selector, client) {
            match ordinal(&s.name, &pod) {
                Some(o) if (start..end).contains(&o) => {
                    in_range.insert(o, pod);
                }
                Some(o) => condemned.push((o, pod)),
                None => {}
            }
        }
        condemned.sort_by_key(|(o, _)| std::cmp::Reverse(*o));
        let monotonic = spec.pod_management_policy.as_deref() != Some("Parallel");
        let error = self.reconcile(&s, start..end, &in_range, &condemned, monotonic, client);
        self.update_status(&s, key, client);
        self.retries.after_sync(key, error.is_some(), &mut self.queue, s.now_ms);
    }
}

impl StatefulSetController {
    /// Creates, deletes and replaces pods, one step at a time under OrderedReady. Returns the
    /// first error.
    fn reconcile(
        &self,
        s: &Sync,
        range: std::ops::Range<i32>,
        in_range: &BTreeMap<i32, Pod>,
        condemned: &[(i32, Pod)],
        monotonic: bool,
        client: &mut Client,
    ) -> Option<String> {
        let spec = s.set.spec.as_ref()?;
        // `processReplica` for each ordinal in order.
        let mut created = 0;
        for ord in range {
            match in_range.get(&ord) {
                None => {
                    if let Err(e) = self.create_pod(s, ord, client) {
                        return Some(e);
                    }
                    created += 1;
                    // Parallel creates the rest when these pods come back through the watch.
                    if monotonic || created == BURST_PODS {
                        return None;
                    }
                }
                Some(pod) if matches!(phase(pod), Some("Failed" | "Succeeded")) && !is_terminating(pod) => {
                    if let Err(e) = self.delete_pod(s, pod, client) {
                        return Some(e);
                    }
                    if monotonic {
                        return None;
                    }
                }
                Some(pod) if monotonic && (is_terminating(pod) || !running_and_ready(pod) || !is_available(pod, s.min_ready, s.now_ms)) => {
                    return None
                }
                Some(_) => {}
            }
        }
        // Scale down, highest ordinal first: under OrderedReady one at a time, and only once
        // every remaining pod is healthy (or this is the first unhealthy one).
        let first_unhealthy = in_range.values().chain(condemned.iter().rev().map(|(_, p)| p)).find(|p| !is_healthy(p));
        for (_, pod) in condemned {
            if is_terminating(pod) {
                if monotonic {
                    return None;
                }
                continue;
            }
            let is_first_unhealthy = first_unhealthy.is_some_and(|f| f.metadata.uid == pod.metadata.uid);
            if monotonic && !is_healthy(pod) && !is_first_unhealthy {
                return None;
            }
            if let Err(e) = self.delete_pod(s, pod, client) {
                return Some(e);
            }
            if monotonic {
                return None;
            }
        }
        let strategy = spec.update_strategy.as_ref();
        if strategy.and_then(|u| u.type_.as_deref()) == Some("OnDelete") {
            return None;
        }
        // RollingUpdate: the highest ordinal not at the update revision goes first; wait for
        // each replacement to be healthy. Ordinals below the partition keep their revision.
        let partition = strategy.and_then(|u| u.rolling_update.as_ref()).and_then(|r| r.partition).unwrap_or(0);
        for (ord, pod) in in_range.iter().rev() {
            if *ord < partition {
                break;
            }
            if revision_of(pod) != Some(s.update_revision.as_str()) && !is_terminating(pod) {
                return self.delete_pod(s, pod, client).err();
            }
            if !is_healthy(pod) {
                return None;
            }
        }
        None
    }

    /// `newVersionedStatefulSetPod` and `CreateStatefulPod`: the claims first, then the pod,
    /// at the current revision below the partition and the update revision from it up.
    fn create_pod(&self, s: &Sync, ord: i32, client: &mut Client) -> Result<(), String> {
        let Some(spec) = s.set.spec.as_ref() else { return Ok(()) };
        let partition = spec.update_strategy.as_ref().and_then(|u| u.rolling_update.as_ref()).and_then(|r| r.partition).unwrap_or(0);
        let rolling = spec.update_strategy.as_ref().and_then(|u| u.type_.as_deref()).unwrap_or("RollingUpdate") == "RollingUpdate";
        let revision = if rolling && ord < partition { &s.current_revision } else { &s.update_revision };
        let mut template = self.revisions.get(revision).cloned().unwrap_or_else(|| spec.template.clone());
        let pod_name = format!("{}-{ord}", s.name);
        let labels = template.metadata.get_or_insert_with(Default::default).labels.get_or_insert_with(BTreeMap::new);
        labels.insert(REVISION_HASH.into(), revision.clone());
        labels.insert("statefulset.kubernetes.io/pod-name".into(), pod_name.clone());
        labels.insert("apps.kubernetes.io/pod-index".into(), ord.to_string());
        let pod_spec = template.spec.get_or_insert_with(Default::default);
        pod_spec.hostname = Some(pod_name.clone());
        pod_spec.subdomain = spec.service_name.clone().filter(|n| !n.is_empty());
        // `updateStorage`: a volume per claim template, then the template's other volumes.
        let claims = self.claims_for(s, ord);
        let mut volumes: Vec<Volume> = claims
            .iter()
            .map(|(volume, claim)| Volume {
                name: volume.clone(),
                persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                    claim_name: claim.metadata.name.clone().unwrap_or_default(),
                    read_only: None,
                }),
                ..Default::default()
            })
            .collect();
        volumes.extend(pod_spec.volumes.take().into_iter().flatten().filter(|v| !claims.iter().any(|(name, _)| *name == v.name)));
        pod_spec.volumes = Some(volumes).filter(|v| !v.is_empty());

        for (_, claim) in claims {
            let claim_name = claim.metadata.name.clone().unwrap_or_default();
            if self.claims.get(&Key::new("PersistentVolumeClaim", s.set.metadata.namespace.as_deref().unwrap_or(""), &claim_name)).is_some()
            {
                continue;
            }
            let result = client.create(Object::PersistentVolumeClaim(claim));
            let (type_, reason, message) = match &result {
                Ok(_) => {
                    ("Normal", "SuccessfulCreate", format!("create Claim {claim_name} Pod {pod_name} in StatefulSet {} success", s.name))
                }
                Err(e) if e.reason == Reason::AlreadyExists => continue,
                Err(e) => (
                    "Warning",
                    "FailedCreate",
                    format!("create Claim {claim_name} for Pod {pod_name} in StatefulSet {} failed error: {}", s.name, error_text(e)),
                ),
            };
            client.event(&s.obj(), type_, reason, message.clone());
            if result.is_err() {
                return Err(message);
            }
        }
        let pod = pod_control::pod_from_template(&template, &s.obj(), Some(pod_name.clone()));
        match client.create(Object::Pod(pod)) {
            Ok(_) => {
                s.record(client, "create", &pod_name, None);
                Ok(())
            }
            Err(e) => {
                let text = error_text(&e);
                s.record(client, "create", &pod_name, Some(&text));
                Err(text)
            }
        }
    }

    fn delete_pod(&self, s: &Sync, pod: &Pod, client: &mut Client) -> Result<(), String> {
        let key = pod_key(pod);
        match client.delete(&key, None) {
            Ok(_) => {
                s.record(client, "delete", &key.name, None);
                Ok(())
            }
            Err(e) if e.reason == Reason::NotFound => Ok(()),
            Err(e) => {
                let text = error_text(&e);
                s.record(client, "delete", &key.name, Some(&text));
                Err(text)
            }
        }
    }

    /// `getPersistentVolumeClaims`: (volume name, claim `<template>-<set>-<ordinal>`) per
    /// claim template, labelled with the set's selector.
    fn claims_for(&self, s: &Sync, ord: i32) -> Vec<(String, PersistentVolumeClaim)> {
        let Some(spec) = s.set.spec.as_ref() else { return Vec::new() };
        let selector_labels = spec.selector.match_labels.clone().unwrap_or_default();
        spec.volume_claim_templates
            .iter()
            .flatten()
            .map(|template| {
                let volume = template.metadata.name.clone().unwrap_or_default();
                let mut claim = template.clone();
                claim.metadata.name = Some(format!("{volume}-{}-{ord}", s.name));
                claim.metadata.namespace = s.set.metadata.namespace.clone();
                claim.metadata.labels.get_or_insert_with(BTreeMap::new).extend(selector_labels.clone());
                claim.status = Some(PersistentVolumeClaimStatus { phase: Some("Pending".into()), ..Default::default() });
                (volume, claim)
            })
            .collect()
    }

    /// The status from the pods in the cache; a rolling update is complete when every pod is
    /// at the update revision and ready (`completeRollingUpdate`).
    fn update_status(&mut self, s: &Sync, key: &Key, client: &mut Client) {
        let pods: Vec<Pod> = owned_pods(&self.pods, &s.set.metadata);
        let count = |f: &dyn Fn(&Pod) -> bool| pods.iter().filter(|p| f(p)).count() as i32;
        let replicas = count(&|_| true);
        let ready = count(&running_and_ready);
        let available = count(&|p| running_and_ready(p) && is_available(p, s.min_ready, s.now_ms));
        let at = |revision: &str| count(&|p| !is_terminating(p) && revision_of(p) == Some(revision));
        let (mut current, updated) = (at(&s.current_revision), at(&s.update_revision));
        let mut current_revision = s.current_revision.clone();
        let spec = s.set.spec.as_ref();
        let rolling =
            spec.and_then(|sp| sp.update_strategy.as_ref()).and_then(|u| u.type_.as_deref()).unwrap_or("RollingUpdate") == "RollingUpdate";
        if rolling && updated == replicas && ready == replicas {
            current = updated;
            current_revision = s.update_revision.clone();
        }
        let old = s.set.status.clone().unwrap_or_default();
        let positive = |n: i32| Some(n).filter(|n| *n > 0);
        let status = StatefulSetStatus {
            observed_generation: s.set.metadata.generation,
            replicas,
            ready_replicas: positive(ready),
            available_replicas: Some(available),
            current_replicas: positive(current),
            updated_replicas: positive(updated),
            current_revision: Some(current_revision),
            update_revision: Some(s.update_revision.clone()),
            collision_count: Some(old.collision_count.unwrap_or(0)),
            conditions: old.conditions.clone(),
        };
        if s.set.status.as_ref() != Some(&status) {
            let _ = client.patch(key, "update status", |o| {
                if let Object::StatefulSet(set) = o {
                    set.status = Some(status);
                }
            });
        }
        // Ready pods become available after minReadySeconds without another event.
        if s.min_ready > 0 && available < ready {
            self.queue.add_at(key.clone(), s.now_ms.saturating_add(u64::try_from(s.min_ready).unwrap_or(0) * 1000 + 1000));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_come_from_the_pod_name() {
        let pod = |name: &str| {
            let mut p = Pod::default();
            p.metadata.name = Some(name.into());
            p
        };
        assert_eq!(ordinal("web", &pod("web-0")), Some(0));
        assert_eq!(ordinal("web", &pod("web-12")), Some(12));
        assert_eq!(ordinal("web", &pod("webx-1")), None);
        assert_eq!(ordinal("web", &pod("web--1")), None);
        assert_eq!(ordinal("web", &pod("web-a")), None);
    }
}
