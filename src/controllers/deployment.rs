//! The Deployment controller: owns one ReplicaSet per pod template (named by the template's
//! hash), rolls from old to new within maxSurge and maxUnavailable, and reports the
//! Deployment's status (`pkg/controller/deployment`).
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetSpec};
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::api::{controller_key, controller_ref, Key, Object, ObjectMeta, ObjectRef};
use crate::apiserver::{timestamp, Client, WatchEvent};

use super::{Controller, Store, WorkQueue};

const REVISION: &str = "deployment.kubernetes.io/revision";

#[derive(Default)]
pub struct DeploymentController {
    deployments: Store,
    replicasets: Store,
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
fn scaled(value: Option<&IntOrString>, total: i32, round_up: bool) -> i32 {
    match value {
        Some(IntOrString::Int(n)) => *n,
        Some(IntOrString::String(s)) => {
            let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            let product = percent * i64::from(total);
            (if round_up { (product + 99) / 100 } else { product / 100 }) as i32
        }
        None => 0,
    }
}

/// `ResolveFenceposts`: maxSurge rounds up, maxUnavailable down, and both 0 means 1 unavailable.
pub fn resolve_fenceposts(d: &Deployment) -> (i32, i32) {
    let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let rolling = d.spec.as_ref().and_then(|s| s.strategy.as_ref()).and_then(|s| s.rolling_update.as_ref());
    let surge = scaled(rolling.and_then(|r| r.max_surge.as_ref()), replicas, true);
    let unavailable = scaled(rolling.and_then(|r| r.max_unavailable.as_ref()), replicas, false);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable.min(replicas))
    }
}

fn rs_replicas(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0)
}

fn rs_available(rs: &ReplicaSet) -> i32 {
    rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0)
}

fn revision_of(rs: &ReplicaSet) -> i64 {
    rs.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)).and_then(|r| r.parse().ok()).unwrap_or(0)
}

impl Controller for DeploymentController {
    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Deployment(_) | Object::ReplicaSet(_))
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
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(d_obj) = self.deployments.get(key).cloned() else { return };
        let Object::Deployment(d) = &*d_obj else { return };
        let Some(spec) = d.spec.as_ref() else { return };
        if d.metadata.deletion_timestamp.is_some() {
            return;
        }
        let mut owned: Vec<ReplicaSet> = self
            .replicasets
            .owned_by(&d.metadata)
            .filter_map(|rs| if let Object::ReplicaSet(rs) = &**rs { Some(rs.clone()) } else { None })
            .collect();
        owned.sort_by_key(revision_of);
        let hash = pod_template_hash(&spec.template, d.status.as_ref().and_then(|s| s.collision_count));
        let is_new = |rs: &ReplicaSet| rs.metadata.labels.as_ref().and_then(|l| l.get("pod-template-hash")) == Some(&hash);
        let (new, old): (Vec<ReplicaSet>, Vec<ReplicaSet>) = owned.into_iter().partition(is_new);
        let replicas = spec.replicas.unwrap_or(1);
        let (surge, max_unavailable) = resolve_fenceposts(d);
        let recreate = spec.strategy.as_ref().and_then(|s| s.type_.as_deref()) == Some("Recreate");

        let new = match new.into_iter().next() {
            Some(rs) => rs,
            None => {
                let total: i32 = old.iter().map(rs_replicas).sum();
                let start = if recreate {
                    if total > 0 {
                        0
                    } else {
                        replicas
                    }
                } else {
                    // NewRSNewReplicas for a brand-new ReplicaSet.
                    (replicas + surge - total).clamp(0, replicas)
                };
                let revision = old.iter().map(revision_of).max().unwrap_or(0) + 1;
                match self.create_replicaset(&d_obj, &hash, start, revision, surge, client) {
                    Some(rs) => rs,
                    None => return,
                }
            }
        };

        let new_key = Key::of(&Object::ReplicaSet(new.clone()));
        let active_old: Vec<&ReplicaSet> = old.iter().filter(|rs| rs_replicas(rs) > 0).collect();
        if recreate {
            for rs in &active_old {
                scale(&d_obj, rs, 0, client);
            }
            let old_pods: i32 = old.iter().map(|rs| rs.status.as_ref().map_or(0, |s| s.replicas)).sum();
            if active_old.is_empty() && old_pods == 0 && rs_replicas(&new) != replicas {
                scale(&d_obj, &new, replicas, client);
            }
        } else {
            let all: i32 = rs_replicas(&new) + old.iter().map(rs_replicas).sum::<i32>();
            let new_replicas = rs_replicas(&new);
            if new_replicas > replicas || active_old.is_empty() && new_replicas != replicas {
                scale(&d_obj, &new, replicas, client);
            } else if new_replicas < replicas && all < replicas + surge {
                let target = new_replicas + (replicas + surge - all).min(replicas - new_replicas);
                scale(&d_obj, &new, target, client);
            } else {
                self.scale_down_old(&d_obj, &new, &active_old, replicas, max_unavailable, client);
            }
        }
        self.sync_status(&d_obj, &new_key, client);
    }
}

