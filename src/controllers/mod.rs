//! kube-controller-manager: one reconcile loop per controller, each with its own informer
//! caches and work queue, all talking to the API server through one client identity.
mod deployment;
mod garbage_collector;
mod replicaset;

use std::collections::{BTreeMap, HashSet, VecDeque};

use crate::api::{is_controlled_by, Key, ObjectMeta, ObjectRef};
use crate::apiserver::{Client, WatchEvent, WatchEventType};

pub use deployment::{pod_template_hash, DeploymentController};
pub use garbage_collector::GarbageCollector;
pub use replicaset::ReplicaSetController;

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
/// events about one object costs one reconcile.
#[derive(Default)]
pub struct WorkQueue {
    order: VecDeque<Key>,
    queued: HashSet<Key>,
}

impl WorkQueue {
    pub fn add(&mut self, key: Key) {
        if self.queued.insert(key.clone()) {
            self.order.push_back(key);
        }
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

/// The controllers kube-controller-manager runs, in one process.
#[derive(Default)]
pub struct ControllerManager {
    deployment: DeploymentController,
    replicaset: ReplicaSetController,
    garbage_collector: GarbageCollector,
}

impl ControllerManager {
    /// Whether this watch event concerns any controller.
    pub fn watches(event: &WatchEvent) -> bool {
        DeploymentController::watches(event) || ReplicaSetController::watches(event) || GarbageCollector::watches(event)
    }

    pub fn on_event(&mut self, event: &WatchEvent) {
        if DeploymentController::watches(event) {
            self.deployment.on_event(event);
        }
        if ReplicaSetController::watches(event) {
            self.replicaset.on_event(event);
        }
        if GarbageCollector::watches(event) {
            self.garbage_collector.on_event(event);
        }
    }

    pub fn has_work(&self) -> bool {
        self.deployment.has_work() || self.replicaset.has_work() || self.garbage_collector.has_work()
    }

    /// Drains every controller's work queue once.
    pub fn run(&mut self, client: &mut Client) {
        self.deployment.run(client);
        self.replicaset.run(client);
        self.garbage_collector.run(client);
    }
}
