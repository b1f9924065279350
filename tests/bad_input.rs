//! No input panics, and nothing applied is lost: hostile manifests and garbage commands get an
//! error, and the Deployment applied first is still there (and still Running) afterwards.
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig};

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n";

fn running_web_pods(cluster: &Cluster) -> usize {
    let snapshot = cluster.snapshot();
    snapshot.nodes.iter().flat_map(|n| &n.pods).filter(|p| p.name.starts_with("web-") && p.status == "Running").count()
}

fn hostile_manifests() -> Vec<String> {
    let deep = format!("apiVersion: v1\nkind: ConfigMap\ndata: {}1{}\n", "[".repeat(1000), "]".repeat(1000));
    let aliases = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    let mut manifests = vec![
        "".to_string(),
        "---\n---\n".to_string(),
        "\u{0}\u{1}\u{7f}".to_string(),
        ": : :".to_string(),
        "- a\n- b\n".to_string(),
        "42".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata: 5\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: nope\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: [1, 2]\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"p\u{202e}\u{0}\"\nspec:\n  containers:\n  - name: a\n    image: nginx\n".to_string(),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: a\n    image: nginx\n    resources:\n      requests:\n        cpu: 1e400\n        memory: 99999999999999999999999999Ei\n".to_string(),
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-1\n".to_string(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: \"many\"\n".to_string(),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: []\n".to_string(),
        "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [1, \"x\", {\"kind\": \"Pod\"}]}".to_string(),
        "apiVersion: v1\nkind: List\nitems: 7\n".to_string(),
        deep,
        aliases.to_string(),
    ];
    manifests.push(format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n", "n".repeat(300)));
    manifests
}

#[test]
fn hostile_manifests_get_errors_and_lose_nothing() {
    let mut cluster = Cluster::new(ClusterConfig::default());
    assert_eq!(execute(&mut cluster, "kubectl apply -f -", Some(WEB)), "deployment.apps/web created\n");
    cluster.advance(30_000);
    assert_eq!(running_web_pods(&cluster), 2);
    for manifest in hostile_manifests() {
        for command in ["kubectl apply -f -", "kubectl create -f -"] {
            let out = execute(&mut cluster, command, Some(&manifest));
            assert!(!out.contains("deployment.apps/web configured"), "{manifest:?} changed web: {out}");
        }
    }
    cluster.advance(30_000);
    assert_eq!(running_web_pods(&cluster), 2, "the Deployment applied first survives");
    assert!(execute(&mut cluster, "kubectl get deployment web", None).contains("2/2"));
}

/// A small deterministic generator for garbage: commands and flags in random orders.
struct Garbage(u64);

impl Garbage {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

#[test]
fn garbage_commands_never_panic() {
    const WORDS: &[&str] = &[
        "kubectl",
        "sim",
        "get",
        "apply",
        "delete",
        "create",
        "scale",
        "wait",
        "node",
        "add",
        "pods",
        "deploy",
        "rs",
        "nodes",
        "ns",
        "events",
        "web",
        "-n",
        "-o",
        "json",
        "yaml",
        "wide",
        "name",
        "-A",
        "-l",
        "app=web",
        "-f",
        "-",
        "--replicas=3",
        "--replicas",
        "-1",
        "99999999999",
        "--cpu",
        "1e400",
        "--memory",
        "0",
        "--taint",
        "a:NoSchedule",
        "--label",
        "=",
        "'",
        "\"",
        "<<",
        "\\",
        "deployment/web",
        "x/y/z",
        "--",
        "--grace-period=0",
        "5m",
        "-3s",
        "\u{1F600}",
        "\u{0}",
        "",
    ];
    let mut cluster = Cluster::new(ClusterConfig::default());
    execute(&mut cluster, "kubectl apply -f -", Some(WEB));
    let mut garbage = Garbage(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let len = 1 + garbage.next() % 6;
        let line: Vec<&str> = (0..len).map(|_| garbage.pick(WORDS)).collect();
        let line = line.join(" ");
        let _ = execute(&mut cluster, &line, Some(WEB));
        // Each line's output is checked only for not panicking; the state is checked below.
        if garbage.next() % 50 == 0 {
            cluster.advance(1_000);
        }
    }
    execute(&mut cluster, "kubectl apply -f -", Some(WEB));
    execute(&mut cluster, "kubectl scale deployment web --replicas=2", None);
    cluster.advance(60_000);
    assert_eq!(running_web_pods(&cluster), 2);
}