impl DeploymentController {
    /// `reconcileOldReplicaSets`: first old ReplicaSets' unavailable pods, then available ones,
    /// oldest first, never below `replicas − maxUnavailable` available pods.
    fn scale_down_old(
        &self,
        d_obj: &ObjectRef,
        new: &ReplicaSet,
        old: &[&ReplicaSet],
        replicas: i32,
        max_unavailable: i32,
        client: &mut Client,
    ) {
        let all: i32 = rs_replicas(new) + old.iter().map(|rs| rs_replicas(rs)).sum::<i32>();
        let min_available = replicas - max_unavailable;
        let new_unavailable = rs_replicas(new) - rs_available(new);
        let mut budget = all - min_available - new_unavailable;
        // Counted from specs, not from statuses that may lag behind: nothing may go below
        // the minimum available.
        if budget <= 0 {
            return;
        }
        let mut targets: Vec<i32> = old.iter().map(|rs| rs_replicas(rs)).collect();
        for (rs, target) in old.iter().zip(targets.iter_mut()) {
            if budget <= 0 {
                break;
            }
            let unhealthy = (*target - rs_available(rs)).min(budget).max(0);
            *target -= unhealthy;
            budget -= unhealthy;
        }
        let available: i32 = rs_available(new) + old.iter().map(|rs| rs_available(rs)).sum::<i32>();
        let mut removable = (available - min_available).max(0);
        for (rs, target) in old.iter().zip(targets.iter_mut()) {
            let healthy = (*target).min(removable).min(rs_available(rs));
            *target -= healthy;
            removable -= healthy;
        }
        for (rs, target) in old.iter().zip(targets) {
            if target != rs_replicas(rs) {
                scale(d_obj, rs, target, client);
            }
        }
    }

    fn create_replicaset(
        &self,
        d_obj: &ObjectRef,
        hash: &str,
        replicas: i32,
        revision: i64,
        surge: i32,
        client: &mut Client,
    ) -> Option<ReplicaSet> {
        let Object::Deployment(d) = &**d_obj else { return None };
        let spec = d.spec.as_ref()?;
        let name = format!("{}-{hash}", d.metadata.name.as_deref().unwrap_or(""));
        let mut template = spec.template.clone();
        let t_meta = template.metadata.get_or_insert_with(Default::default);
        t_meta.labels.get_or_insert_with(BTreeMap::new).insert("pod-template-hash".to_string(), hash.to_string());
        let mut selector = spec.selector.clone();
        selector.match_labels.get_or_insert_with(BTreeMap::new).insert("pod-template-hash".to_string(), hash.to_string());
        let desired = spec.replicas.unwrap_or(1);
        let annotations = BTreeMap::from([
            ("deployment.kubernetes.io/desired-replicas".to_string(), desired.to_string()),
            ("deployment.kubernetes.io/max-replicas".to_string(), (desired + surge).to_string()),
            (REVISION.to_string(), revision.to_string()),
        ]);
        let rs = ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: d.metadata.namespace.clone(),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                annotations: Some(annotations),
                owner_references: Some(vec![controller_ref(d_obj.kind(), &d.metadata)]),
                ..Default::default()
            },
            spec: Some(ReplicaSetSpec {
                replicas: Some(replicas),
                selector,
                template: Some(template),
                min_ready_seconds: spec.min_ready_seconds,
            }),
            status: None,
        };
        let created = client.create(Object::ReplicaSet(rs)).ok()?;
        if replicas > 0 {
            client.event(d_obj, "Normal", "ScalingReplicaSet", format!("Scaled up replica set {name} from 0 to {replicas}"));
        }
        let key = Key::of(d_obj);
        let _ = client.patch(&key, "update", |o| {
            if let Object::Deployment(d) = o {
                d.metadata.annotations.get_or_insert_with(BTreeMap::new).insert(REVISION.to_string(), revision.to_string());
            }
        });
        match &*created {
            Object::ReplicaSet(rs) => Some(rs.clone()),
            _ => None,
        }
    }

    fn sync_status(&self, d_obj: &ObjectRef, new_key: &Key, client: &mut Client) {
        let Object::Deployment(d) = &**d_obj else { return };
        let mut status = DeploymentStatus { observed_generation: d.metadata.generation, ..Default::default() };
        let (mut replicas, mut ready, mut available, mut updated) = (0, 0, 0, 0);
        for rs in self.replicasets.owned_by(&d.metadata) {
            let Object::ReplicaSet(rs) = &**rs else { continue };
            let s = rs.status.clone().unwrap_or_default();
            replicas += s.replicas;
            ready += s.ready_replicas.unwrap_or(0);
            available += s.available_replicas.unwrap_or(0);
            if rs.metadata.name.as_deref() == Some(new_key.name.as_str()) {
                updated = s.replicas;
            }
        }
        let desired = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let (_, max_unavailable) = resolve_fenceposts(d);
        status.ready_replicas = Some(ready).filter(|n| *n > 0);
        status.available_replicas = Some(available).filter(|n| *n > 0);
        status.updated_replicas = Some(updated).filter(|n| *n > 0);
        status.unavailable_replicas = Some(desired - available).filter(|n| *n > 0);
        status.replicas = Some(replicas).filter(|n| *n > 0);
        let old = d.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        let now = client.now_ms();
        let has_min = available >= desired - max_unavailable;
        let complete = updated == desired && replicas == desired && available == desired;
        let rs_name = &new_key.name;
        status.conditions = Some(vec![
            condition(
                &old,
                "Available",
                has_min,
                if has_min {
                    ("MinimumReplicasAvailable", "Deployment has minimum availability.".to_string())
                } else {
                    ("MinimumReplicasUnavailable", "Deployment does not have minimum availability.".to_string())
                },
                now,
            ),
            condition(
                &old,
                "Progressing",
                true,
                if complete {
                    ("NewReplicaSetAvailable", format!("ReplicaSet {rs_name:?} has successfully progressed."))
                } else {
                    ("ReplicaSetUpdated", format!("ReplicaSet {rs_name:?} is progressing."))
                },
                now,
            ),
        ]);
        status.collision_count = d.status.as_ref().and_then(|s| s.collision_count);
        if d.status.as_ref() != Some(&status) {
            let _ = client.patch(&Key::of(d_obj), "update status", |o| {
                if let Object::Deployment(d) = o {
                    d.status = Some(status);
                }
            });
        }
    }
}

