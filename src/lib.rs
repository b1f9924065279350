//! kubeglass: a Kubernetes cluster you can see through.
//!
//! The model is a deterministic, sans-IO state machine: the caller owns the wall clock and
//! calls [`Cluster::advance`]; commands in the kubectl-like command language go through
//! [`kubectl::execute`] (one command) or [`kubectl::script::run`] (a session script).
//! Every component talks to the others only through the API server, as in Kubernetes, and
//! every call is recorded as a [`Message`] that the UI animates.
//!
//! Dependencies point one way: `ui -> kubectl -> cluster -> components -> apiserver -> etcd -> api`.

pub mod api;
pub mod apiserver;
pub mod cluster;
pub mod controllers;
pub mod dns;
pub mod etcd;
pub mod kubectl;
pub mod kubelet;
pub mod lessons;
pub mod network;
pub mod proxy;
pub mod rng;
pub mod scheduler;
pub mod session;

#[cfg(target_arch = "wasm32")]
pub mod ui;

pub use cluster::{Cluster, ClusterConfig, Component, Message, NodeView, PodView, Snapshot};
