//! The garbage collector: when an owner is deleted, its dependents (objects whose
//! ownerReferences name the owner's uid) are deleted too (background propagation).
use std::collections::{BTreeSet, HashMap};

use crate::api::{Key, Object};
use crate::apiserver::{Client, WatchEvent, WatchEventType};

use super::{Controller, WorkQueue};

#[derive(Default)]
pub struct GarbageCollector {
    /// owner uid → the objects that name it as an owner.
    dependents: HashMap<String, BTreeSet<Key>>,
    queue: WorkQueue,
}

impl Controller for GarbageCollector {
    /// The owners and dependents kubeglass's controllers create; Leases, Events and Nodes are
    /// left out so that heartbeats do not wake the collector.
    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(
            &*event.object,
            Object::Deployment(_)
                | Object::ReplicaSet(_)
                | Object::DaemonSet(_)
                | Object::StatefulSet(_)
                | Object::Pod(_)
                | Object::PersistentVolumeClaim(_)
                | Object::CronJob(_)
                | Object::Job(_)
                | Object::Service(_)
                | Object::EndpointSlice(_)
        )
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        let meta = event.object.metadata();
        let owners = meta.owner_references.iter().flatten().map(|r| r.uid.clone());
        if event.event_type == WatchEventType::Deleted {
            for owner in owners {
                if let Some(set) = self.dependents.get_mut(&owner) {
                    set.remove(&key);
                }
            }
            if let Some(orphans) = meta.uid.as_ref().and_then(|uid| self.dependents.remove(uid)) {
                orphans.into_iter().for_each(|k| self.queue.add(k));
            }
        } else {
            for owner in owners {
                self.dependents.entry(owner).or_default().insert(key.clone());
            }
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        // Already gone is fine: someone else deleted it first.
        let _ = client.delete(key, None);
    }
}
