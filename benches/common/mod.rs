//! What the native benchmarks (`model.rs`) and the wasm one (`wasm_bench.rs`) share: the
//! workload and the scheduler throughput benchmark, written once and compiled for both.
use kubeglass::api::{info, Object};
use kubeglass::{kubectl, Cluster, ClusterConfig};

/// The scheduler benchmark's size: pods onto workers, the pods as one Deployment in each of
/// `SCHEDULE_NAMESPACES` namespaces.
pub const SCHEDULE_PODS: usize = 10_000;
pub const SCHEDULE_NODES: usize = 1_000;
const SCHEDULE_NAMESPACES: usize = 10;

/// A Deployment of `replicas` small nginx pods (they fit 1,000 default workers many times over).
pub fn deployment(replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n        resources:\n          requests:\n            cpu: 10m\n            memory: 16Mi\n"
    )
}

/// How many pods of a namespace (of all namespaces: `None`) satisfy `test`.
pub fn count_pods(cluster: &Cluster, namespace: Option<&str>, test: impl Fn(&k8s_openapi::api::core::v1::Pod) -> bool) -> usize {
    let pods = cluster.api().peek_list(info("Pod"), namespace);
    pods.iter().filter(|p| matches!(&***p, Object::Pod(pod) if test(pod))).count()
}

fn is_bound(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).is_some_and(|n| !n.is_empty())
}

fn run(cluster: &mut Cluster, command: &str, stdin: Option<&str>) {
    let out = kubectl::execute(cluster, command, stdin);
    assert!(!out.starts_with("error"), "{command}: {out}");
}

/// `schedule_pods_per_s`: 10,000 pods onto 1,000 workers with the default profile (every
/// default plugin, adaptive percentageOfNodesToScore), in pods per second of wall time.
///
/// Set-up (not timed): the cluster with its workers Ready, kube-scheduler stopped, and ten
/// 1,000-replica Deployments (one per namespace, as ten teams would run them)
/// whose ReplicaSets have created every pod, all Pending.
/// Timed: from `sim start scheduler` (its informers list the 10,000 pods and the nodes, then it
/// runs a scheduling cycle per pod and binds it through the API server) until the API server
/// has every pod bound. The bindings' watch events reach the kubelets one virtual millisecond
/// later, after the clock stops, so their work is not counted.
///
/// `clock_ms` reads a wall clock in milliseconds (std's `Instant` natively,
/// `Date.now()` in the browser).
pub fn schedule_pods_per_s(clock_ms: impl Fn() -> f64) -> f64 {
    let mut cluster = Cluster::new(ClusterConfig { seed: 3, workers: SCHEDULE_NODES });
    cluster.advance(1000);
    run(&mut cluster, "sim stop scheduler", None);
    for n in 0..SCHEDULE_NAMESPACES {
        run(&mut cluster, &format!("kubectl create namespace bench-{n}"), None);
        run(&mut cluster, &format!("kubectl apply -n bench-{n} -f -"), Some(&deployment(SCHEDULE_PODS / SCHEDULE_NAMESPACES)));
    }
    let benched = |pod: &k8s_openapi::api::core::v1::Pod| pod.metadata.namespace.as_deref().is_some_and(|ns| ns.starts_with("bench-"));
    let bound = |pod: &k8s_openapi::api::core::v1::Pod| benched(pod) && is_bound(pod);
    let mut waited_s = 0;
    while count_pods(&cluster, None, benched) < SCHEDULE_PODS {
        cluster.advance(1000);
        waited_s += 1;
        assert!(waited_s < 600, "the ReplicaSets have not created {SCHEDULE_PODS} pods after ten virtual minutes");
    }
    assert_eq!(count_pods(&cluster, None, bound), 0, "no pod may be bound while kube-scheduler is stopped");

    let start = clock_ms();
    run(&mut cluster, "sim start scheduler", None);
    // Everything the scheduler does at this virtual instant (it binds pod after pod without
    // the clock moving); then a millisecond at a time in case a binding had to be retried.
    cluster.advance(0);
    let mut waited_ms = 0;
    while count_pods(&cluster, None, bound) < SCHEDULE_PODS {
        cluster.advance(1);
        waited_ms += 1;
        assert!(waited_ms < 60_000, "pods still unbound after a virtual minute");
    }
    let elapsed_ms = clock_ms() - start;
    SCHEDULE_PODS as f64 / (elapsed_ms / 1000.0)
}
