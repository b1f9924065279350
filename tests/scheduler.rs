//! The scheduler's arithmetic through the public model: the upstream unit-test rows and the
//! derived examples of the reference (§1.6–1.17), read back with `sim explain pod -o json`.
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig};
use serde_json::Value;

/// A cluster with only the (tainted) control plane, then the given `sim node add` arguments.
fn cluster(nodes: &[&str]) -> Cluster {
    let mut c = Cluster::new(ClusterConfig { seed: 7, workers: 0 });
    for args in nodes {
        let out = execute(&mut c, &format!("sim node add {args}"), None);
        assert!(out.contains("added"), "{out}");
    }
    c
}

fn apply(c: &mut Cluster, manifest: &str) {
    let out = execute(c, "kubectl apply -f -", Some(manifest));
    assert!(out.contains("created") || out.contains("configured"), "{out}");
}

/// A pod with the given cpu and memory requests (`None`: not set), optionally pinned to a node.
fn pod(name: &str, cpu: Option<&str>, memory: Option<&str>, node: Option<&str>) -> String {
    let mut requests = String::new();
    if let Some(cpu) = cpu {
        requests.push_str(&format!("        cpu: \"{cpu}\"\n"));
    }
    if let Some(memory) = memory {
        requests.push_str(&format!("        memory: \"{memory}\"\n"));
    }
    let resources = if requests.is_empty() { String::new() } else { format!("    resources:\n      requests:\n{requests}") };
    let selector = node.map(|n| format!("  nodeSelector:\n    kubernetes.io/hostname: {n}\n")).unwrap_or_default();
    format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{selector}  containers:\n  - name: app\n    image: nginx\n{resources}")
}

/// A cluster of `nodes`, one pod with these requests, and the decision for it.
fn decide(nodes: &[&str], cpu: Option<&str>, memory: Option<&str>) -> Value {
    let mut c = cluster(nodes);
    apply(&mut c, &pod("p", cpu, memory, None));
    explain(&mut c, "p")
}

