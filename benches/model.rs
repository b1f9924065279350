//! Native benchmarks of the model, run by `make bench` (`cargo bench --bench model`).
//!
//! Each prints one `key value` line (value a plain number) for `make bench`'s summary. They
//! measure wall time around the model's public API, as a driver (the CLI, the browser) uses it.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kubeglass::{kubectl, Cluster, ClusterConfig};

mod common;
use common::{count_pods, deployment};

/// Counts the bytes the model holds, so memory is measured without asking the OS.
struct Counting;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        ALLOCATED.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Applies the Deployment and advances virtual time a second at a time until every pod runs.
/// Returns the wall time in milliseconds.
fn deploy_to_running(cluster: &mut Cluster, replicas: usize) -> f64 {
    let start = Instant::now();
    let out = kubectl::execute(cluster, "kubectl apply -f -", Some(&deployment(replicas)));
    assert!(out.contains("created"), "{out}");
    let mut waited_s = 0;
    let running = |pod: &k8s_openapi::api::core::v1::Pod| pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running");
    while count_pods(cluster, Some("default"), running) < replicas {
        cluster.advance(1000);
        waited_s += 1;
        assert!(waited_s < 3600, "{replicas} pods not Running after an hour of virtual time");
    }
    start.elapsed().as_secs_f64() * 1000.0
}

/// `cargo bench --bench model [FILTER]`: runs the benchmarks whose key contains FILTER
/// (all of them without one).
fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_default();
    let wanted = |key: &str| key.contains(filter.as_str());

    if wanted("schedule_pods_per_s_native") {
        let start = Instant::now();
        let pods_per_s = common::schedule_pods_per_s(|| start.elapsed().as_secs_f64() * 1000.0);
        println!("schedule_pods_per_s_native {pods_per_s:.0}");
    }

    // A 10,000-replica Deployment on 1,000 nodes, apply to all Running.
    if wanted("deploy_10k_to_running_ms_native") || wanted("memory_10k_pods_mb_native") {
        let mut cluster = Cluster::new(ClusterConfig { seed: 1, workers: 1000 });
        let ms = deploy_to_running(&mut cluster, 10_000);
        println!("deploy_10k_to_running_ms_native {ms:.0}");
        println!("memory_10k_pods_mb_native {:.1}", ALLOCATED.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0));
    }

    // One idle virtual minute of a 5,000-pod cluster (heartbeats, leases, nothing else).
    if wanted("idle_minute_5k_pods_us_native") {
        let mut cluster = Cluster::new(ClusterConfig { seed: 2, workers: 500 });
        deploy_to_running(&mut cluster, 5_000);
        cluster.advance(10 * 60 * 1000);
        let runs = 5;
        let start = Instant::now();
        for _ in 0..runs {
            cluster.advance(60 * 1000);
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(runs);
        println!("idle_minute_5k_pods_us_native {us:.0}");
    }
}
