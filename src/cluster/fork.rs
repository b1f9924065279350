//! Continuing from a past revision: a new cluster whose etcd holds exactly what this one's held
//! then, on fresh machines, as restoring an etcd backup and booting the nodes again would. The
//! timeline's "Continue from here" uses it. Every component starts afresh and lists the
//! restored state, so the controllers, the scheduler and the kubelets reconcile from it: a
//! Deployment deleted after that revision is back, and its pods run again.
use k8s_openapi::api::core::v1::Node;

use super::{Cluster, ClusterConfig, Task};
use crate::api::{Object, ObjectRef};
use crate::apiserver::{virtual_ms, ApiError, ApiServer, Client, Component};
use crate::controllers::ControllerManager;
use crate::kubelet::{Kubelet, NodeConfig};
use crate::proxy::KubeProxy;
use crate::scheduler::Scheduler;

impl Cluster {
    /// A new live cluster from the state at `revision` (see [`Cluster::state_at`]). Its clock
    /// starts at the newest instant that state records; its RNG continues this cluster's, so a
    /// fork is as deterministic as the cluster it came from. Its etcd starts a new history
    /// (the restored objects get new resourceVersions), and its message log starts empty.
    pub fn fork(&self, revision: i64) -> Result<Cluster, ApiError> {
        let objects = self.state_at(revision)?;
        let mut fork = Cluster::new(ClusterConfig { seed: 0, workers: 0 });
        // No machines, no queued work, components that know nothing yet.
        fork.kubelets.clear();
        fork.kube_proxies.clear();
        fork.queue.clear();
        fork.run_queued.clear();
        fork.controller_wakeups.clear();
        fork.scheduler_wakeups.clear();
        fork.controllers = ControllerManager::default();
        fork.scheduler = Scheduler::default();
        fork.scheduler.configure(self.scheduler.config().clone());
        fork.rng = self.rng.clone();
        fork.now_ms = newest_instant(&objects).min(self.now_ms);
        fork.api = ApiServer::default();
        fork.api.set_time(fork.now_ms);
        fork.api.restore(&objects);
        for object in &objects {
            if let Object::Node(node) = object.as_ref() {
                fork.boot_machine(node);
            }
        }
        // Every restored object is a new write: the watchers receive all of it, as a relist.
        fork.fan_out();
        Ok(fork)
    }

    /// Boots the machine a restored Node describes: its kubelet reports the Node Ready and
    /// renews its Lease (the pods bound to it arrive with the restored state), and its
    /// kube-proxy lists the Services.
    fn boot_machine(&mut self, node: &Node) {
        let config = machine_of(node, self.kubelets.len());
        let name = config.name.clone();
        let mut kubelet = Kubelet::new(config);
        let timers = kubelet.rejoin(&mut Client::new(&mut self.api, &mut self.rng, Component::Kubelet(name)));
        self.install_machine(kubelet, timers);
    }

    /// Puts a started kubelet in place with the timers it asked for, and starts the machine's
    /// kube-proxy (for `add_node` too).
    pub(super) fn install_machine(&mut self, kubelet: Kubelet, timers: Vec<(u64, crate::kubelet::Timer)>) {
        let name = kubelet.node_name().to_string();
        let boot = self.boot(&name);
        for (delay, timer) in timers {
            self.push(self.now_ms + delay, Task::KubeletTimer(name.clone(), boot, timer));
        }
        let mut proxy = KubeProxy::new(&name, &kubelet.node_ip());
        proxy.start(&self.proxy_objects());
        self.kube_proxies.insert(name.clone(), proxy);
        self.kubelets.insert(name, kubelet);
    }
}

/// The machine a Node was registered from: its name, its podCIDR's index (so it keeps its
/// address and pod IP range), its capacity, labels and taints. `fallback` is the index of a
/// Node without a podCIDR.
fn machine_of(node: &Node, fallback: usize) -> NodeConfig {
    let mut config = NodeConfig::worker(node.metadata.name.as_deref().unwrap_or_default());
    let spec = node.spec.as_ref();
    let cidr_index = spec.and_then(|s| s.pod_cidr.as_deref()).and_then(|c| c.strip_prefix("10.244.")?.split('.').next()?.parse().ok());
    config.index = cidr_index.unwrap_or_else(|| u32::try_from(fallback).unwrap_or(0));
    config.taints = spec.and_then(|s| s.taints.clone()).unwrap_or_default();
    config.labels = node.metadata.labels.clone().unwrap_or_default();
    if let Some(capacity) = node.status.as_ref().and_then(|s| s.capacity.as_ref()) {
        let quantity = |name: &str| capacity.get(name).map(|q| q.0.clone());
        config.cpu = quantity("cpu").unwrap_or(config.cpu);
        config.memory = quantity("memory").unwrap_or(config.memory);
        config.pods = quantity("pods").and_then(|p| p.parse().ok()).unwrap_or(config.pods);
    }
    config
}

