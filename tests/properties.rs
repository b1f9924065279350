//! Property tests: random sequences of applies, scales, deletes, node additions and waits,
//! interleaved with faults (machines that stop, start or lose their network; control-plane
//! components and kubelets that stop and start), with the cluster's invariants checked after
//! every step.
//!
//! - nothing committed to etcd is lost: every write seen is still readable at its revision
//!   until etcd compacts that revision;
//! - no pod is ever bound to a second node, and no pod is bound twice;
//! - no node is given more than its allocatable CPU, memory or pods;
//! - etcd's revision never goes back, and every stored object has its own resourceVersion;
//! - a watch on pods sees every change once and in order: replaying it gives the pods there are;
//! - once the commands stop and every fault heals, every Deployment converges to its replicas
//!   when capacity allows.
//!
//! `PROPTEST_CASES=N` runs more cases (the default keeps `make test` quick).
use std::collections::{BTreeMap, BTreeSet};

use kubeglass::api::{info, Key, Object};
use kubeglass::apiserver::WatchEventType;
use kubeglass::scheduler::{allocatable, pod_requests};
use kubeglass::{kubectl, Cluster, ClusterConfig};
use proptest::prelude::*;

/// One step a user could take.
#[derive(Clone, Debug)]
enum Step {
    /// Applies Deployment `web-N` with this many replicas, CPU request and image.
    Apply {
        name: u8,
        replicas: u8,
        milli_cpu: u16,
        image: &'static str,
    },
    Scale {
        name: u8,
        replicas: u8,
    },
    DeleteDeployment {
        name: u8,
    },
    /// Deletes the pod at this position (modulo the number of pods), if there is one.
    DeletePod {
        index: u8,
    },
    AddNode {
        cpus: u8,
    },
    Wait {
        ms: u32,
    },
    /// `sim node stop|start|partition worker-N`.
    Node {
        verb: &'static str,
        worker: u8,
    },
    /// `sim stop|start COMPONENT` (a kubelet's NODE included).
    Component {
        verb: &'static str,
        component: &'static str,
    },
}

/// The components a fault step may stop; every one of them is started again before the
/// convergence check.
const COMPONENTS: [&str; 4] = ["apiserver", "scheduler", "controller-manager", "kubelet worker-2"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0u8..4, 0u8..8, prop::sample::select(vec![100u16, 250, 1500]), prop::sample::select(vec!["nginx:1.27", "nginx:1.28", "redis"]))
            .prop_map(|(name, replicas, milli_cpu, image)| Step::Apply { name, replicas, milli_cpu, image }),
        2 => (0u8..4, 0u8..10).prop_map(|(name, replicas)| Step::Scale { name, replicas }),
        1 => (0u8..4).prop_map(|name| Step::DeleteDeployment { name }),
        1 => any::<u8>().prop_map(|index| Step::DeletePod { index }),
        1 => (1u8..6).prop_map(|cpus| Step::AddNode { cpus }),
        4 => (0u32..20_000).prop_map(|ms| Step::Wait { ms }),
        1 => (prop::sample::select(vec!["stop", "start", "partition"]), 1u8..4).prop_map(|(verb, worker)| Step::Node { verb, worker }),
        1 => (prop::sample::select(vec!["stop", "start"]), prop::sample::select(COMPONENTS.to_vec()))
            .prop_map(|(verb, component)| Step::Component { verb, component }),
    ]
}

fn deployment(name: u8, replicas: u8, milli_cpu: u16, image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: web-{name}\n  template:\n    metadata:\n      labels:\n        app: web-{name}\n    spec:\n      containers:\n      - name: app\n        image: {image}\n        resources:\n          requests:\n            cpu: {milli_cpu}m\n            memory: 64Mi\n"
    )
}

/// Runs a step through the command language, as a user would type it.
fn run(cluster: &mut Cluster, step: &Step, nodes_added: &mut u32) {
    match step {
        Step::Apply { name, replicas, milli_cpu, image } => {
            kubectl::execute(cluster, "kubectl apply -f -", Some(&deployment(*name, *replicas, *milli_cpu, image)));
        }
        Step::Scale { name, replicas } => {
            kubectl::execute(cluster, &format!("kubectl scale deployment web-{name} --replicas={replicas}"), None);
        }
        Step::DeleteDeployment { name } => {
            kubectl::execute(cluster, &format!("kubectl delete deployment web-{name}"), None);
        }
        Step::DeletePod { index } => {
            let pods = cluster.api().peek_list(info("Pod"), Some("default"));
            if !pods.is_empty() {
                let pod = &pods[usize::from(*index) % pods.len()];
                let name = pod.metadata().name.clone().unwrap_or_default();
                kubectl::execute(cluster, &format!("kubectl delete pod {name}"), None);
            }
        }
        Step::AddNode { cpus } => {
            *nodes_added += 1;
            kubectl::execute(cluster, &format!("sim node add extra-{nodes_added} --cpu {cpus}"), None);
        }
        Step::Wait { ms } => cluster.advance(u64::from(*ms)),
        Step::Node { verb, worker } => {
            kubectl::execute(cluster, &format!("sim node {verb} worker-{worker}"), None);
        }
        Step::Component { verb, component } => {
            kubectl::execute(cluster, &format!("sim {verb} {component}"), None);
        }
    }
}

