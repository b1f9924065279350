//! The resource quota controller (`pkg/controller/resourcequota`): keeps each ResourceQuota's
//! `status.hard` (its spec) and `status.used` (what the namespace holds) current.
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::{format_quantity, quota_usage, Client, WatchEvent, WatchEventType};

use super::{Controller, WorkQueue};

#[derive(Default)]
pub struct ResourceQuotaController {
    /// namespace → its objects (those a quota can count).
    objects: BTreeMap<String, BTreeMap<Key, ObjectRef>>,
    /// namespace → its ResourceQuotas.
    quotas: BTreeMap<String, BTreeSet<Key>>,
    queue: WorkQueue,
}

impl Controller for ResourceQuotaController {
    fn name(&self) -> &'static str {
        "resourcequota-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        event.object.kind().namespaced && !matches!(&*event.object, Object::Event(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        let objects = self.objects.entry(key.namespace.clone()).or_default();
        let quotas = self.quotas.entry(key.namespace.clone()).or_default();
        if event.event_type == WatchEventType::Deleted {
            objects.remove(&key);
            quotas.remove(&key);
        } else {
            if key.kind == "ResourceQuota" {
                quotas.insert(key.clone());
            }
            objects.insert(key, event.object.clone());
        }
        quotas.iter().for_each(|k| self.queue.add(k.clone()));
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(objects) = self.objects.get(&key.namespace) else { return };
        let Some(Object::ResourceQuota(quota)) = objects.get(key).map(|o| &**o) else { return };
        let hard = quota.spec.as_ref().and_then(|s| s.hard.clone()).unwrap_or_default();
        let usage = quota_usage(objects.values().map(|o| &**o));
        let used: BTreeMap<String, Quantity> =
            hard.keys().map(|k| (k.clone(), Quantity(format_quantity(k, usage.get(k).copied().unwrap_or(0))))).collect();
        let status = quota.status.as_ref();
        if status.and_then(|s| s.hard.as_ref()) == Some(&hard) && status.and_then(|s| s.used.as_ref()) == Some(&used) {
            return;
        }
        let _ = client.patch(key, "update status", |o| {
            if let Object::ResourceQuota(q) = o {
                let status = q.status.get_or_insert_with(Default::default);
                status.hard = Some(hard);
                status.used = Some(used);
            }
        });
    }
}
