//! The message log: every API call and watch delivery, as the diagram animates it.
use std::fmt;

/// A component of the cluster, as the diagram draws it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    Kubectl,
    ApiServer,
    Etcd,
    Scheduler,
    ControllerManager,
    Kubelet(String),
    KubeProxy(String),
}

impl fmt::Display for Component {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Component::Kubectl => f.write_str("kubectl"),
            Component::ApiServer => f.write_str("API server"),
            Component::Etcd => f.write_str("etcd"),
            Component::Scheduler => f.write_str("scheduler"),
            Component::ControllerManager => f.write_str("controller manager"),
            Component::Kubelet(node) => write!(f, "kubelet {node}"),
            Component::KubeProxy(node) => write!(f, "kube-proxy {node}"),
        }
    }
}

/// One hop of the request flow: `from` sent `verb` about `object` to `to` at `time_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub seq: u64,
    pub time_ms: u64,
    pub from: Component,
    pub to: Component,
    /// `create`, `update`, `delete`, `bind`, `put`, or a watch event type (`ADDED`, ...).
    pub verb: String,
    /// `kind/namespace/name` (or `kind/name` for cluster-scoped objects).
    pub object: String,
}

impl Message {
    /// The one-line caption the diagram shows, e.g. `scheduler → API server: bind pods/default/web-x`.
    pub fn caption(&self) -> String {
        format!("{} → {}: {} {}", self.from, self.to, self.verb, self.object)
    }
}
