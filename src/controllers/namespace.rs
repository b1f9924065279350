//! The namespace controller (`pkg/controller/namespace`): when a namespace is deleted (it is
//! then Terminating, held by its `kubernetes` spec finalizer), it deletes everything in it,
//! and once the namespace is empty removes the finalizer so that the namespace goes too.
use std::collections::{BTreeMap, BTreeSet};

use crate::api::{Key, Object};
use crate::apiserver::{Client, DeleteOptions, Propagation, WatchEvent, WatchEventType};

use super::{Controller, Store, WorkQueue};

#[derive(Default)]
pub struct NamespaceController {
    namespaces: Store,
    /// namespace → every object in it (an informer per namespaced kind, reduced to keys).
    content: BTreeMap<String, BTreeSet<Key>>,
    /// The content already asked to go (a pod stops gracefully before it is gone).
    deleting: BTreeSet<Key>,
    queue: WorkQueue,
}

impl NamespaceController {
    fn terminating(&self, namespace: &str) -> bool {
        self.namespaces.get(&Key::new("Namespace", "", namespace)).is_some_and(|n| n.metadata().deletion_timestamp.is_some())
    }
}

impl Controller for NamespaceController {
    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Namespace(_)) || event.object.kind().namespaced
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        if let Object::Namespace(_) = &*event.object {
            self.namespaces.apply(event);
            if event.event_type != WatchEventType::Deleted && event.object.metadata().deletion_timestamp.is_some() {
                self.queue.add(key);
            }
            return;
        }
        let namespace = key.namespace.clone();
        let set = self.content.entry(namespace.clone()).or_default();
        if event.event_type == WatchEventType::Deleted {
            set.remove(&key);
            self.deleting.remove(&key);
        } else {
            set.insert(key);
        }
        if self.terminating(&namespace) {
            self.queue.add(Key::new("Namespace", "", &namespace));
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        if !self.terminating(&key.name) {
            return;
        }
        let content: Vec<Key> = self.content.get(&key.name).into_iter().flatten().cloned().collect();
        if content.is_empty() {
            // Empty: finalize (the `namespaces/finalize` subresource), and the namespace goes.
            let _ = client.patch(key, "finalize", |o| {
                if let Object::Namespace(ns) = o {
                    if let Some(f) = ns.spec.as_mut().and_then(|s| s.finalizers.as_mut()) {
                        f.retain(|x| x != "kubernetes");
                    }
                }
            });
            return;
        }
        for object in content {
            if self.deleting.insert(object.clone()) {
                let options = DeleteOptions { propagation_policy: Some(Propagation::Background), ..Default::default() };
                let _ = client.delete_with(&object, options);
            }
        }
    }
}