/// Mends every fault a step may have made: the machines start, the components start.
fn heal(cluster: &mut Cluster) {
    for worker in 1..4 {
        kubectl::execute(cluster, &format!("sim node start worker-{worker}"), None);
    }
    for component in COMPONENTS {
        kubectl::execute(cluster, &format!("sim start {component}"), None);
    }
}

/// What the checks remember between steps.
#[derive(Default)]
struct Seen {
    /// pod uid → the node it was bound to.
    bound: BTreeMap<String, String>,
    revision: i64,
    /// A watcher's cache of pods (namespace/name → resourceVersion) and where its watch resumes.
    watched: BTreeMap<String, String>,
    watch_from: i64,
    /// Every committed object seen: (resourceVersion, storage path of the object).
    committed: BTreeSet<(i64, String)>,
}

fn pod_key(object: &Object) -> String {
    format!("{}/{}", object.metadata().namespace.as_deref().unwrap_or(""), object.metadata().name.as_deref().unwrap_or(""))
}

/// Resumes a watch on pods as an informer does (relisting when the revision was compacted),
/// checks that its events come once each and in revision order, and that replaying them gives
/// exactly the pods the API server lists.
fn check_watch(cluster: &Cluster, seen: &mut Seen) -> Result<(), TestCaseError> {
    let api = cluster.api();
    let pods = info("Pod");
    match api.watch_from(Some(pods), seen.watch_from) {
        Ok(events) => {
            let mut last = seen.watch_from;
            for event in events {
                let key = pod_key(&event.object);
                if event.event_type == WatchEventType::Deleted {
                    prop_assert!(seen.watched.remove(&key).is_some(), "DELETED {key} that the watch never added");
                    continue;
                }
                let rv: i64 = event.object.metadata().resource_version.as_deref().unwrap_or("").parse().unwrap_or(-1);
                prop_assert!(rv > last, "{} {key} at revision {rv} after revision {last}", event.event_type);
                check_binding(&event.object, &mut seen.bound)?;
                last = rv;
                seen.watched.insert(key, rv.to_string());
            }
        }
        // 410 Gone: an informer lists again and watches from there.
        Err(_) => {
            seen.watched =
                api.peek_list(pods, None).iter().map(|p| (pod_key(p), p.metadata().resource_version.clone().unwrap_or_default())).collect();
        }
    }
    seen.watch_from = api.revision();
    let listed: BTreeMap<String, String> =
        api.peek_list(pods, None).iter().map(|p| (pod_key(p), p.metadata().resource_version.clone().unwrap_or_default())).collect();
    prop_assert_eq!(&seen.watched, &listed, "the watch replayed differs from the list");
    Ok(())
}

/// No pod is bound twice: once a pod (by uid) has a node, every later version of it has the
/// same node. The watch sees every version, so a bind that moved a pod between two checks
/// (or unbound it) is caught too.
fn check_binding(object: &Object, bound: &mut BTreeMap<String, String>) -> Result<(), TestCaseError> {
    let Object::Pod(pod) = object else { return Ok(()) };
    let uid = pod.metadata.uid.clone().unwrap_or_default();
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
    match (bound.get(&uid), node) {
        (Some(before), Some(node)) => prop_assert_eq!(before, &node, "pod {:?} bound again, to another node", pod.metadata.name),
        (Some(before), None) => prop_assert!(false, "pod {:?} lost its binding to {before}", pod.metadata.name),
        (None, Some(node)) => {
            bound.insert(uid, node);
        }
        (None, None) => {}
    }
    Ok(())
}

