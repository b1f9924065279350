//! The ingress-nginx controller's control loop (kubernetes/ingress-nginx, `internal/ingress/
//! controller` and `status`), as `sim ingress-controller install` sets it up: it serves the
//! Ingresses of its IngressClass `nginx` (and those without a class while `nginx` is the
//! default class), records a `Sync` event ("Scheduled for sync") each time one of them is
//! added or changes, and its status syncer, which runs every minute, writes the address of its
//! published Service (`--publish-service=ingress-nginx/ingress-nginx-controller`) to
//! `status.loadBalancer.ingress` of each. Requests are routed by its pods (`crate::network`).
use std::collections::BTreeSet;

use k8s_openapi::api::networking::v1::{Ingress, IngressClass, IngressLoadBalancerIngress, IngressLoadBalancerStatus};

use super::{Controller, Store, WorkQueue};
use crate::api::{Key, Object};
use crate::apiserver::{Client, WatchEvent};

/// `--controller-class`: the IngressClasses whose `spec.controller` names it are its own.
pub const CONTROLLER_CLASS: &str = "k8s.io/ingress-nginx";
/// The namespace, Deployment and Service `sim ingress-controller install` creates.
pub const NAMESPACE: &str = "ingress-nginx";
pub const NAME: &str = "ingress-nginx-controller";
/// The annotation that makes an IngressClass the cluster's default.
const DEFAULT_CLASS: &str = "ingressclass.kubernetes.io/is-default-class";
/// The manifest `sim ingress-controller install` applies.
pub const MANIFEST: &str = include_str!("ingress_nginx.yaml");
/// How often the status syncer writes addresses (ingress-nginx's `updateInterval`).
const STATUS_SYNC_MS: u64 = 60_000;

/// Whether the controller of `classes` serves `ingress`: its class is one of ours, or it has
/// none and one of ours is the default.
pub fn serves<'a>(ingress: &Ingress, mut classes: impl Iterator<Item = &'a IngressClass>) -> bool {
    let wanted = ingress.spec.as_ref().and_then(|s| s.ingress_class_name.as_deref());
    classes.any(|class| {
        let ours = class.spec.as_ref().and_then(|s| s.controller.as_deref()) == Some(CONTROLLER_CLASS);
        let default = class.metadata.annotations.as_ref().and_then(|a| a.get(DEFAULT_CLASS)).map(String::as_str) == Some("true");
        ours && match wanted {
            Some(name) => class.metadata.name.as_deref() == Some(name),
            None => default,
        }
    })
}

#[derive(Default)]
pub struct IngressNginxController {
    ingresses: Store,
    classes: Store,
    /// The published Service (the controller's load balancer).
    service: Option<crate::api::ObjectRef>,
    queue: WorkQueue,
    /// Ingresses added or changed since their last `Sync` event.
    changed: BTreeSet<Key>,
}

fn publish_key() -> Key {
    Key::new("Service", NAMESPACE, NAME)
}

impl IngressNginxController {
    fn classes(&self) -> impl Iterator<Item = &IngressClass> {
        self.classes.values().filter_map(|o| match o.as_ref() {
            Object::IngressClass(c) => Some(c),
            _ => None,
        })
    }

    /// The addresses the status syncer publishes: the load balancer's of the Service.
    fn addresses(&self) -> Vec<IngressLoadBalancerIngress> {
        let Some(Object::Service(service)) = self.service.as_deref() else { return Vec::new() };
        let points = service.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.clone());
        points.into_iter().flatten().map(|p| IngressLoadBalancerIngress { ip: p.ip, hostname: p.hostname, ..Default::default() }).collect()
    }

    fn requeue_all(&mut self) {
        let keys: Vec<Key> = self.ingresses.values().map(|o| Key::of(o)).collect();
        for key in keys {
            self.queue.add(key);
        }
    }
}

impl Controller for IngressNginxController {
    fn name(&self) -> &'static str {
        "nginx-ingress-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        match event.object.as_ref() {
            Object::Ingress(_) | Object::IngressClass(_) => true,
            Object::Service(_) => Key::of(&event.object) == publish_key(),
            _ => false,
        }
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match event.object.as_ref() {
            Object::Ingress(_) => {
                self.ingresses.apply(event);
                let key = Key::of(&event.object);
                self.changed.insert(key.clone());
                self.queue.add(key);
            }
            Object::IngressClass(_) => {
                self.classes.apply(event);
                self.requeue_all();
            }
            _ => {
                self.service = (event.event_type != crate::apiserver::WatchEventType::Deleted).then(|| event.object.clone());
                self.requeue_all();
            }
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(object) = self.ingresses.get(key).cloned() else {
            self.changed.remove(key);
            return;
        };
        let Object::Ingress(ingress) = object.as_ref() else { return };
        if !serves(ingress, self.classes()) {
            return;
        }
        if self.changed.remove(key) {
            client.event(&object, "Normal", "Sync", "Scheduled for sync".to_string());
        }
        let addresses = self.addresses();
        let current = ingress.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.clone()).unwrap_or_default();
        if addresses.is_empty() || current == addresses {
            return;
        }
        // The status syncer runs on its own period, at each whole minute of virtual time.
        let now = client.now_ms();
        let tick = now.div_ceil(STATUS_SYNC_MS).saturating_mul(STATUS_SYNC_MS);
        if tick > now {
            self.queue.add_at(key.clone(), tick);
            return;
        }
        let _ = client.patch(key, "update status", |o| {
            if let Object::Ingress(i) = o {
                i.status.get_or_insert_with(Default::default).load_balancer =
                    Some(IngressLoadBalancerStatus { ingress: Some(addresses.clone()) });
            }
        });
    }
}
