//! The cloud provider's service controller (`k8s.io/cloud-provider/controllers/service`): for
//! each LoadBalancer Service it asks the (simulated) cloud for a load balancer, which takes a
//! few seconds, then writes its address to `status.loadBalancer.ingress`; until then kubectl
//! shows `<pending>`. Addresses come from 172.18.255.200–250, the pool kind's documentation
//! gives MetalLB on the `kind` Docker network the nodes live on (172.18.0.0/16).
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{LoadBalancerIngress, LoadBalancerStatus, Service};

use super::{Controller, Store, WorkQueue};
use crate::api::{Key, Object};
use crate::apiserver::{Client, WatchEvent};

/// How long the cloud takes to provision a load balancer.
const PROVISION_MS: u64 = 5_000;
const POOL_PREFIX: &str = "172.18.255.";
const POOL: std::ops::RangeInclusive<u32> = 200..=250;

#[derive(Default)]
pub struct ServiceLbController {
    services: Store,
    queue: WorkQueue,
    /// Services whose load balancer the cloud is building, and when it is ready.
    provisioning: BTreeMap<Key, u64>,
}

fn wants_lb(service: &Service) -> bool {
    service.spec.as_ref().and_then(|s| s.type_.as_deref()) == Some("LoadBalancer")
}

fn ingress(service: &Service) -> &[LoadBalancerIngress] {
    service.status.as_ref().and_then(|s| s.load_balancer.as_ref()).and_then(|lb| lb.ingress.as_deref()).unwrap_or(&[])
}

impl ServiceLbController {
    /// The lowest pool address no Service has.
    fn free_address(&self) -> Option<String> {
        let used: BTreeSet<String> = self
            .services
            .values()
            .filter_map(|o| match o.as_ref() {
                Object::Service(s) => Some(ingress(s).iter().filter_map(|i| i.ip.clone()).collect::<Vec<_>>()),
                _ => None,
            })
            .flatten()
            .collect();
        POOL.map(|n| format!("{POOL_PREFIX}{n}")).find(|ip| !used.contains(ip))
    }
}

impl Controller for ServiceLbController {
    fn name(&self) -> &'static str {
        "service-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(event.object.as_ref(), Object::Service(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        self.services.apply(event);
        self.queue.add(Key::of(&event.object));
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(object) = self.services.get(key).cloned() else {
            self.provisioning.remove(key);
            return;
        };
        let Object::Service(service) = object.as_ref() else { return };
        let has_ingress = !ingress(service).is_empty();
        if !wants_lb(service) {
            self.provisioning.remove(key);
            if has_ingress {
                client.event(&object, "Normal", "DeletingLoadBalancer", "Deleting load balancer".to_string());
                let _ = client.patch(key, "update status", |o| {
                    if let Object::Service(s) = o {
                        if let Some(status) = s.status.as_mut() {
                            status.load_balancer = Some(LoadBalancerStatus::default());
                        }
                    }
                });
                client.event(&object, "Normal", "DeletedLoadBalancer", "Deleted load balancer".to_string());
            }
            return;
        }
        if has_ingress {
            return;
        }
        match self.provisioning.get(key) {
            None => {
                let ready = client.now_ms().saturating_add(PROVISION_MS);
                self.provisioning.insert(key.clone(), ready);
                client.event(&object, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer".to_string());
                self.queue.add_at(key.clone(), ready);
                return;
            }
            Some(ready) if *ready > client.now_ms() => return,
            Some(_) => {}
        }
        let Some(ip) = self.free_address() else {
            client.event(
                &object,
                "Warning",
                "SyncLoadBalancerFailed",
                "Error syncing load balancer: failed to ensure load balancer: no available IPs in pool".to_string(),
            );
            return;
        };
        self.provisioning.remove(key);
        let written = client.patch(key, "update status", |o| {
            if let Object::Service(s) = o {
                let ingress = LoadBalancerIngress { ip: Some(ip.clone()), ip_mode: Some("VIP".to_string()), ..Default::default() };
                s.status.get_or_insert_with(Default::default).load_balancer = Some(LoadBalancerStatus { ingress: Some(vec![ingress]) });
            }
        });
        if written.is_ok() {
            client.event(&object, "Normal", "EnsuredLoadBalancer", "Ensured load balancer".to_string());
        }
    }
}
