//! The mutating kubectl commands take any arguments without panicking, and a command that fails
//! changes nothing it should not: garbage lines, in a deterministic order, against a cluster
//! with a Deployment in it.
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig};

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n";

const WORDS: &[&str] = &[
    "rollout",
    "status",
    "history",
    "undo",
    "restart",
    "pause",
    "resume",
    "set",
    "image",
    "resources",
    "label",
    "annotate",
    "wait",
    "edit",
    "diff",
    "run",
    "expose",
    "create",
    "service",
    "clusterip",
    "nodeport",
    "secret",
    "generic",
    "configmap",
    "job",
    "quota",
    "priorityclass",
    "namespace",
    "deployment",
    "delete",
    "scale",
    "apply",
    "deploy/web",
    "deployment",
    "web",
    "pod",
    "pods",
    "svc",
    "cronjob/x",
    "nginx=nginx:2",
    "*=x",
    "a=b",
    "a-",
    "-",
    "--",
    "-f",
    "-l",
    "app=web",
    "--all",
    "--overwrite",
    "--image=nginx",
    "--image",
    "--port=80",
    "--port=-1",
    "--port=99999999999",
    "--tcp=80:8080",
    "--tcp=:",
    "--tcp=x",
    "--from=cronjob/x",
    "--from=deploy/web",
    "--from-literal=a=b",
    "--from-literal==",
    "--from-file=nope",
    "--to-revision=-3",
    "--to-revision=1",
    "--revision=2",
    "--timeout=0s",
    "--timeout=1s",
    "--timeout=-1s",
    "--for=delete",
    "--for=condition=Available",
    "--for=condition=",
    "--for=condition==",
    "--limits=cpu=1",
    "--limits=cpu",
    "--requests=memory=1e400",
    "-c=nginx",
    "--dry-run=client",
    "--dry-run=server",
    "--dry-run",
    "-o",
    "yaml",
    "json",
    "name",
    "--force",
    "--now",
    "--grace-period=0",
    "--current-replicas=2",
    "--replicas=1",
    "--replicas=-5",
    "--type=NodePort",
    "--name=x",
    "--target-port=http",
    "--restart=Never",
    "--labels=a",
    "--env=X",
    "--command",
    "--value=1",
    "--hard=cpu",
    "\u{1F600}",
    "\u{0}",
    "",
];

#[test]
fn garbage_mutating_commands_never_panic() {
    let mut cluster = Cluster::new(ClusterConfig::default());
    execute(&mut cluster, "kubectl apply -f -", Some(WEB));
    cluster.advance(20_000);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..2_000 {
        let len = 1 + next() % 6;
        let words: Vec<&str> = (0..len).map(|_| WORDS[(next() % WORDS.len() as u64) as usize]).collect();
        let line = format!("kubectl {}", words.join(" "));
        let stdin = (i % 3 == 0).then_some(WEB);
        let _ = execute(&mut cluster, &line, stdin);
    }
}

#[test]
fn apply_keeps_what_others_set_and_removes_what_the_manifest_dropped() {
    let mut cluster = Cluster::new(ClusterConfig::default());
    let with_label = WEB.replace("  name: web\n", "  name: web\n  labels:\n    tier: front\n");
    assert_eq!(execute(&mut cluster, "kubectl apply -f -", Some(&with_label)), "deployment.apps/web created\n");
    let without_replicas = WEB.replace("  replicas: 2\n", "");
    assert_eq!(execute(&mut cluster, "kubectl scale deploy web --replicas=4", None), "deployment.apps/web scaled\n");
    // The manifest had replicas: dropping it removes it (the default, 1, comes back).
    assert_eq!(execute(&mut cluster, "kubectl apply -f -", Some(&without_replicas)), "deployment.apps/web configured\n");
    let yaml = execute(&mut cluster, "kubectl get deploy web -o yaml", None);
    assert!(yaml.contains("  replicas: 1\n") && !yaml.contains("tier: front"), "{yaml}");
    // Now the manifests never set replicas: a scale survives the next apply.
    assert_eq!(execute(&mut cluster, "kubectl scale deploy web --replicas=3", None), "deployment.apps/web scaled\n");
    assert_eq!(execute(&mut cluster, "kubectl apply -f -", Some(&without_replicas)), "deployment.apps/web unchanged\n");
    assert!(execute(&mut cluster, "kubectl get deploy web -o yaml", None).contains("  replicas: 3\n"));
}
