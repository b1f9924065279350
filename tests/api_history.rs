//! The cluster's history as a timeline reads it: every retained revision is readable and is
//! exactly the state the cluster had then; compaction forgets what is older than 5-10 minutes.
use std::collections::BTreeMap;

use kubeglass::api::Key;
use kubeglass::apiserver::Reason;
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig};

/// The example Deployment the editor starts with (3 replicas of nginx).
const DEPLOYMENT: &str = include_str!("../examples/web-deployment.yaml");

/// Every object's key and resourceVersion: two states are the same when these are.
fn fingerprint(objects: &[kubeglass::api::ObjectRef]) -> BTreeMap<Key, String> {
    objects.iter().map(|o| (Key::of(o), o.metadata().resource_version.clone().unwrap_or_default())).collect()
}

#[test]
fn state_at_every_revision_is_the_state_the_cluster_had() {
    let mut cluster = Cluster::new(ClusterConfig::default());
    let mut seen: BTreeMap<i64, BTreeMap<Key, String>> = BTreeMap::new();
    let mut record = |cluster: &Cluster| {
        if seen.contains_key(&cluster.revision()) {
            return;
        }
        let now = cluster.state_at(cluster.revision()).expect("the current revision is readable");
        seen.insert(cluster.revision(), fingerprint(&now));
    };
    record(&cluster);
    execute(&mut cluster, "kubectl apply -f -", Some(DEPLOYMENT));
    // Step a millisecond at a time so that every revision the cluster passes through is seen.
    for _ in 0..40_000 {
        cluster.advance(1);
        record(&cluster);
    }
    execute(&mut cluster, "kubectl delete deployment web", None);
    record(&cluster);
    assert!(seen.len() > 5, "the run passed {} revisions", seen.len());
    for (revision, expected) in &seen {
        let state = cluster.state_at(*revision).expect("retained");
        assert_eq!(&fingerprint(&state), expected, "at revision {revision}");
    }
}

#[test]
fn old_revisions_are_compacted_away() {
    let mut cluster = Cluster::new(ClusterConfig::default());
    execute(&mut cluster, "kubectl apply -f -", Some(DEPLOYMENT));
    cluster.advance(60_000);
    let early = cluster.revision();
    execute(&mut cluster, "kubectl scale deployment web --replicas=1", None);
    cluster.advance(11 * 60_000);
    let err = cluster.state_at(1).expect_err("compacted");
    assert_eq!(err.reason, Reason::Expired);
    assert!(err.render(None).starts_with("Error from server (Expired): too old resource version: 1 ("), "{}", err.render(None));
    // The compactor keeps what it saw at its previous tick (5 minutes ago) and later.
    assert!(cluster.state_at(cluster.revision()).is_ok());
    assert!(cluster.state_at(early).is_err(), "revision {early} is more than 10 minutes old");
}
