//! Deletion as the garbage collector propagates it, read back from the API server's watch
//! history: foreground deletion removes the dependents before their owner, orphan deletion
//! keeps them and drops their owner references.
use kubeglass::api::Object;
use kubeglass::apiserver::WatchEventType;
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig};

/// The example Deployment the editor starts with (3 replicas of nginx).
const DEPLOYMENT: &str = include_str!("../examples/web-deployment.yaml");

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

/// Runs a delete command on a running Deployment, waits a minute, and returns what went.
fn delete_and_wait(cluster: &mut Cluster, command: &str) -> Vec<&'static str> {
    let start = cluster.revision();
    execute(cluster, command, None);
    cluster.advance(60_000);
    deleted_kinds(cluster, start)
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
    assert_eq!(deleted_kinds(&cluster, start), ["Pod", "Pod", "Pod", "ReplicaSet", "Deployment"]);
}

#[test]
fn orphan_deletion_keeps_the_dependents_without_their_owner() {
    let mut cluster = running_deployment();
    assert_eq!(delete_and_wait(&mut cluster, "kubectl delete deployment web --cascade=orphan"), ["Deployment"]);
    let replica_sets: Vec<_> =
        cluster.state_at(cluster.revision()).unwrap().into_iter().filter(|o| matches!(&**o, Object::ReplicaSet(_))).collect();
    assert_eq!(replica_sets.len(), 1);
    assert_eq!(replica_sets[0].metadata().owner_references, None);
}

#[test]
fn background_deletion_removes_the_owner_first() {
    let mut cluster = running_deployment();
    assert_eq!(delete_and_wait(&mut cluster, "kubectl delete deployment web"), ["Deployment", "ReplicaSet", "Pod", "Pod", "Pod"]);
}
