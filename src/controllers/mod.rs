//! kube-controller-manager: one reconcile loop per controller, each with its own informer
//! caches and work queue, all talking to the API server through one client identity.
mod cron;
mod cronjob;
mod daemonset;
mod deployment;
mod disruption;
mod endpoint_slice;
mod endpoints;
mod garbage_collector;
mod horizontal_pod_autoscaler;
pub mod ingress_nginx;
mod job;
mod namespace;
mod node_lifecycle;
mod persistent_volume;
mod pod_control;
mod replicaset;
mod resource_quota;
mod service_lb;
mod statefulset;
mod ttl_after_finished;
mod vertical_pod_autoscaler;

use std::collections::{BTreeMap, HashSet, VecDeque};

use crate::api::{is_controlled_by, Key, ObjectMeta, ObjectRef};
use crate::apiserver::{Client, WatchEvent, WatchEventType};

pub use cronjob::CronJobController;
pub use daemonset::DaemonSetController;
pub use deployment::{pod_template_hash, DeploymentController};
pub use disruption::DisruptionController;
pub use endpoint_slice::EndpointSliceController;
pub use endpoints::EndpointsController;
pub use garbage_collector::GarbageCollector;
pub use horizontal_pod_autoscaler::HorizontalPodAutoscalerController;
pub use job::JobController;
pub use namespace::NamespaceController;
pub use node_lifecycle::NodeLifecycleController;
pub use persistent_volume::PersistentVolumeController;
pub use replicaset::ReplicaSetController;
pub use resource_quota::ResourceQuotaController;
pub use statefulset::StatefulSetController;
pub use ttl_after_finished::TtlAfterFinishedController;

/// An informer's local cache of one kind, fed by watch events (client-go's `Store`).
#[derive(Default)]
pub struct Store(BTreeMap<Key, ObjectRef>);

impl Store {
    pub fn apply(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        if event.event_type == WatchEventType::Deleted {
            self.0.remove(&key);
        } else {
            self.0.insert(key, event.object.clone());
        }
    }
    pub fn get(&self, key: &Key) -> Option<&ObjectRef> {
        self.0.get(key)
    }
    pub fn values(&self) -> impl Iterator<Item = &ObjectRef> {
        self.0.values()
    }
    /// The cached objects whose controller is `owner`.
    pub fn owned_by<'a>(&'a self, owner: &'a ObjectMeta) -> impl Iterator<Item = &'a ObjectRef> + 'a {
        self.0.values().filter(move |o| is_controlled_by(o.metadata(), owner))
    }
}

/// A work queue of keys that holds each key once (client-go's `workqueue`), so a burst of
/// events about one object costs one reconcile. Keys added "after" a delay (`AddAfter`) wait
/// until virtual time reaches them: how controllers requeue for back-offs and deadlines.
#[derive(Default)]
pub struct WorkQueue {
    order: VecDeque<Key>,
    queued: HashSet<Key>,
    /// (due time in ms, insertion order) → key.
    delayed: BTreeMap<(u64, u64), Key>,
    next_seq: u64,
}

impl WorkQueue {
    pub fn add(&mut self, key: Key) {
        if self.queued.insert(key.clone()) {
            self.order.push_back(key);
        }
    }
    /// Adds `key` once virtual time reaches `due_ms`.
    pub fn add_at(&mut self, key: Key, due_ms: u64) {
        self.delayed.insert((due_ms, self.next_seq), key);
        self.next_seq += 1;
    }
    /// Moves every delayed key that is due at `now_ms` into the queue.
    pub fn promote(&mut self, now_ms: u64) {
        while let Some(entry) = self.delayed.first_entry() {
            if entry.key().0 > now_ms {
                break;
            }
            let key = entry.remove();
            self.add(key);
        }
    }
    /// When the earliest delayed key falls due.
    pub fn next_due(&self) -> Option<u64> {
        self.delayed.keys().next().map(|(due, _)| *due)
    }
    pub fn pop(&mut self) -> Option<Key> {
        let key = self.order.pop_front()?;
        self.queued.remove(&key);
        Some(key)
    }
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// One reconcile loop, as client-go's controller pattern has it: informers feed `on_event`,
/// which queues keys; `sync` reconciles one key through the API server.
pub trait Controller {
    /// The name its events carry as their source, as upstream's event recorders name them
    /// (`deployment-controller`, `job-controller`, ...).
    fn name(&self) -> &'static str;
    /// Whether this controller's informers watch the event's kind.
    fn watches(&self, event: &WatchEvent) -> bool;
    fn on_event(&mut self, event: &WatchEvent);
    fn queue(&mut self) -> &mut WorkQueue;
    fn sync(&mut self, key: &Key, client: &mut Client);
}

/// The controllers kube-controller-manager runs, in one process, in the order they sync.
pub struct ControllerManager {
    controllers: Vec<Box<dyn Controller>>,
}

impl Default for ControllerManager {
    fn default() -> Self {
        ControllerManager {
            controllers: vec![
                Box::new(DeploymentController::default()),
                Box::new(ReplicaSetController::default()),
                Box::new(DaemonSetController::default()),
                Box::new(StatefulSetController::default()),
                Box::new(PersistentVolumeController::default()),
                Box::new(JobController::default()),
                Box::new(CronJobController::default()),
                Box::new(TtlAfterFinishedController::default()),
                Box::new(EndpointsController::default()),
                Box::new(EndpointSliceController::default()),
                Box::new(GarbageCollector::default()),
                Box::new(NamespaceController::default()),
                Box::new(ResourceQuotaController::default()),
                Box::new(service_lb::ServiceLbController::default()),
                Box::new(NodeLifecycleController::default()),
                Box::new(DisruptionController::default()),
                Box::new(HorizontalPodAutoscalerController::default()),
                Box::new(ingress_nginx::IngressNginxController::default()),
                Box::new(vertical_pod_autoscaler::VpaRecommender::default()),
                Box::new(vertical_pod_autoscaler::VpaUpdater::default()),
            ],
        }
    }
}

impl ControllerManager {
    /// Whether this watch event concerns any controller.
    pub fn watches(&self, event: &WatchEvent) -> bool {
        self.controllers.iter().any(|c| c.watches(event))
    }

    pub fn on_event(&mut self, event: &WatchEvent) {
        for controller in &mut self.controllers {
            if controller.watches(event) {
                controller.on_event(event);
            }
        }
    }

    /// Whether any controller has a key to sync at `now_ms`.
    pub fn has_work(&mut self, now_ms: u64) -> bool {
        self.controllers.iter_mut().any(|c| {
            c.queue().promote(now_ms);
            !c.queue().is_empty()
        })
    }

    /// When the earliest delayed key of any controller falls due: the cluster wakes the
    /// controller manager then.
    pub fn next_due(&mut self) -> Option<u64> {
        self.controllers.iter_mut().filter_map(|c| c.queue().next_due()).min()
    }

    /// Drains every controller's work queue once.
    pub fn run(&mut self, client: &mut Client) {
        let now = client.now_ms();
        for controller in &mut self.controllers {
            client.set_event_source(controller.name());
            controller.queue().promote(now);
            while let Some(key) = controller.queue().pop() {
                controller.sync(&key, client);
            }
        }
    }
}
