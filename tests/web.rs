//! The model, compiled to WebAssembly, run inside headless Chromium.
//!
//! Proves that the same deterministic core the native tests exercise also works in the browser
//! build: apply a Deployment, advance virtual time, read the result through a snapshot.
//!
//! Run with `make test-wasm` (wasm-bindgen-test-runner drives /usr/bin/chromium through
//! chromedriver; webdriver.json holds the browser flags). Native `cargo test` compiles this file
//! to nothing.
#![cfg(target_arch = "wasm32")]

use kubeglass::{kubectl, Cluster, ClusterConfig, PodView};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

/// The Deployment the editor opens with: three nginx replicas.
const DEPLOYMENT_YAML: &str = include_str!("../examples/web-deployment.yaml");

/// `web-<pod-template-hash>-<5 random chars>`, as the ReplicaSet controller names them.
fn is_web_pod_name(name: &str) -> bool {
    let mut parts = name.splitn(3, '-');
    let (Some("web"), Some(hash), Some(suffix)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !hash.is_empty()
        && hash.chars().all(|c| c.is_ascii_alphanumeric())
        && suffix.len() == 5
        && suffix.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

#[wasm_bindgen_test]
fn deployment_of_three_runs_on_workers() {
    let mut cluster = Cluster::new(ClusterConfig::default());
    let out = kubectl::execute(&mut cluster, "kubectl apply -f -", Some(DEPLOYMENT_YAML));
    assert!(out.contains("deployment.apps/web created"), "kubectl apply printed {out:?}, expected `deployment.apps/web created`");

    cluster.advance(60_000);

    let snapshot = cluster.snapshot();
    let workers: Vec<&str> = snapshot.nodes.iter().filter(|n| !n.control_plane).map(|n| n.name.as_str()).collect();
    assert!(!workers.is_empty(), "the default cluster has no worker nodes: {snapshot:?}");

    let web: Vec<&PodView> = snapshot
        .nodes
        .iter()
        .flat_map(|n| n.pods.iter())
        .chain(snapshot.unscheduled.iter())
        .filter(|p| p.name.starts_with("web-"))
        .collect();
    assert_eq!(web.len(), 3, "expected 3 web pods after 60 s of virtual time: {snapshot:?}");

    for pod in web {
        assert!(is_web_pod_name(&pod.name), "pod name {:?} is not web-<hash>-<5 chars>", pod.name);
        assert_eq!(pod.namespace, "default", "pod {}", pod.name);
        assert_eq!(pod.owner.as_deref(), Some("Deployment/web"), "pod {}", pod.name);
        assert_eq!(pod.status, "Running", "pod {}", pod.name);
        let node = pod.node.as_deref().unwrap_or_else(|| panic!("pod {} is not bound", pod.name));
        assert!(workers.contains(&node), "pod {} is on {node}, not a worker ({workers:?})", pod.name);
        // The snapshot draws a pod inside the node it is bound to.
        let drawn_on = snapshot.nodes.iter().find(|n| n.pods.iter().any(|p| p.uid == pod.uid));
        assert_eq!(drawn_on.map(|n| n.name.as_str()), Some(node), "pod {}", pod.name);
    }
}

/// The model must be deterministic in the browser too: same seed, same commands, same result.
#[wasm_bindgen_test]
fn same_seed_same_snapshot() {
    let run = || {
        let mut cluster = Cluster::new(ClusterConfig::default());
        let out = kubectl::execute(&mut cluster, "kubectl apply -f -", Some(DEPLOYMENT_YAML));
        cluster.advance(60_000);
        (out, cluster.snapshot())
    };
    assert_eq!(run(), run());
}
