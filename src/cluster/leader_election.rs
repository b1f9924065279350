//! Leader election as kube-scheduler and kube-controller-manager run it (client-go's
//! `tools/leaderelection` with a `LeaseLock`): every instance is a candidate; the one whose
//! identity (`<node>_<uuid>`) is the Lease's holderIdentity leads and renews it every
//! retryPeriod (2 s); the others read it every retryPeriod and take it over once it has not
//! changed for leaseDurationSeconds (15 s) as they observed it. A leader that cannot renew for
//! renewDeadline (10 s) gives up (`leaderelection lost`): the process exits and its static pod
//! restarts it as a new candidate with a new identity. Only the leader acts.
//!
//! Candidates take their turns on one shared 2 s tick (upstream jitters the standbys' retries
//! by up to 1.2 × retryPeriod), so a takeover comes 14–16 s after the leader's last renewal.
use k8s_openapi::api::coordination::v1::LeaseSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;

use crate::api::{Key, Lease, Object, ObjectMeta};
use crate::apiserver::{Client, Reason, EPOCH_SECONDS};
use crate::rng::Rng;

/// component-base's defaults for `--leader-elect-*`.
pub const LEASE_DURATION_SECONDS: i32 = 15;
pub const RENEW_DEADLINE_MS: u64 = 10_000;
pub const RETRY_PERIOD_MS: u64 = 2_000;

/// One instance's view of the election.
#[derive(Clone, Debug)]
struct Candidate {
    node: String,
    identity: String,
    /// The record (holder, renewTime) last read, and when this candidate first saw it.
    observed: Option<((String, Option<MicroTime>), u64)>,
    /// While leading: when the Lease was last renewed.
    renewed_ms: Option<u64>,
}

/// The election of one component (its Lease in `kube-system`).
#[derive(Clone, Debug)]
pub struct LeaderElection {
    /// The Lease's name: `kube-scheduler` or `kube-controller-manager`.
    pub lease: &'static str,
    candidates: Vec<Candidate>,
}

fn micro_time(now_ms: u64) -> MicroTime {
    let at = EPOCH_SECONDS.saturating_mul(1000).saturating_add(i64::try_from(now_ms).unwrap_or(i64::MAX));
    MicroTime(k8s_openapi::jiff::Timestamp::from_millisecond(at).unwrap_or(k8s_openapi::jiff::Timestamp::UNIX_EPOCH))
}

impl LeaderElection {
    pub fn new(lease: &'static str) -> LeaderElection {
        LeaderElection { lease, candidates: Vec::new() }
    }

    /// The node whose instance leads (believes it holds the Lease), if any.
    pub fn leader(&self) -> Option<&str> {
        self.candidates.iter().find(|c| c.renewed_ms.is_some()).map(|c| c.node.as_str())
    }

    /// Whether an instance on `node` takes part (is running).
    pub fn has_candidate(&self, node: &str) -> bool {
        self.candidates.iter().any(|c| c.node == node)
    }

    /// The instances now running: a stopped one leaves the election, a started one joins it
    /// with a fresh identity (kube-scheduler's `hostname + "_" + uuid`).
    pub fn set_candidates(&mut self, running: &[String], rng: &mut Rng) {
        self.candidates.retain(|c| running.contains(&c.node));
        for node in running {
            if !self.has_candidate(node) {
                let identity = format!("{node}_{}", rng.uuid());
                self.candidates.push(Candidate { node: node.clone(), identity, observed: None, renewed_ms: None });
            }
        }
    }

    /// One retryPeriod: the leader renews, then every standby tries to acquire. `reaches_api`
    /// says whether an instance's requests can succeed (its API server runs and etcd has a
    /// leader); a failed renewal counts towards renewDeadline.
    pub fn tick(&mut self, client: &mut Client, reaches_api: impl Fn(&str) -> bool) {
        let now = client.now_ms();
        let key = Key::new("Lease", "kube-system", self.lease);
        let mut order: Vec<usize> = (0..self.candidates.len()).collect();
        order.sort_by_key(|&i| self.candidates[i].renewed_ms.is_none());
        for i in order {
            let candidate = &mut self.candidates[i];
            let ok = reaches_api(&candidate.node) && try_acquire_or_renew(client, &key, candidate, now);
            if !ok && candidate.renewed_ms.is_some_and(|at| now.saturating_sub(at) >= RENEW_DEADLINE_MS) {
                // "failed to renew lease …: timed out waiting for the condition", then
                // "leaderelection lost": the process exits and is restarted.
                candidate.renewed_ms = None;
                candidate.observed = None;
                candidate.identity = format!("{}_{}", candidate.node, client.rng().uuid());
            }
        }
    }
}

/// `tryAcquireOrRenew`: true when this candidate holds the Lease after the call.
fn try_acquire_or_renew(client: &mut Client, key: &Key, candidate: &mut Candidate, now: u64) -> bool {
    let current = match client.get(key) {
        Ok(lease) => lease,
        Err(e) if e.reason == Reason::NotFound => {
            let lease = Lease {
                metadata: ObjectMeta { name: Some(key.name.clone()), namespace: Some(key.namespace.clone()), ..Default::default() },
                spec: Some(LeaseSpec {
                    holder_identity: Some(candidate.identity.clone()),
                    lease_duration_seconds: Some(LEASE_DURATION_SECONDS),
                    acquire_time: Some(micro_time(now)),
                    renew_time: Some(micro_time(now)),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match client.create(Object::Lease(lease)) {
                Ok(created) => became_leader(client, &created, candidate, now),
                Err(_) => false,
            };
        }
        Err(_) => return false,
    };
    let Object::Lease(lease) = &*current else { return false };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = spec.holder_identity.clone().unwrap_or_default();
    if holder == candidate.identity {
        let renewed = client.patch(key, "update", |o| {
            if let Object::Lease(l) = o {
                l.spec.get_or_insert_with(Default::default).renew_time = Some(micro_time(now));
            }
        });
        if renewed.is_ok() {
            candidate.renewed_ms = Some(now);
        }
        return renewed.is_ok();
    }
    // Someone else holds it: this candidate is not leading, whatever it believed.
    candidate.renewed_ms = None;
    let record = (holder.clone(), spec.renew_time.clone());
    let observed_at = match &candidate.observed {
        Some((seen, at)) if *seen == record => *at,
        _ => {
            candidate.observed = Some((record, now));
            now
        }
    };
    let duration_ms = u64::try_from(spec.lease_duration_seconds.unwrap_or(LEASE_DURATION_SECONDS)).unwrap_or(0) * 1000;
    if !holder.is_empty() && now < observed_at.saturating_add(duration_ms) {
        return false;
    }
    let identity = candidate.identity.clone();
    let acquired = client.patch(key, "update", |o| {
        if let Object::Lease(l) = o {
            let spec = l.spec.get_or_insert_with(Default::default);
            spec.holder_identity = Some(identity);
            spec.lease_duration_seconds = Some(LEASE_DURATION_SECONDS);
            spec.acquire_time = Some(micro_time(now));
            spec.renew_time = Some(micro_time(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
    });
    match acquired {
        Ok(lease) => became_leader(client, &lease, candidate, now),
        Err(_) => false,
    }
}

/// The event upstream's `LeaseLock.RecordEvent` writes about the Lease.
fn became_leader(client: &mut Client, lease: &Object, candidate: &mut Candidate, now: u64) -> bool {
    candidate.renewed_ms = Some(now);
    client.event(lease, "Normal", "LeaderElection", format!("{} became leader", candidate.identity));
    true
}