/// The newest instant the objects record: creation and deletion times (to the second) and the
/// nodes' Lease renewals (to the millisecond, every 10 s). Nearly every write stamps one of
/// them (a new Event at least), so this is the time of the state's latest write, or close.
fn newest_instant(objects: &[ObjectRef]) -> u64 {
    let stamped = objects.iter().flat_map(|o| {
        let meta = o.metadata();
        let renewed = match o.as_ref() {
            Object::Lease(l) => l.spec.as_ref().and_then(|s| s.renew_time.as_ref()).map(|t| lease_ms(&t.0)),
            _ => None,
        };
        [meta.creation_timestamp.as_ref().map(virtual_ms), meta.deletion_timestamp.as_ref().map(virtual_ms), renewed]
    });
    stamped.flatten().max().unwrap_or(0)
}

/// Virtual milliseconds at a Lease's MicroTime.
fn lease_ms(at: &k8s_openapi::jiff::Timestamp) -> u64 {
    let epoch_ms = crate::apiserver::EPOCH_SECONDS.saturating_mul(1000);
    u64::try_from(at.as_millisecond().saturating_sub(epoch_ms)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Key;
    use crate::kubectl;

    fn sorted_keys(objects: &[ObjectRef]) -> Vec<Key> {
        let mut keys: Vec<Key> = objects.iter().map(|o| Key::of(o)).collect();
        keys.sort();
        keys
    }

    fn running_web_pods(cluster: &Cluster) -> usize {
        let pods = cluster.api().peek_list(crate::api::info("Pod"), Some("default"));
        pods.iter()
            .filter(|o| {
                o.metadata().name.as_deref().is_some_and(|n| n.starts_with("web-"))
                    && matches!(o.as_ref(), Object::Pod(p) if crate::api::status::pod_status(p).0 == "Running")
            })
            .count()
    }

    /// A fork at revision R holds exactly the objects of `state_at(R)`, its clock is the time of
    /// that state, and it runs on: the Deployment deleted after R is back and its pods run.
    #[test]
    fn a_fork_holds_the_past_state_and_runs_on() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        let manifest = include_str!("../../examples/web-deployment.yaml");
        kubectl::execute(&mut cluster, "kubectl apply -f -", Some(manifest));
        cluster.advance(30_000);
        assert_eq!(running_web_pods(&cluster), 3);
        let before_delete = cluster.revision();
        let at_fork = cluster.now_ms();
        kubectl::execute(&mut cluster, "kubectl delete deployment web", None);
        cluster.advance(60_000);
        assert_eq!(running_web_pods(&cluster), 0);

        let past = cluster.state_at(before_delete).expect("a retained revision");
        let mut fork = cluster.fork(before_delete).expect("a fork");
        let mut restored = fork.api().peek_list(crate::api::info("Pod"), None);
        for kind in crate::api::KINDS.iter().filter(|k| k.kind != "Pod") {
            restored.extend(fork.api().peek_list(kind, None));
        }
        // The fork's kubelets have already reported in (Node status, Lease), so compare keys
        // and, for everything else, the objects themselves (new resourceVersions aside).
        assert_eq!(sorted_keys(&restored), sorted_keys(&past));
        for object in &past {
            if matches!(object.as_ref(), Object::Node(_) | Object::Lease(_)) {
                continue;
            }
            let mut then = (**object).clone();
            let mut now = (*fork.api().peek(&Key::of(object)).expect("restored")).clone();
            then.metadata_mut().resource_version = None;
            now.metadata_mut().resource_version = None;
            assert_eq!(now, then, "{}", Key::of(object).path());
        }
        assert!(fork.now_ms() <= at_fork && fork.now_ms() + 10_000 >= at_fork, "fork at {} for {at_fork}", fork.now_ms());
        assert!(fork.messages().len() < 100, "a fresh message log");

        fork.advance(60_000);
        assert!(fork.api().peek(&Key::new("Deployment", "default", "web")).is_some());
        assert_eq!(running_web_pods(&fork), 3);
        assert!(cluster.state_at(cluster.oldest_revision() - 1).is_err());
        assert!(cluster.fork(cluster.oldest_revision() - 1).is_err());
    }
}
