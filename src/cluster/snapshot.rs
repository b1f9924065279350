//! What the UI draws, derived from the API server's current state.
use crate::api::status::{node_status, pod_status};
use std::collections::BTreeMap;

use crate::api::{controller_of, info, kind_info, Key, Object, ObjectRef};
use crate::apiserver::ApiServer;

/// The cluster at one instant, as the diagram draws it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Snapshot {
    pub time_ms: u64,
    pub nodes: Vec<NodeView>,
    /// Pods that no scheduler has bound yet: drawn waiting by the scheduler.
    pub unscheduled: Vec<PodView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    pub name: String,
    pub control_plane: bool,
    /// The `kubectl get nodes` STATUS column, e.g. `Ready`.
    pub status: String,
    pub pods: Vec<PodView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodView {
    pub uid: String,
    pub namespace: String,
    pub name: String,
    /// The workload at the top of the pod's owner chain, e.g. `Deployment/web`; `None` for a bare pod.
    pub owner: Option<String>,
    /// The `kubectl get pods` STATUS column, e.g. `Pending`, `ContainerCreating`, `Running`.
    pub status: String,
    pub node: Option<String>,
}

/// Follows controller owner references up to the top-level workload (`get` reads the state
/// the snapshot is drawn from).
fn top_owner(get: &dyn Fn(&Key) -> Option<ObjectRef>, object: &Object) -> Option<String> {
    let mut owner = controller_of(object.metadata())?.clone();
    let namespace = object.metadata().namespace.clone().unwrap_or_default();
    for _ in 0..8 {
        let Some(kind) = kind_info(&owner.kind) else { break };
        let Some(parent) = get(&Key::new(kind.kind, &namespace, &owner.name)) else { break };
        match controller_of(parent.metadata()) {
            Some(next) => owner = next.clone(),
            None => break,
        }
    }
    Some(format!("{}/{}", owner.kind, owner.name))
}

pub fn take(api: &ApiServer, now_ms: u64) -> Snapshot {
    let nodes = api.peek_list(info("Node"), None);
    let pods = api.peek_list(info("Pod"), None);
    build(&nodes, &pods, &|key| api.peek(key), now_ms)
}

/// The snapshot of every object as it was at a past revision ([`ApiServer::state_at`]): what
/// the timeline shows.
pub fn at_revision(objects: &[ObjectRef], time_ms: u64) -> Snapshot {
    let by_key: BTreeMap<Key, ObjectRef> = objects.iter().map(|o| (Key::of(o), o.clone())).collect();
    let of_kind = |kind: &str| by_key.values().filter(|o| o.kind().kind == kind).cloned().collect::<Vec<_>>();
    build(&of_kind("Node"), &of_kind("Pod"), &|key| by_key.get(key).cloned(), time_ms)
}

fn build(node_objects: &[ObjectRef], pod_objects: &[ObjectRef], get: &dyn Fn(&Key) -> Option<ObjectRef>, now_ms: u64) -> Snapshot {
    let mut nodes: Vec<NodeView> = node_objects
        .iter()
        .filter_map(|o| match &**o {
            Object::Node(n) => Some(NodeView {
                name: n.metadata.name.clone().unwrap_or_default(),
                control_plane: n.metadata.labels.as_ref().is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane")),
                status: node_status(n),
                pods: Vec::new(),
            }),
            _ => None,
        })
        .collect();
    let mut unscheduled = Vec::new();
    for object in pod_objects {
        let Object::Pod(pod) = &**object else { continue };
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        let view = PodView {
            uid: pod.metadata.uid.clone().unwrap_or_default(),
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            name: pod.metadata.name.clone().unwrap_or_default(),
            owner: top_owner(get, object),
            status: pod_status(pod).0,
            node: node.clone(),
        };
        match node.and_then(|n| nodes.iter_mut().find(|v| v.name == n)) {
            Some(n) => n.pods.push(view),
            None => unscheduled.push(view),
        }
    }
    Snapshot { time_ms: now_ms, nodes, unscheduled }
}

#[cfg(test)]
mod tests {
    use crate::{kubectl, Cluster, ClusterConfig};

    /// The timeline draws the cluster as it was: before the apply no pods, after it three, each
    /// with its Deployment as owner, as the live snapshot says.
    #[test]
    fn snapshot_at_a_past_revision_is_the_cluster_as_it_was() {
        let mut cluster = Cluster::new(ClusterConfig::default());
        cluster.advance(1_000);
        let before = cluster.revision();
        let manifest = include_str!("../../examples/web-deployment.yaml");
        kubectl::execute(&mut cluster, "kubectl apply -f -", Some(manifest));
        cluster.advance(30_000);
        let pods = |s: &crate::Snapshot| s.nodes.iter().flat_map(|n| n.pods.iter()).count() + s.unscheduled.len();
        let past = cluster.snapshot_at(before).expect("a retained revision");
        assert_eq!(pods(&past), 0);
        let now = cluster.snapshot_at(cluster.revision()).expect("the current revision");
        assert_eq!(pods(&now), 3);
        let mut live = cluster.snapshot();
        live.time_ms = now.time_ms;
        assert_eq!(now, live);
        assert!(cluster.snapshot_at(cluster.oldest_revision() - 1).is_err());
        assert!(cluster.next_due_ms().is_some(), "leases keep a timer queued");
    }
}
