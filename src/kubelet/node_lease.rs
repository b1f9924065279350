//! Node heartbeats (`pkg/kubelet/nodelease` and `kubelet_node_status.go`): the kubelet renews
//! its Lease in `kube-node-lease` every 10 s (leaseDurationSeconds 40) and reports its Node
//! status every 5 min when nothing changed (nodeStatusReportFrequency), refreshing the
//! conditions' lastHeartbeatTime. Only timers: an idle node costs one write per renewal.
use k8s_openapi::api::coordination::v1::LeaseSpec;
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ContainerImage, NodeCondition};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

use super::{runtime, Timer};
use crate::api::{controller_ref, info, Key, Lease, Object, ObjectMeta};
use crate::apiserver::{timestamp, ApiError, Client};

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
/// renewInterval = leaseDuration × 0.25 (`kubelet.go`).
pub const RENEW_INTERVAL_MS: u64 = 10_000;
pub const LEASE_DURATION_SECONDS: i32 = 40;
pub const NODE_STATUS_REPORT_MS: u64 = 300_000;
/// `nodeStatusMaxImages`: the status lists at most this many images, the largest first.
const NODE_STATUS_MAX_IMAGES: usize = 50;

fn micro_time(now_ms: u64) -> MicroTime {
    let millis = i64::try_from(now_ms).unwrap_or(i64::MAX);
    let at = crate::apiserver::EPOCH_SECONDS.saturating_mul(1000).saturating_add(millis);
    MicroTime(k8s_openapi::jiff::Timestamp::from_millisecond(at).unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH))
}

/// Creates the node's Lease, owned by its Node (so it goes when the Node goes).
pub fn create(client: &mut Client, node: &str) -> Result<(), ApiError> {
    let owner = client.get(&Key::new("Node", "", node))?;
    let mut owner_ref = controller_ref(info("Node"), owner.metadata());
    owner_ref.controller = None;
    owner_ref.block_owner_deletion = None;
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some(node.to_string()),
            namespace: Some(LEASE_NAMESPACE.to_string()),
            owner_references: Some(vec![owner_ref]),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node.to_string()),
            lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
            renew_time: Some(micro_time(client.now_ms())),
            ..Default::default()
        }),
    };
    client.create(Object::Lease(lease)).map(|_| ())
}

/// The timers a freshly registered kubelet starts.
pub fn timers() -> Vec<(u64, Timer)> {
    vec![(RENEW_INTERVAL_MS, Timer::Lease), (NODE_STATUS_REPORT_MS, Timer::NodeStatus)]
}

/// Renews the Lease's renewTime; returns the next renewal.
pub fn renew(client: &mut Client, node: &str) -> (u64, Timer) {
    let now = micro_time(client.now_ms());
    let _ = client.patch(&Key::new("Lease", LEASE_NAMESPACE, node), "update", |o| {
        if let Object::Lease(l) = o {
            l.spec.get_or_insert_with(Default::default).renew_time = Some(now);
        }
    });
    (RENEW_INTERVAL_MS, Timer::Lease)
}

/// The conditions of a healthy node, as the kubelet's setters word them.
pub fn healthy_conditions(now_ms: u64) -> Vec<NodeCondition> {
    let now = timestamp(now_ms);
    let condition = |type_: &str, status: &str, reason: &str, message: &str| NodeCondition {
        type_: type_.to_string(),
        status: status.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_heartbeat_time: Some(now.clone()),
        last_transition_time: Some(now.clone()),
    };
    vec![
        condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
    ]
}

/// Posts a healthy status after a restart or a lost connection: a condition that changed
/// (Unknown → True) gets a new lastTransitionTime, the others keep theirs.
pub fn report_ready(client: &mut Client, node: &str) {
    let fresh = healthy_conditions(client.now_ms());
    let _ = client.patch(&Key::new("Node", "", node), "update status", |o| {
        if let Object::Node(n) = o {
            let status = n.status.get_or_insert_with(Default::default);
            let previous = status.conditions.take().unwrap_or_default();
            let mut conditions = fresh;
            for c in &mut conditions {
                if let Some(p) = previous.iter().find(|p| p.type_ == c.type_ && p.status == c.status) {
                    c.last_transition_time.clone_from(&p.last_transition_time);
                }
            }
            status.conditions = Some(conditions);
        }
    });
}

/// Posts the Node's status with fresh heartbeat times; returns the next report.
pub fn report_status(client: &mut Client, node: &str) -> (u64, Timer) {
    let now = timestamp(client.now_ms());
    let _ = client.patch(&Key::new("Node", "", node), "update status", |o| {
        if let Object::Node(n) = o {
            for c in n.status.iter_mut().flat_map(|s| s.conditions.iter_mut().flatten()) {
                c.last_heartbeat_time = Some(now.clone());
            }
        }
    });
    (NODE_STATUS_REPORT_MS, Timer::NodeStatus)
}

/// `status.images` as the kubelet's `Images` setter builds it: the images present (by their
/// containerd reference; the model has no digests), largest first, at most 50.
pub fn images(present: &BTreeSet<String>) -> Vec<ContainerImage> {
    let mut images: Vec<ContainerImage> = present
        .iter()
        .map(|name| ContainerImage {
            names: Some(vec![name.clone()]),
            size_bytes: Some(i64::try_from(runtime::size(name)).unwrap_or(i64::MAX)),
        })
        .collect();
    images.sort_by_key(|i| std::cmp::Reverse(i.size_bytes));
    images.truncate(NODE_STATUS_MAX_IMAGES);
    images
}

/// Posts the Node's status with the images now present.
pub fn report_images(client: &mut Client, node: &str, present: &BTreeSet<String>) {
    let images = images(present);
    let _ = client.patch(&Key::new("Node", "", node), "update status", |o| {
        if let Object::Node(n) = o {
            n.status.get_or_insert_with(Default::default).images = Some(images);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_listed_largest_first_and_at_most_fifty() {
        let present = BTreeSet::from(["docker.io/library/busybox:latest".to_string(), "docker.io/library/nginx:1.27".to_string()]);
        let listed: Vec<(Vec<String>, Option<i64>)> =
            images(&present).into_iter().map(|i| (i.names.unwrap_or_default(), i.size_bytes)).collect();
        assert_eq!(
            listed,
            [
                (vec!["docker.io/library/nginx:1.27".to_string()], Some(72_000_000)),
                (vec!["docker.io/library/busybox:latest".to_string()], Some(2_200_000)),
            ]
        );
        let many: BTreeSet<String> = (0..60).map(|i| format!("docker.io/library/nginx:1.{i}")).collect();
        assert_eq!(images(&many).len(), 50);
    }
}
