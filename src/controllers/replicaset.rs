//! The ReplicaSet controller (`pkg/controller/replicaset`): keeps `spec.replicas` pods for
//! each ReplicaSet, creating them from its template in slow-start batches or deleting the
//! least valuable ones, and reports `status.replicas`, `readyReplicas`, `availableReplicas`
//! (ready for minReadySeconds) and a ReplicaFailure condition while pods cannot be made.
use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetCondition, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;

use crate::api::{controller_of, Key, Object};
use crate::apiserver::{timestamp, Client, WatchEvent};

use super::pod_control::{self, is_active, is_available, is_ready, owned_pods, Expectations, Retries};
use super::{Controller, Store, WorkQueue};

/// At most this many pods are created or deleted in one sync (`BurstReplicas`).
const BURST_REPLICAS: usize = 500;

/// The most pods the simulation creates for one ReplicaSet. The API server accepts any
/// `spec.replicas` up to 2147483647, as upstream does, but a browser tab cannot hold billions
/// of pods: past this many the controller stops creating and says so in a Warning event
/// (`ReplicasCapped`) on the ReplicaSet. The status still counts the pods there are.
const MAX_SIMULATED_REPLICAS: usize = 10_000;

#[derive(Default)]
pub struct ReplicaSetController {
    replicasets: Store,
    pods: Store,
    expectations: Expectations,
    retries: Retries,
    queue: WorkQueue,
}

impl Controller for ReplicaSetController {
    fn name(&self) -> &'static str {
        "replicaset-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::ReplicaSet(_) | Object::Pod(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::ReplicaSet(_) => {
                self.replicasets.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Pod(_) => {
                if let Some(rs) = self.expectations.observe_pod(&mut self.pods, event, "ReplicaSet") {
                    self.queue.add(rs);
                }
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(Object::ReplicaSet(rs)) = self.replicasets.get(key).map(|o| (**o).clone()) else {
            self.expectations.forget(key);
            self.retries.forget(key);
            return;
        };
        let Some(spec) = rs.spec.as_ref() else { return };
        let rs_obj = Object::ReplicaSet(rs.clone());
        let active: Vec<Pod> = pod_control::claim_pods(&self.pods, &rs_obj, &spec.selector, client).into_iter().filter(is_active).collect();
        let mut error = None;
        if self.expectations.satisfied(key) && rs.metadata.deletion_timestamp.is_none() {
            error = self.manage_replicas(key, &rs, &active, client);
        }
        let now = client.now_ms();
        let min_ready = spec.min_ready_seconds.unwrap_or(0);
        let want = spec.replicas.unwrap_or(1);
        let ready = active.iter().filter(|p| is_ready(p)).count() as i32;
        let available = active.iter().filter(|p| is_available(p, min_ready, now)).count() as i32;
        let mut conditions = rs.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
        let failing = conditions.iter().any(|c| c.type_ == "ReplicaFailure");
        match &error {
            Some(message) if !failing => conditions.push(ReplicaSetCondition {
                type_: "ReplicaFailure".into(),
                status: "True".into(),
                reason: Some(if (active.len() as i32) < want { "FailedCreate" } else { "FailedDelete" }.into()),
                message: Some(message.clone()),
                last_transition_time: Some(timestamp(now)),
            }),
            None if failing => conditions.retain(|c| c.type_ != "ReplicaFailure"),
            _ => {}
        }
        let status = ReplicaSetStatus {
            replicas: active.len() as i32,
            fully_labeled_replicas: Some(active.len() as i32),
            ready_replicas: Some(ready),
            available_replicas: Some(available),
            observed_generation: rs.metadata.generation,
            conditions: Some(conditions).filter(|c| !c.is_empty()),
            ..Default::default()
        };
        if rs.status.as_ref() != Some(&status) {
            let _ = client.patch(key, "update status", |o| {
                if let Object::ReplicaSet(rs) = o {
                    rs.status = Some(status);
                }
            });
        }
        self.retries.after_sync(key, error.is_some(), &mut self.queue, now);
        if error.is_none() {
            // Pods that are ready but not yet available become available on their own: look
            // again when minReadySeconds have passed.
            if min_ready > 0 && ready == want && available != want {
                self.queue.add_at(key.clone(), now.saturating_add(u64::try_from(min_ready).unwrap_or(0) * 1000));
            }
        }
    }
}

impl ReplicaSetController {
    /// `manageReplicas`: creates or deletes pods to reach `spec.replicas`; returns the first error.
    fn manage_replicas(&mut self, key: &Key, rs: &ReplicaSet, active: &[Pod], client: &mut Client) -> Option<String> {
        let asked = usize::try_from(rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)).unwrap_or(0);
        let want = asked.min(MAX_SIMULATED_REPLICAS);
        let rs_obj = Object::ReplicaSet(rs.clone());
        if active.len() < want {
            let count = (want - active.len()).min(BURST_REPLICAS);
            self.expectations.expect(key, count, 0);
            let template = rs.spec.as_ref().and_then(|s| s.template.clone()).unwrap_or_default();
            let (created, error) = pod_control::slow_start_batch(count, || {
                let pod = pod_control::pod_from_template(&template, &rs_obj, None);
                pod_control::create_pod(client, &rs_obj, pod).map(|_| ())
            });
            // The pods never created will never be observed.
            self.expectations.lower(key, count - created, 0);
            if asked > want && active.len() + created == want {
                let message = format!(
                    "kubeglass simulates at most {MAX_SIMULATED_REPLICAS} pods per ReplicaSet: {} of the {asked} replicas are not created",
                    asked - want
                );
                client.event(&rs_obj, "Warning", "ReplicasCapped", message);
            }
            return error;
        }
        if active.len() > want {
            let count = (active.len() - want).min(BURST_REPLICAS);
            let victims = pod_control::pods_to_delete(active.to_vec(), &self.related_pods(rs), count, client.now_ms());
            self.expectations.expect(key, 0, victims.len());
            let mut error = None;
            for pod in &victims {
                if let Err(e) = pod_control::delete_pod(client, &rs_obj, pod) {
                    self.expectations.lower(key, 0, 1);
                    error.get_or_insert(e);
                }
            }
            return error;
        }
        None
    }

    /// `getIndirectlyRelatedPods`: the pods of every ReplicaSet with the same controller
    /// (the Deployment's other revisions), or just this ReplicaSet's own.
    fn related_pods(&self, rs: &ReplicaSet) -> Vec<Pod> {
        let Some(owner) = controller_of(&rs.metadata).map(|o| o.uid.clone()) else { return owned_pods(&self.pods, &rs.metadata) };
        self.replicasets
            .values()
            .filter(|other| controller_of(other.metadata()).is_some_and(|o| o.uid == owner))
            .flat_map(|other| owned_pods(&self.pods, other.metadata()))
            .collect()
    }
}
