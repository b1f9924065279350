//! Simulated traffic through kube-proxy's rules, on a real cluster.
use std::collections::BTreeMap;

use kubeglass::kubectl::execute;
use kubeglass::network::{CurlRequest, Failure, Source};
use kubeglass::{Cluster, ClusterConfig};

fn cluster_with_web(seed: u64) -> Cluster {
    let mut cluster = Cluster::new(ClusterConfig { seed, ..ClusterConfig::default() });
    for command in ["kubectl create deployment web --image=nginx --replicas=3", "kubectl expose deployment web --port=80", "sim wait 30s"] {
        execute(&mut cluster, command, None);
    }
    cluster
}

/// The pods that answered `count` requests to `web`, with how many each answered.
fn spread(cluster: &mut Cluster, count: usize) -> BTreeMap<String, usize> {
    let out = cluster
        .curl(&CurlRequest {
            target: "web".into(),
            source: Source::Client,
            count,
            namespace: "default".into(),
            host_header: None,
            resolve: Vec::new(),
        })
        .expect("curl runs");
    let mut answers = BTreeMap::new();
    for line in out.lines().take(count) {
        assert!(!line.starts_with("curl:"), "a request failed: {line}");
        *answers.entry(line.to_string()).or_insert(0) += 1;
    }
    answers
}

#[test]
fn three_endpoints_get_a_third_each() {
    // A third is 1000 of 3000; within ±5% of the requests is 850 to 1150.
    for seed in 0..5 {
        let mut cluster = cluster_with_web(seed);
        let answers = spread(&mut cluster, 3000);
        assert_eq!(answers.len(), 3, "seed {seed}: {answers:?}");
        for (pod, count) in &answers {
            assert!((850..=1150).contains(count), "seed {seed}: {pod} answered {count} of 3000");
        }
    }
}

#[test]
fn client_ip_affinity_sticks_to_one_endpoint() {
    let mut cluster = cluster_with_web(0);
    let service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector:\n    app: web\n  sessionAffinity: ClientIP\n  ports:\n  - port: 80\n";
    let out = execute(&mut cluster, "kubectl apply -f -", Some(service));
    assert!(out.contains("configured"), "{out}");
    execute(&mut cluster, "sim wait 2s", None);
    assert_eq!(spread(&mut cluster, 50).len(), 1);
}

#[test]
fn recent_requests_record_the_way_through_kube_proxy() {
    let mut cluster = cluster_with_web(0);
    spread(&mut cluster, 1);
    let request = cluster.recent_requests().last().expect("a request was recorded").clone();
    assert_eq!(request.node.as_deref(), Some("worker-1"));
    assert_eq!(request.chains.first().map(String::as_str), Some("KUBE-SERVICES"));
    assert!(request.chains.iter().any(|c| c.starts_with("KUBE-SVC-")) && request.chains.iter().any(|c| c.starts_with("KUBE-SEP-")));
    assert!(request.pod.is_some() && !request.stale);
}

#[test]
fn a_request_to_a_stopped_node_times_out_and_says_where() {
    let mut cluster = cluster_with_web(0);
    let out = execute(&mut cluster, "sim node stop worker-2", None);
    assert!(out.contains("stopped"), "{out}");
    let answer = execute(&mut cluster, "sim curl 10.244.2.2", None);
    assert_eq!(answer, "curl: (28) Connection timed out after 10001 milliseconds\n");
    let request = cluster.recent_requests().last().expect("a request was recorded").clone();
    assert_eq!(request.failure, Some(Failure::NodeDown("worker-2".into())));
    assert_eq!(request.dest_node.as_deref(), Some("worker-2"));
}

#[test]
fn ingress_requests_record_the_controller_hop_and_the_rule() {
    let mut cluster = cluster_with_web(0);
    for command in ["sim ingress-controller install", "kubectl create ingress web --rule=web.example/*=web:80", "sim wait 30s"] {
        execute(&mut cluster, command, None);
    }
    let out = execute(&mut cluster, "sim curl http://172.18.255.200/x -H 'Host: web.example'", None);
    assert!(out.starts_with("web-"), "{out}");
    let request = cluster.recent_requests().last().expect("a request was recorded").clone();
    let hop = request.ingress.expect("the controller's pod routed it");
    assert_eq!(hop.status, 200);
    assert_eq!(hop.rule.as_deref(), Some("web.example/ (Prefix)"));
    assert_eq!(hop.backend.as_deref(), Some("web:80"));
    assert!(hop.controller.name.starts_with("ingress-nginx-controller-"));
    assert!(request.pod.is_some_and(|p| p.name.starts_with("web-")));
    let missing = execute(&mut cluster, "sim curl http://172.18.255.200/x -H 'Host: other.example'", None);
    assert_eq!(missing, "404 Not Found\n");
}
