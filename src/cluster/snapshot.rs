//! What the UI draws, derived from the API server's current state.

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