fn check_invariants(cluster: &Cluster, seen: &mut Seen) -> Result<(), TestCaseError> {
    let api = cluster.api();
    let revision = api.revision();
    prop_assert!(revision >= seen.revision, "revision went back from {} to {revision}", seen.revision);
    seen.revision = revision;

    let mut versions = BTreeMap::new();
    for kind in kubeglass::api::KINDS {
        for object in api.peek_list(kind, None) {
            let rv: i64 = object.metadata().resource_version.as_deref().unwrap_or("").parse().unwrap_or(-1);
            prop_assert!(rv > 0 && rv <= revision, "resourceVersion {rv} of {:?} outside 1..={revision}", object.metadata().name);
            if let Some(other) = versions.insert(rv, object.metadata().name.clone()) {
                prop_assert!(false, "resourceVersion {rv} shared by {other:?} and {:?}", object.metadata().name);
            }
            seen.committed.insert((rv, Key::of(&object).path()));
        }
    }

    let mut given: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for object in api.peek_list(info("Pod"), None) {
        let Object::Pod(pod) = &*object else { continue };
        let Some(spec) = &pod.spec else { continue };
        let Some(node) = &spec.node_name else { continue };
        check_binding(&object, &mut seen.bound)?;
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if !matches!(phase, Some("Succeeded" | "Failed")) {
            let (requests, _) = pod_requests(spec);
            let entry = given.entry(node.clone()).or_default();
            *entry = (entry.0 + requests.milli_cpu, entry.1 + requests.memory, entry.2 + 1);
        }
    }
    for object in api.peek_list(info("Node"), None) {
        let Object::Node(node) = &*object else { continue };
        let name = node.metadata.name.clone().unwrap_or_default();
        let capacity = allocatable(node);
        let (cpu, memory, pods) = given.get(&name).copied().unwrap_or_default();
        prop_assert!(cpu <= capacity.milli_cpu, "{name}: {cpu}m CPU given, {}m allocatable", capacity.milli_cpu);
        prop_assert!(memory <= capacity.memory, "{name}: {memory} bytes given, {} allocatable", capacity.memory);
        prop_assert!(pods <= capacity.pods, "{name}: {pods} pods given, {} allowed", capacity.pods);
    }
    Ok(())
}

/// Nothing committed is lost: each object once seen is still in etcd's state at its revision,
/// with that revision, unless etcd has compacted the revision since. A sample of at most 40
/// revisions per call keeps the check quick; a case calls it after every step.
fn check_committed(cluster: &Cluster, seen: &mut Seen) -> Result<(), TestCaseError> {
    let oldest = cluster.oldest_revision();
    seen.committed.retain(|(rv, _)| *rv > oldest);
    let revisions: BTreeSet<i64> = seen.committed.iter().map(|(rv, _)| *rv).collect();
    let step = revisions.len() / 40 + 1;
    for revision in revisions.into_iter().step_by(step) {
        let state = cluster.state_at(revision);
        prop_assert!(state.is_ok(), "revision {revision} after compaction at {oldest}: {:?}", state.err());
        let state = state.unwrap_or_default();
        for (_, path) in seen.committed.range((revision, String::new())..(revision + 1, String::new())) {
            let found = state.iter().find(|o| &Key::of(o).path() == path);
            let rv = found.and_then(|o| o.metadata().resource_version.clone());
            prop_assert_eq!(rv, Some(revision.to_string()), "{} written at revision {} is lost", path, revision);
        }
    }
    Ok(())
}

/// After the commands stop: every Deployment whose pods ask for little CPU (so that all of
/// them always fit on the three default workers) has exactly its replicas, all ready.
fn check_convergence(cluster: &Cluster) -> Result<(), TestCaseError> {
    let api = cluster.api();
    let small = api.peek_list(info("Deployment"), Some("default")).iter().all(|d| {
        let Object::Deployment(d) = &**d else { return false };
        let spec = d.spec.as_ref().and_then(|s| s.template.spec.as_ref());
        spec.is_some_and(|s| pod_requests(s).0.milli_cpu <= 250)
    });
    if !small {
        return Ok(());
    }
    for object in api.peek_list(info("Deployment"), Some("default")) {
        let Object::Deployment(d) = &*object else { continue };
        let want = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let status = d.status.clone().unwrap_or_default();
        prop_assert_eq!(status.ready_replicas.unwrap_or(0), want, "{:?}: {:?}", d.metadata.name, status);
        prop_assert_eq!(status.replicas.unwrap_or(0), want, "{:?}: {:?}", d.metadata.name, status);
    }
    Ok(())
}

/// 128 cases unless `PROPTEST_CASES` asks for another number.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(128)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_sessions_keep_the_invariants(steps in prop::collection::vec(step(), 1..25), seed in any::<u64>()) {
        let mut cluster = Cluster::new(ClusterConfig { seed, workers: 3 });
        let mut seen = Seen::default();
        let mut nodes_added = 0;
        for step in &steps {
            run(&mut cluster, step, &mut nodes_added);
            // The watch first: it replays the versions in revision order, before the current one.
            check_watch(&cluster, &mut seen)?;
            check_invariants(&cluster, &mut seen)?;
            check_committed(&cluster, &mut seen)?;
        }
        heal(&mut cluster);
        // Long enough for any rollout, image pull and graceful deletion to finish, and for
        // nodes that come back to be Ready and untainted again.
        cluster.advance(10 * 60 * 1000);
        check_watch(&cluster, &mut seen)?;
        check_invariants(&cluster, &mut seen)?;
        check_committed(&cluster, &mut seen)?;
        check_convergence(&cluster)?;
    }
}
