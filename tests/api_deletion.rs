//! Deletion as the garbage collector propagates it, read back from the API server's watch
//! history: foreground deletion removes the dependents before their owner, orphan deletion
//! keeps them and drops their owner references.
use kubeglass::api::Object;
use kubeglass::apiserver::WatchEventType;
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig};

const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx
";

fn running_deployment() -> Cluster {
    let mut cluster = Cluster::new(ClusterConfig::default());
    execute(&mut cluster, "kubectl apply -f -", Some(DEPLOYMENT));
    cluster.advance(30_000);
    cluster
}

/// The kinds of the objects deleted since `revision`, in the order they went.
fn deleted_kinds(cluster: &Cluster, revision: i64) -> Vec<&'static str> {
    let events = cluster.api().watch_from(None, revision).expect("retained");
    events.iter().filter(|e| e.event_type == WatchEventType::Deleted).map(|e| e.object.kind().kind).filter(|k| *k != "Event").collect()
}

#[test]
fn foreground_deletion_removes_the_owner_last() {
    let mut cluster = running_deployment();
    let start = cluster.revision();
    let out = execute(&mut cluster, "kubectl delete deployment web --cascade=foreground --wait=false", None);
    assert!(out.ends_with("\"web\" deleted\n"), "{out}");
    let web = cluster.api().peek(&kubeglass::api::Key::new("Deployment", "default", "web")).expect("still there");
    assert!(web.metadata().deletion_timestamp.is_some());
    assert_eq!(web.metadata().finalizers.as_deref(), Some(&["foregroundDeletion".to_string()][..]));
    cluster.advance(60_000);
    assert_eq!(deleted_kinds(&cluster, start), ["Pod", "Pod", "ReplicaSet", "Deployment"]);
}

#[test]
fn orphan_deletion_keeps_the_dependents_without_their_owner() {
    let mut cluster = running_deployment();
    let start = cluster.revision();
    execute(&mut cluster, "kubectl delete deployment web --cascade=orphan", None);
    cluster.advance(60_000);
    assert_eq!(deleted_kinds(&cluster, start), ["Deployment"]);
    let replica_sets: Vec<_> =
        cluster.state_at(cluster.revision()).unwrap().into_iter().filter(|o| matches!(&**o, Object::ReplicaSet(_))).collect();
    assert_eq!(replica_sets.len(), 1);
    assert_eq!(replica_sets[0].metadata().owner_references, None);
}

#[test]
fn background_deletion_removes_the_owner_first() {
    let mut cluster = running_deployment();
    let start = cluster.revision();
    execute(&mut cluster, "kubectl delete deployment web", None);
    cluster.advance(60_000);
    assert_eq!(deleted_kinds(&cluster, start), ["Deployment", "ReplicaSet", "Pod", "Pod"]);
}
