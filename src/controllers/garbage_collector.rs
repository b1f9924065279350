//! The garbage collector (`pkg/controller/garbagecollector`): it keeps a graph of owners and
//! their dependents (objects whose ownerReferences name the owner's uid) and
//! - deletes a dependent once none of its owners exists any more (background propagation);
//! - for an owner deleted in the foreground (`foregroundDeletion` finalizer), deletes its
//!   dependents first (in the foreground too) and removes the finalizer once no dependent
//!   that blocks owner deletion is left;
//! - for an owner deleted with orphan propagation (`orphan` finalizer), removes the owner's
//!   reference from every dependent, then the finalizer.
use std::collections::{BTreeSet, HashMap};

use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::{Client, DeleteOptions, Propagation, WatchEvent, WatchEventType};

use super::{Controller, Store, WorkQueue};

const FOREGROUND: &str = "foregroundDeletion";
const ORPHAN: &str = "orphan";

#[derive(Default)]
pub struct GarbageCollector {
    objects: Store,
    /// uid → the object's key, for every object the collector has seen.
    keys: HashMap<String, Key>,
    /// owner uid → the objects that name it as an owner.
    dependents: HashMap<String, BTreeSet<Key>>,
    queue: WorkQueue,
}

fn owner_uids(object: &Object) -> impl Iterator<Item = &String> {
    object.metadata().owner_references.iter().flatten().map(|r| &r.uid)
}

fn has_finalizer(object: &Object, finalizer: &str) -> bool {
    object.metadata().finalizers.iter().flatten().any(|f| f == finalizer)
}

impl GarbageCollector {
    fn owner_keys(&self, object: &Object) -> Vec<Key> {
        owner_uids(object).filter_map(|uid| self.keys.get(uid).cloned()).collect()
    }

    fn dependents_of(&self, owner: &Object) -> Vec<ObjectRef> {
        let uid = owner.metadata().uid.clone().unwrap_or_default();
        self.dependents.get(&uid).into_iter().flatten().filter_map(|k| self.objects.get(k).cloned()).collect()
    }

    /// Removes a finalizer the collector handled; the API server deletes the object when it
    /// was the last one.
    fn remove_finalizer(client: &mut Client, key: &Key, finalizer: &str) {
        let _ = client.patch(key, "patch", |o| {
            if let Some(f) = o.metadata_mut().finalizers.as_mut() {
                f.retain(|x| x != finalizer);
            }
        });
    }
}

impl Controller for GarbageCollector {
    fn name(&self) -> &'static str {
        "garbage-collector-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        !matches!(&*event.object, Object::Event(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let object = &event.object;
        let key = Key::of(object);
        let uid = object.metadata().uid.clone().unwrap_or_default();
        self.objects.apply(event);
        // Owners in foreground deletion wait for their dependents: look at them again.
        for owner in self.owner_keys(object) {
            if self.objects.get(&owner).is_some_and(|o| has_finalizer(o, FOREGROUND)) {
                self.queue.add(owner);
            }
        }
        if event.event_type == WatchEventType::Deleted {
            self.keys.remove(&uid);
            for owner in owner_uids(object) {
                if let Some(set) = self.dependents.get_mut(owner) {
                    set.remove(&key);
                }
            }
            if let Some(orphans) = self.dependents.remove(&uid) {
                orphans.into_iter().for_each(|k| self.queue.add(k));
            }
            return;
        }
        self.keys.insert(uid, key.clone());
        for owner in owner_uids(object) {
            self.dependents.entry(owner.clone()).or_default().insert(key.clone());
        }
        let deleting = object.metadata().deletion_timestamp.is_some();
        let owner_missing = owner_uids(object).any(|u| !self.keys.contains_key(u));
        if (deleting && (has_finalizer(object, FOREGROUND) || has_finalizer(object, ORPHAN))) || owner_missing {
            self.queue.add(key);
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(object) = self.objects.get(key).cloned() else { return };
        let meta = object.metadata();
        if meta.deletion_timestamp.is_some() && has_finalizer(&object, ORPHAN) {
            let uid = meta.uid.clone().unwrap_or_default();
            for dependent in self.dependents_of(&object) {
                let _ = client.patch(&Key::of(&dependent), "patch", |o| {
                    let refs = o.metadata_mut().owner_references.take().unwrap_or_default();
                    let kept: Vec<_> = refs.into_iter().filter(|r| r.uid != uid).collect();
                    o.metadata_mut().owner_references = Some(kept).filter(|r| !r.is_empty());
                });
            }
            Self::remove_finalizer(client, key, ORPHAN);
            return;
        }
        if meta.deletion_timestamp.is_some() && has_finalizer(&object, FOREGROUND) {
            let uid = meta.uid.clone().unwrap_or_default();
            let mut blocked = false;
            for dependent in self.dependents_of(&object) {
                let blocks =
                    dependent.metadata().owner_references.iter().flatten().any(|r| r.uid == uid && r.block_owner_deletion == Some(true));
                blocked |= blocks;
                if dependent.metadata().deletion_timestamp.is_none() {
                    let policy = if blocks { Propagation::Foreground } else { Propagation::Background };
                    let options = DeleteOptions { propagation_policy: Some(policy), ..Default::default() };
                    let _ = client.delete_with(&Key::of(&dependent), options);
                }
            }
            if !blocked {
                Self::remove_finalizer(client, key, FOREGROUND);
            }
            return;
        }
        // A dependent none of whose owners exists any more goes too.
        let owners: Vec<&String> = owner_uids(&object).collect();
        if !owners.is_empty() && owners.iter().all(|u| !self.keys.contains_key(*u)) && meta.deletion_timestamp.is_none() {
            let options = DeleteOptions { propagation_policy: Some(Propagation::Background), ..Default::default() };
            let _ = client.delete_with(key, options);
        }
    }
}
