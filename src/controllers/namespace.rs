//! The namespace controller (`pkg/controller/namespace`): when a namespace is deleted (it is
//! then Terminating, held by its `kubernetes` spec finalizer), it deletes everything in it,
//! reports what remains in the namespace's conditions, and once the namespace is empty
//! removes the finalizer so that the namespace goes too.
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::NamespaceCondition;

use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::{timestamp, Client, DeleteOptions, Propagation, WatchEvent, WatchEventType};

use super::{Controller, Store, WorkQueue};

#[derive(Default)]
pub struct NamespaceController {
    namespaces: Store,
    /// namespace → every object in it (an informer per namespaced kind).
    content: BTreeMap<String, BTreeMap<Key, ObjectRef>>,
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
    fn name(&self) -> &'static str {
        "namespace-controller"
    }

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
        let content = self.content.entry(namespace.clone()).or_default();
        if event.event_type == WatchEventType::Deleted {
            content.remove(&key);
            self.deleting.remove(&key);
        } else {
            content.insert(key, event.object.clone());
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
        let content: Vec<ObjectRef> = self.content.get(&key.name).into_iter().flat_map(|c| c.values().cloned()).collect();
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
        // Delete what is not going yet; what stays (graceful pods, finalizers) remains.
        let mut remaining = Vec::new();
        for object in content {
            let object_key = Key::of(&object);
            if !self.deleting.insert(object_key.clone()) {
                remaining.push(object);
                continue;
            }
            let options = DeleteOptions { propagation_policy: Some(Propagation::Background), ..Default::default() };
            if let Ok(after) = client.delete_with(&object_key, options) {
                if after.metadata().deletion_timestamp.is_some() {
                    remaining.push(after);
                }
            }
        }
        let conditions = deletion_conditions(&remaining, client.now_ms());
        let _ = client.patch(key, "update status", |o| {
            if let Object::Namespace(ns) = o {
                let status = ns.status.get_or_insert_with(Default::default);
                let old = status.conditions.take().unwrap_or_default();
                // A condition keeps its transition time while its status stays.
                let merged = conditions
                    .into_iter()
                    .map(|mut c| {
                        if let Some(prev) = old.iter().find(|p| p.type_ == c.type_ && p.status == c.status) {
                            c.last_transition_time = prev.last_transition_time.clone();
                        }
                        c
                    })
                    .collect();
                status.conditions = Some(merged);
            }
        });
    }
}

/// The conditions a Terminating namespace reports (`namespaced_resources_deleter.go`):
/// every check passed, except the content and finalizers still remaining.
fn deletion_conditions(remaining: &[ObjectRef], now_ms: u64) -> Vec<NamespaceCondition> {
    let mut by_resource: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_finalizer: BTreeMap<String, usize> = BTreeMap::new();
    for object in remaining {
        let kind = object.kind();
        *by_resource.entry(format!("{}.{}", kind.resource, kind.group)).or_default() += 1;
        for f in object.metadata().finalizers.iter().flatten() {
            *by_finalizer.entry(f.clone()).or_default() += 1;
        }
    }
    let resources: Vec<String> = by_resource.iter().map(|(r, n)| format!("{r} has {n} resource instances")).collect();
    let finalizers: Vec<String> = by_finalizer.iter().map(|(f, n)| format!("{f} in {n} resource instances")).collect();
    let content = if resources.is_empty() {
        ("False", "ContentRemoved", "All content successfully removed".to_string())
    } else {
        ("True", "SomeResourcesRemain", format!("Some resources are remaining: {}", resources.join(", ")))
    };
    let finalizing = if finalizers.is_empty() {
        ("False", "ContentHasNoFinalizers", "All content-preserving finalizers finished".to_string())
    } else {
        ("True", "SomeFinalizersRemain", format!("Some content in the namespace has finalizers remaining: {}", finalizers.join(", ")))
    };
    [
        ("NamespaceDeletionDiscoveryFailure", ("False", "ResourcesDiscovered", "All resources successfully discovered".to_string())),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            ("False", "ParsedGroupVersions", "All legacy kube types successfully parsed".to_string()),
        ),
        (
            "NamespaceDeletionContentFailure",
            ("False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization".to_string()),
        ),
        ("NamespaceContentRemaining", content),
        ("NamespaceFinalizersRemaining", finalizing),
    ]
    .into_iter()
    .map(|(type_, (status, reason, message))| NamespaceCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message),
        last_transition_time: Some(timestamp(now_ms)),
    })
    .collect()
}
