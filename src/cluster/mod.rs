//! The world: virtual clock, event queue, components and the message log.
mod message;
mod snapshot;

pub use message::{Component, Message};
pub use snapshot::{NodeView, PodView, Snapshot};

/// How to build a cluster: the seed of its one RNG and the number of default workers.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    pub seed: u64,
    pub workers: usize,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig { seed: 0, workers: 3 }
    }
}

pub struct Cluster {
    now_ms: u64,
    messages: Vec<Message>,
}

impl Cluster {
    pub fn new(_config: ClusterConfig) -> Cluster {
        Cluster { now_ms: 0, messages: Vec::new() }
    }
    /// Virtual time since the cluster started, in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }
    /// Runs every event due in the next `dt_ms` milliseconds of virtual time.
    pub fn advance(&mut self, dt_ms: u64) {
        self.now_ms += dt_ms;
    }
    /// What the diagram draws: nodes with their pods, and pods still waiting for the scheduler.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { time_ms: self.now_ms, nodes: Vec::new(), unscheduled: Vec::new() }
    }
    /// Every message recorded so far, oldest first; `Message::seq` is its index.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }
}