/// A Deployment condition that keeps its timestamps while nothing about it changes.
fn condition(old: &[DeploymentCondition], type_: &str, ok: bool, (reason, message): (&str, String), now_ms: u64) -> DeploymentCondition {
    let status = if ok { "True" } else { "False" }.to_string();
    let previous = old.iter().find(|c| c.type_ == type_);
    let same = previous.is_some_and(|c| c.status == status && c.reason.as_deref() == Some(reason));
    let transition = previous.filter(|c| c.status == status).and_then(|c| c.last_transition_time.clone());
    DeploymentCondition {
        type_: type_.to_string(),
        status,
        reason: Some(reason.to_string()),
        message: Some(message),
        last_update_time: if same { previous.and_then(|c| c.last_update_time.clone()) } else { Some(timestamp(now_ms)) },
        last_transition_time: transition.or_else(|| Some(timestamp(now_ms))),
    }
}

/// Sets a ReplicaSet's replicas and records the `ScalingReplicaSet` event.
fn scale(d_obj: &ObjectRef, rs: &ReplicaSet, replicas: i32, client: &mut Client) {
    let from = rs_replicas(rs);
    if from == replicas {
        return;
    }
    let key = Key::of(&Object::ReplicaSet(rs.clone()));
    let desired = if let Object::Deployment(d) = &**d_obj { d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1) } else { replicas };
    let scaled = client.patch(&key, "update", |o| {
        if let Object::ReplicaSet(rs) = o {
            if let Some(spec) = rs.spec.as_mut() {
                spec.replicas = Some(replicas);
            }
            rs.metadata
                .annotations
                .get_or_insert_with(BTreeMap::new)
                .insert("deployment.kubernetes.io/desired-replicas".to_string(), desired.to_string());
        }
    });
    if scaled.is_ok() {
        let direction = if replicas > from { "up" } else { "down" };
        client.event(
            d_obj,
            "Normal",
            "ScalingReplicaSet",
            format!("Scaled {direction} replica set {} from {from} to {replicas}", key.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenceposts_match_upstream() {
        let d = |surge: &str, unavailable: &str, replicas: i32| {
            let mut d = Deployment::default();
            let spec = d.spec.get_or_insert_with(Default::default);
            spec.replicas = Some(replicas);
            let strategy = spec.strategy.get_or_insert_with(Default::default);
            strategy.rolling_update = Some(k8s_openapi::api::apps::v1::RollingUpdateDeployment {
                max_surge: Some(IntOrString::String(surge.into())),
                max_unavailable: Some(IntOrString::String(unavailable.into())),
            });
            resolve_fenceposts(&d)
        };
        assert_eq!(d("0%", "0%", 0), (0, 1));
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
}
