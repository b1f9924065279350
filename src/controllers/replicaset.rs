//! The ReplicaSet controller: keeps `spec.replicas` pods running for each ReplicaSet,
//! creating them from its template or deleting the least valuable ones, and reports
//! `status.replicas`, `readyReplicas` and `availableReplicas` (`pkg/controller/replicaset`).
use std::collections::HashMap;

use k8s_openapi::api::apps::v1::ReplicaSetStatus;
use k8s_openapi::api::core::v1::Pod;

use crate::api::{controller_key, controller_ref, Key, Object, ObjectMeta, ObjectRef};
use crate::apiserver::{virtual_ms, Client, WatchEvent, WatchEventType};

use super::{Controller, Store, WorkQueue};

/// At most this many pods are created or deleted in one sync (`BurstReplicas`).
const BURST_REPLICAS: usize = 500;

#[derive(Default)]
pub struct ReplicaSetController {
    replicasets: Store,
    pods: Store,
    /// Creations and deletions this controller made but has not yet seen come back through its
    /// watch (`ControllerExpectations`): until they arrive, its cache is behind and it must not
    /// count pods again.
    expectations: HashMap<Key, (i64, i64)>,
    queue: WorkQueue,
}

fn is_active(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    pod.metadata.deletion_timestamp.is_none() && !matches!(phase, Some("Succeeded" | "Failed"))
}

/// Whether the pod's Ready condition is True.
pub fn is_ready(pod: &Pod) -> bool {
    pod.status.as_ref().and_then(|s| s.conditions.as_ref()).into_iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True")
}

impl Controller for ReplicaSetController {
    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::ReplicaSet(_) | Object::Pod(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::ReplicaSet(_) => {
                self.replicasets.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Pod(pod) => {
                let seen_before = self.pods.get(&Key::of(&event.object)).is_some_and(|p| p.metadata().deletion_timestamp.is_some());
                self.pods.apply(event);
                let Some(rs) = controller_key(&pod.metadata, "ReplicaSet") else { return };
                if let Some((adds, dels)) = self.expectations.get_mut(&rs) {
                    match event.event_type {
                        WatchEventType::Added => *adds -= 1,
                        WatchEventType::Deleted if !seen_before => *dels -= 1,
                        WatchEventType::Modified if pod.metadata.deletion_timestamp.is_some() && !seen_before => *dels -= 1,
                        _ => {}
                    }
                }
                self.queue.add(rs);
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(rs_obj) = self.replicasets.get(key).cloned() else {
            self.expectations.remove(key);
            return;
        };
        let Object::ReplicaSet(rs) = &*rs_obj else { return };
        let Some(spec) = rs.spec.as_ref() else { return };
        let pods: Vec<ObjectRef> = self.pods.owned_by(&rs.metadata).cloned().collect();
        let active: Vec<&Pod> =
            pods.iter().filter_map(|p| if let Object::Pod(p) = &**p { Some(p) } else { None }).filter(|p| is_active(p)).collect();
        let satisfied = self.expectations.get(key).is_none_or(|(a, d)| *a <= 0 && *d <= 0);
        if satisfied && rs.metadata.deletion_timestamp.is_none() {
            let want = spec.replicas.unwrap_or(1).max(0) as usize;
            if active.len() < want {
                let count = (want - active.len()).min(BURST_REPLICAS);
                self.expectations.insert(key.clone(), (count as i64, 0));
                for _ in 0..count {
                    let pod = pod_from_template(&rs_obj);
                    match client.create(Object::Pod(pod)) {
                        Ok(created) => {
                            let name = created.metadata().name.clone().unwrap_or_default();
                            client.event(&rs_obj, "Normal", "SuccessfulCreate", format!("Created pod: {name}"));
                        }
                        Err(e) => {
                            if let Some((adds, _)) = self.expectations.get_mut(key) {
                                *adds -= 1;
                            }
                            client.event(&rs_obj, "Warning", "FailedCreate", format!("Error creating: {}", e.message));
                            break;
                        }
                    }
                }
            } else if active.len() > want {
                let mut victims = active.clone();
                victims.sort_by_key(|p| deletion_rank(p));
                let victims: Vec<&Pod> = victims.into_iter().take((active.len() - want).min(BURST_REPLICAS)).collect();
                self.expectations.insert(key.clone(), (0, victims.len() as i64));
                for pod in victims {
                    let pod_key =
                        Key::new("Pod", pod.metadata.namespace.as_deref().unwrap_or(""), pod.metadata.name.as_deref().unwrap_or(""));
                    if client.delete(&pod_key, None).is_ok() {
                        client.event(&rs_obj, "Normal", "SuccessfulDelete", format!("Deleted pod: {}", pod_key.name));
                    } else if let Some((_, dels)) = self.expectations.get_mut(key) {
                        *dels -= 1;
                    }
                }
            }
        }
        let ready = active.iter().filter(|p| is_ready(p)).count() as i32;
        let status = ReplicaSetStatus {
            replicas: active.len() as i32,
            fully_labeled_replicas: Some(active.len() as i32),
            ready_replicas: Some(ready),
            // minReadySeconds is 0 by default, so a ready pod is available at once.
            available_replicas: Some(ready),
            observed_generation: rs.metadata.generation,
            ..Default::default()
        };
        if rs.status.as_ref() != Some(&status) {
            let _ = client.patch(key, "update status", |o| {
                if let Object::ReplicaSet(rs) = o {
                    rs.status = Some(status);
                }
            });
        }
    }
}

/// Which pod to delete first on scale-down (`ActivePodsWithRanks.Less`, simplified to the
/// first criteria): unscheduled before scheduled, Pending before Running, not ready before
/// ready, then the newest first.
fn deletion_rank(pod: &Pod) -> (bool, u8, bool, std::cmp::Reverse<u64>) {
    let scheduled = pod.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
    let phase = match pod.status.as_ref().and_then(|s| s.phase.as_deref()) {
        Some("Pending") => 0,
        Some("Running") => 2,
        _ => 1,
    };
    let created = pod.metadata.creation_timestamp.as_ref().map_or(0, virtual_ms);
    (scheduled, phase, is_ready(pod), std::cmp::Reverse(created))
}

/// A new pod for a ReplicaSet: its template, a generated name, and the RS as controller owner.
fn pod_from_template(rs_obj: &ObjectRef) -> Pod {
    let Object::ReplicaSet(rs) = &**rs_obj else { return Pod::default() };
    let template = rs.spec.as_ref().and_then(|s| s.template.clone()).unwrap_or_default();
    let t_meta = template.metadata.unwrap_or_default();
    let name = rs.metadata.name.clone().unwrap_or_default();
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{name}-")),
            namespace: rs.metadata.namespace.clone(),
            labels: t_meta.labels,
            annotations: t_meta.annotations,
            owner_references: Some(vec![controller_ref(rs_obj.kind(), &rs.metadata)]),
            ..Default::default()
        },
        spec: template.spec,
        status: None,
    }
}