fn explain(c: &mut Cluster, name: &str) -> Value {
    c.advance(2000);
    let out = execute(c, &format!("sim explain pod {name} -o json"), None);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// One plugin's (raw, normalized, weighted) score on a node.
fn score(d: &Value, node: &str, plugin: &str) -> (i64, i64, i64) {
    let s = &d["nodes"][node]["scores"][plugin];
    let n = |k: &str| s[k].as_i64().unwrap_or_else(|| panic!("no {plugin} {k} on {node}: {d}"));
    (n("raw"), n("normalized"), n("weighted"))
}

/// Three nodes of the upstream rows with pods already on them: 3000/0 on n1 (10000/20000),
/// 3000/5000 on n2 (10000/20000) and on n3 (10000/50000).
fn rows_cluster() -> Cluster {
    let mut c = cluster(&["n1 --cpu 10 --memory 20000", "n2 --cpu 10 --memory 20000", "n3 --cpu 10 --memory 50000"]);
    apply(&mut c, &pod("a", Some("3"), Some("0"), Some("n1")));
    apply(&mut c, &pod("b", Some("3"), Some("5000"), Some("n2")));
    apply(&mut c, &pod("c", Some("3"), Some("5000"), Some("n3")));
    c
}

/// The decision for a 3000/5000 pod on [`rows_cluster`].
fn rows_with_requests() -> Value {
    let mut c = rows_cluster();
    apply(&mut c, &pod("p", Some("3"), Some("5000"), None));
    explain(&mut c, "p")
}

#[test]
fn least_allocated_rows_of_the_upstream_test() {
    // Nothing requested yet: 4000/10000 and 6000/10000, pod 3000/5000 → 37 and 50.
    let d = decide(&["n1 --cpu 4 --memory 10000", "n2 --cpu 6 --memory 10000"], Some("3"), Some("5000"));
    assert_eq!(score(&d, "n1", "NodeResourcesFit").0, 37);
    assert_eq!(score(&d, "n2", "NodeResourcesFit").0, 50);
    assert_eq!(d["node"], "n2");

    // Already requested 3000/0 and 3000/5000 on 10000/20000 nodes → 57 and 45; 3000/5000 on
    // 10000/50000 → 60.
    let d = rows_with_requests();
    assert_eq!(score(&d, "n1", "NodeResourcesFit").0, 57);
    assert_eq!(score(&d, "n2", "NodeResourcesFit").0, 45);
    assert_eq!(score(&d, "n3", "NodeResourcesFit").0, 60);

    // Requested beyond capacity scores 0 for that resource (upstream: 6000 > 4000 gives cpu 0,
    // memory 100, node 50). The filter counts actual requests, so the overflow here comes from
    // the non-zero default of 100m for pods that request no cpu: 200m on a 150m node.
    let mut c = cluster(&["n1 --cpu 150m --memory 10000", "n2 --cpu 150m --memory 10000"]);
    apply(&mut c, &pod("a", None, Some("0"), Some("n1")));
    apply(&mut c, &pod("p", None, Some("0"), None));
    let d = explain(&mut c, "p");
    assert_eq!(score(&d, "n1", "NodeResourcesFit").0, 50);
    assert_eq!(score(&d, "n2", "NodeResourcesFit").0, (33 + 100) / 2);
}

#[test]
fn resource_weights_and_other_strategies_come_from_the_configuration() {
    let config = |strategy: &str| {
        format!(
            "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n{strategy}"
        )
    };
    let run = |strategy: &str| {
        let mut c = cluster(&["n1 --cpu 4 --memory 10000", "n2 --cpu 6 --memory 10000"]);
        let out = execute(&mut c, "sim scheduler config -f -", Some(&config(strategy)));
        assert!(out.starts_with("scheduler configured"), "{out}");
        apply(&mut c, &pod("p", Some("3"), Some("5000"), None));
        let d = explain(&mut c, "p");
        (score(&d, "n1", "NodeResourcesFit").0, score(&d, "n2", "NodeResourcesFit").0)
    };
    // LeastAllocated with memory weighted 2: (25·1 + 50·2)/3 = 41, and 50.
    let weighted = "        type: LeastAllocated\n        resources:\n        - name: cpu\n          weight: 1\n        - name: memory\n          weight: 2\n";
    assert_eq!(run(weighted), (41, 50));
    // MostAllocated: 75 and 50 → 62 (and 50, 50 → 50).
    assert_eq!(run("        type: MostAllocated\n"), (62, 50));
    // RequestedToCapacityRatio {0→0, 100→10}: round(62.5) = 63.
    let ratio = "        type: RequestedToCapacityRatio\n        requestedToCapacityRatio:\n          shape:\n          - utilization: 0\n            score: 0\n          - utilization: 100\n            score: 10\n";
    assert_eq!(run(ratio), (63, 50));
}

#[test]
fn an_invalid_configuration_is_refused_and_the_old_one_kept() {
    let mut c = cluster(&["n1 --cpu 4 --memory 10000", "n2 --cpu 6 --memory 10000"]);
    let bad = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: LeastAllocated\n        resources:\n        - name: cpu\n          weight: -1\n";
    let out = execute(&mut c, "sim scheduler config -f -", Some(bad));
    assert_eq!(
        out,
        "error: invalid KubeSchedulerConfiguration: profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: -1: resource weight of cpu not in valid range (0, 100]\n"
    );
    apply(&mut c, &pod("p", Some("3"), Some("5000"), None));
    let d = explain(&mut c, "p");
    assert_eq!(score(&d, "n1", "NodeResourcesFit").0, 37, "still LeastAllocated");
}

#[test]
fn balanced_allocation_rows_of_the_upstream_test() {
    // Fractions after the pod: 0.75/0.5 → 87; 0.5/0.5 → 100.
    let d = decide(&["n1 --cpu 4 --memory 10000", "n2 --cpu 6 --memory 10000"], Some("3"), Some("5000"));
    assert_eq!(score(&d, "n1", "NodeResourcesBalancedAllocation").0, 87);
    assert_eq!(score(&d, "n2", "NodeResourcesBalancedAllocation").0, 100);

    // 10000/20000 with 3000/0 then 3000/5000 already: 0.6/0.25 → 82; 0.6/0.5 → 95.
    let d = rows_with_requests();
    assert_eq!(score(&d, "n1", "NodeResourcesBalancedAllocation").0, 82);
    assert_eq!(score(&d, "n2", "NodeResourcesBalancedAllocation").0, 95);
    // 10000/50000, 6000/10000 after the pod: 0.6/0.2 → 80.
    assert_eq!(score(&d, "n3", "NodeResourcesBalancedAllocation").0, 80);

    // A best-effort pod gets no balanced-allocation score at all.
    let d = decide(&["n1 --cpu 10 --memory 20000", "n2 --cpu 4 --memory 10000"], None, None);
    for node in ["n1", "n2"] {
        assert_eq!(score(&d, node, "NodeResourcesBalancedAllocation"), (0, 0, 0));
    }
}

#[test]
fn taint_toleration_scores_reverse_normalized_by_the_maximum() {
    let d = decide(&["n0", "n1 --taint a=1:PreferNoSchedule", "n2 --taint a=1:PreferNoSchedule --taint b=2:PreferNoSchedule"], None, None);
    let got: Vec<(i64, i64, i64)> = ["n0", "n1", "n2"].iter().map(|n| score(&d, n, "TaintToleration")).collect();
    assert_eq!(got, [(0, 100, 300), (1, 50, 150), (2, 0, 0)]);
}

#[test]
fn node_affinity_preferred_weights_normalize_by_the_maximum() {
    let mut c = cluster(&["n0 --label x=1", "n1 --label y=1", "n2"]);
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  affinity:\n    nodeAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 80\n        preference:\n          matchExpressions:\n          - key: x\n            operator: Exists\n      - weight: 20\n        preference:\n          matchExpressions:\n          - key: y\n            operator: In\n            values: [\"1\"]\n  containers:\n  - name: app\n    image: nginx\n";
    apply(&mut c, manifest);
    let d = explain(&mut c, "p");
    let got: Vec<(i64, i64, i64)> = ["n0", "n1", "n2"].iter().map(|n| score(&d, n, "NodeAffinity")).collect();
    assert_eq!(got, [(80, 100, 200), (20, 25, 50), (0, 0, 0)]);
    assert_eq!(d["node"], "n0");
}

#[test]
fn system_default_spreading_scores_100_60_40() {
    let mut c = cluster(&["n0", "n1", "n2"]);
    apply(&mut c, "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  ports:\n  - port: 80\n");
    let labelled = |name: &str, node: Option<&str>| pod(name, None, None, node).replace("  name: ", "  labels:\n    app: web\n  name: ");
    apply(&mut c, &labelled("a", Some("n1")));
    apply(&mut c, &labelled("b", Some("n2")));
    apply(&mut c, &labelled("c", Some("n2")));
    apply(&mut c, &labelled("p", None));
    let d = explain(&mut c, "p");
    let got: Vec<(i64, i64, i64)> = ["n0", "n1", "n2"].iter().map(|n| score(&d, n, "PodTopologySpread")).collect();
    assert_eq!(got, [(2, 100, 200), (4, 60, 120), (5, 40, 80)]);
}

#[test]
fn inter_pod_affinity_normalizes_between_minimum_and_maximum() {
    let mut c = cluster(&["n0", "n1", "n2"]);
    let labelled = |name: &str, app: &str, node: &str| {
        pod(name, None, None, Some(node)).replace("  name: ", &format!("  labels:\n    app: {app}\n  name: "))
    };
    apply(&mut c, &labelled("db", "db", "n0"));
    apply(&mut c, &labelled("web", "web", "n1"));
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 10\n        podAffinityTerm:\n          labelSelector:\n            matchLabels:\n              app: db\n          topologyKey: kubernetes.io/hostname\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n      - weight: 5\n        podAffinityTerm:\n          labelSelector:\n            matchLabels:\n              app: web\n          topologyKey: kubernetes.io/hostname\n  containers:\n  - name: app\n    image: nginx\n";
    apply(&mut c, manifest);
    let d = explain(&mut c, "p");
    let got: Vec<(i64, i64, i64)> = ["n0", "n1", "n2"].iter().map(|n| score(&d, n, "InterPodAffinity")).collect();
    // Raw [10, −5, 0]: (s − min)/(max − min) · 100, truncated.
    assert_eq!(got, [(10, 100, 200), (-5, 0, 0), (0, 33, 66)]);
}

#[test]
fn only_a_sample_of_large_clusters_is_scored() {
    let names: Vec<String> = (0..150).map(|i| format!("n{i:03}")).collect();
    let args: Vec<&str> = names.iter().map(String::as_str).collect();
    let d = decide(&args, None, None);
    // 151 nodes: max(50 − 151/125, 5) = 49% is 73, raised to the minimum of 100 feasible
    // nodes; the control plane (rejected) is looked at on the way.
    let nodes = d["nodes"].as_object().map(|m| m.len());
    assert_eq!(nodes, Some(101));
}

#[test]
fn ties_are_broken_by_the_seeded_rng() {
    let placements = |seed: u64| {
        let mut c = Cluster::new(ClusterConfig { seed, workers: 0 });
        for n in ["a", "b", "c"] {
            execute(&mut c, &format!("sim node add {n}"), None);
        }
        let mut nodes = Vec::new();
        for i in 0..6 {
            // Each pod is pinned away from nothing and gets equal scores on empty nodes; it is
            // deleted before the next, so every cycle is a three-way tie.
            apply(&mut c, &pod(&format!("p{i}"), Some("0"), Some("0"), None));
            let d = explain(&mut c, &format!("p{i}"));
            nodes.push(d["node"].as_str().unwrap_or("").to_string());
            execute(&mut c, &format!("kubectl delete pod p{i} --grace-period=0 --force"), None);
            c.advance(2000);
        }
        nodes
    };
    assert_eq!(placements(1), placements(1), "the same seed gives the same choices");
    let all: std::collections::BTreeSet<String> = (1..5).flat_map(placements).collect();
    assert_eq!(all.len(), 3, "every tied node gets chosen sometimes: {all:?}");
}

#[test]
fn image_locality_scales_by_the_spread_of_the_image() {
    // Nodes applied with the images their kubelet would report: a 500 MiB image on 2 of the 4
    // nodes (the control plane counts) scales to 250 MiB: 100·(250 − 23)/(1000 − 23) = 23.
    let mut c = cluster(&[]);
    let node = |name: &str, images: &str| {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\n  labels:\n    kubernetes.io/hostname: {name}\nstatus:\n  allocatable:\n    cpu: \"4\"\n    memory: 8Gi\n    pods: \"110\"\n{images}"
        )
    };
    let cached = "  images:\n  - names: [\"docker.io/library/big:1.0\", \"big:1.0\"]\n    sizeBytes: 524288000\n";
    apply(&mut c, &node("cached-1", cached));
    apply(&mut c, &node("cached-2", cached));
    apply(&mut c, &node("plain", ""));
    apply(&mut c, &pod("p", None, None, None).replace("image: nginx", "image: big:1.0"));
    let d = explain(&mut c, "p");
    let got: Vec<(i64, i64, i64)> = ["cached-1", "cached-2", "plain"].iter().map(|n| score(&d, n, "ImageLocality")).collect();
    assert_eq!(got, [(23, 23, 23), (23, 23, 23), (0, 0, 0)]);
}

#[test]
fn balanced_allocation_over_three_resources_uses_the_standard_deviation() {
    // 3500/40000 with 8 GPUs, pod 3000/5000/4: fractions 0.857/0.125/0.5, std 0.3002 → 70.
    let mut c = cluster(&[]);
    let config = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- pluginConfig:\n  - name: NodeResourcesBalancedAllocation\n    args:\n      resources:\n      - name: cpu\n        weight: 1\n      - name: memory\n        weight: 1\n      - name: nvidia.com/gpu\n        weight: 1\n";
    let out = execute(&mut c, "sim scheduler config -f -", Some(config));
    assert!(out.starts_with("scheduler configured"), "{out}");
    for name in ["g1", "g2"] {
        apply(
            &mut c,
            &format!("apiVersion: v1\nkind: Node\nmetadata:\n  name: {name}\nstatus:\n  allocatable:\n    cpu: 3500m\n    memory: \"40000\"\n    nvidia.com/gpu: \"8\"\n    pods: \"110\"\n"),
        );
    }
    let gpu = "        nvidia.com/gpu: \"4\"\n      limits:\n        nvidia.com/gpu: \"4\"\n";
    apply(
        &mut c,
        &pod("p", Some("3"), Some("5000"), None).replace("        memory: \"5000\"\n", &format!("        memory: \"5000\"\n{gpu}")),
    );
    let d = explain(&mut c, "p");
    assert_eq!(score(&d, "g1", "NodeResourcesBalancedAllocation").0, 70);
}
