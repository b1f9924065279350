//! The Job controller (`pkg/controller/job`): runs pods until `completions` of them succeed,
//! at most `parallelism` at a time (NonIndexed, or Indexed with one completion per index),
//! replaces failed pods after an exponential back-off, and gives up after `backoffLimit`
//! failures or `activeDeadlineSeconds`.
//!
//! Pods are counted as upstream does since 1.26: each carries the finalizer
//! `batch.kubernetes.io/job-tracking`; a finished pod's uid goes to
//! `status.uncountedTerminatedPods`, then its finalizer is removed, then it moves to the
//! `succeeded`/`failed` counters. A Job reaching its end first gets the interim condition
//! `SuccessCriteriaMet` or `FailureTarget`; the terminal `Complete` or `Failed` follows once
//! none of its pods is still running or terminating (1.31+).
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use k8s_openapi::api::batch::v1::{Job, JobCondition, JobStatus, UncountedTerminatedPods};
use k8s_openapi::api::core::v1::{EnvVar, EnvVarSource, ObjectFieldSelector, Pod};

use crate::api::{controller_key, controller_ref, Key, Object, ObjectMeta, ObjectRef};
use crate::apiserver::{timestamp, virtual_ms, Client, WatchEvent, WatchEventType};

use super::pod_control::is_ready;
use super::{Controller, Store, WorkQueue};

pub const TRACKING_FINALIZER: &str = "batch.kubernetes.io/job-tracking";
const COMPLETION_INDEX: &str = "batch.kubernetes.io/job-completion-index";
/// `DefaultJobPodFailureBackOff` and `MaxJobPodFailureBackOff` (job_controller.go, 1.34: the
/// cap is 10 minutes in code; kubernetes.io's Job page still says six).
const POD_FAILURE_BACKOFF_MS: u64 = 10_000;
const MAX_POD_FAILURE_BACKOFF_MS: u64 = 600_000;
/// `MaxPodCreateDeletePerSync`.
const MAX_CREATE_DELETE_PER_SYNC: usize = 500;

/// Failures since the last success, and when the last one happened (`backoffRecord`).
#[derive(Clone, Copy, Default)]
struct Backoff {
    failures: u32,
    last_failure_ms: u64,
}

impl Backoff {
    /// How long to wait before creating a replacement pod (`getRemainingTimeForFailuresCount`).
    fn remaining_ms(&self, now: u64) -> u64 {
        if self.failures == 0 {
            return 0;
        }
        let delay = POD_FAILURE_BACKOFF_MS.saturating_mul(1 << (self.failures - 1).min(16)).min(MAX_POD_FAILURE_BACKOFF_MS);
        (self.last_failure_ms + delay).saturating_sub(now)
    }
}

/// A pod that finished (or was deleted) while still carrying the tracking finalizer.
struct Finished {
    uid: String,
    succeeded: bool,
    finished_ms: u64,
    index: Option<i32>,
    /// The pod to release from the finalizer; `None` when it is already gone.
    key: Option<Key>,
}

#[derive(Default)]
pub struct JobController {
    jobs: Store,
    pods: Store,
    queue: WorkQueue,
    /// Pod creations and deletions sent but not yet seen through the watch, per Job
    /// (`ControllerExpectations`): until they arrive the pod cache is behind.
    pending: HashMap<Key, i64>,
    /// Pods whose finalizer this controller removed after counting them, until the update is seen
    /// (`uidTrackingExpectations`), so that no pod is counted twice.
    counted: HashSet<String>,
    /// Pods deleted outright while still carrying the finalizer, per Job: counted at the next sync.
    vanished: HashMap<Key, Vec<Finished>>,
    backoff: HashMap<Key, Backoff>,
}

fn phase(pod: &Pod) -> Option<&str> {
    pod.status.as_ref().and_then(|s| s.phase.as_deref())
}

fn is_terminated(pod: &Pod) -> bool {
    matches!(phase(pod), Some("Succeeded" | "Failed"))
}

fn has_finalizer(pod: &Pod) -> bool {
    pod.metadata.finalizers.iter().flatten().any(|f| f == TRACKING_FINALIZER)
}

fn completion_index(pod: &Pod) -> Option<i32> {
    pod.metadata.annotations.as_ref()?.get(COMPLETION_INDEX)?.parse().ok().filter(|i| *i >= 0)
}

fn pod_key(pod: &Pod) -> Key {
    Key::new("Pod", pod.metadata.namespace.as_deref().unwrap_or(""), pod.metadata.name.as_deref().unwrap_or(""))
}

/// When a pod finished: its containers' latest `finishedAt`, else now (`getFinishedTime`).
fn finished_ms(pod: &Pod, now: u64) -> u64 {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_ref());
    let finished = statuses.into_iter().flatten().filter_map(|c| c.state.as_ref()?.terminated.as_ref()?.finished_at.as_ref());
    finished.map(virtual_ms).max().unwrap_or(now)
}

fn condition_true<'a>(status: &'a JobStatus, type_: &str) -> Option<&'a JobCondition> {
    status.conditions.iter().flatten().find(|c| c.type_ == type_ && c.status == "True")
}

/// Whether the Job has its terminal condition (`IsJobFinished`).
pub fn is_finished(job: &Job) -> Option<&'static str> {
    let status = job.status.as_ref()?;
    ["Complete", "Failed"].into_iter().find(|t| condition_true(status, t).is_some())
}

/// Sets a condition, moving its times only when its status changes (`ensureJobConditionStatus`).
fn set_condition(status: &mut JobStatus, type_: &str, value: &str, reason: &str, message: &str, now: u64) -> bool {
    if let Some(c) = status.conditions.iter_mut().flatten().find(|c| c.type_ == type_) {
        if c.status == value {
            return false;
        }
        *c = JobCondition { status: value.to_string(), ..new_condition(type_, reason, message, now) };
        return true;
    }
    if value == "True" {
        status.conditions.get_or_insert_with(Vec::new).push(new_condition(type_, reason, message, now));
        return true;
    }
    false
}

fn new_condition(type_: &str, reason: &str, message: &str, now: u64) -> JobCondition {
    JobCondition {
        type_: type_.to_string(),
        status: "True".to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_probe_time: Some(timestamp(now)),
        last_transition_time: Some(timestamp(now)),
    }
}

/// `0-2,4`: the compressed form of `status.completedIndexes`.
fn format_indexes(indexes: &BTreeSet<i32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = indexes.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if end == start { start.to_string() } else { format!("{start}-{end}") });
    }
    parts.join(",")
}

fn parse_indexes(text: &str, completions: i32) -> BTreeSet<i32> {
    let mut set = BTreeSet::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        if let (Ok(a), Ok(b)) = (a.parse::<i32>(), b.parse::<i32>()) {
            set.extend((a.max(0)..=b.min(completions.saturating_sub(1))).take(100_000));
        }
    }
    set
}

/// With `restartPolicy: OnFailure` the kubelet restarts containers in place, so failures are
/// container restarts of running pods (`pastBackoffLimitOnFailure`).
fn past_backoff_limit_on_failure(job: &Job, pods: &[&Pod], limit: i32) -> bool {
    let policy = job.spec.as_ref().and_then(|s| s.template.spec.as_ref()).and_then(|s| s.restart_policy.as_deref());
    if policy != Some("OnFailure") {
        return false;
    }
    let restarts: i64 = pods
        .iter()
        .filter(|p| matches!(phase(p), Some("Running" | "Pending")))
        .filter_map(|p| p.status.as_ref())
        .flat_map(|s| s.init_container_statuses.iter().flatten().chain(s.container_statuses.iter().flatten()))
        .map(|c| i64::from(c.restart_count))
        .sum();
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= i64::from(limit)
    }
}

impl Controller for JobController {
    fn name(&self) -> &'static str {
        "job-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Job(_) | Object::Pod(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::Job(_) => {
                self.jobs.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Pod(pod) => {
                let Some(job) = controller_key(&pod.metadata, "Job") else { return };
                let key = Key::of(&event.object);
                let was_deleting = self.pods.get(&key).is_some_and(|p| p.metadata().deletion_timestamp.is_some());
                self.pods.apply(event);
                let uid = pod.metadata.uid.clone().unwrap_or_default();
                let deleted = event.event_type == WatchEventType::Deleted;
                let observed = match event.event_type {
                    WatchEventType::Added => true,
                    WatchEventType::Deleted => !was_deleting,
                    WatchEventType::Modified => pod.metadata.deletion_timestamp.is_some() && !was_deleting,
                };
                if observed {
                    if let Some(n) = self.pending.get_mut(&job) {
                        *n = (*n - 1).max(0);
                    }
                }
                if deleted && has_finalizer(pod) && !self.counted.contains(&uid) {
                    let finished = Finished {
                        uid: uid.clone(),
                        succeeded: phase(pod) == Some("Succeeded"),
                        finished_ms: 0,
                        index: completion_index(pod),
                        key: None,
                    };
                    self.vanished.entry(job.clone()).or_default().push(finished);
                }
                if deleted || !has_finalizer(pod) {
                    self.counted.remove(&uid);
                }
                self.queue.add(job);
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(job_obj) = self.jobs.get(key).cloned() else {
            self.forget(key, client);
            return;
        };
        let Object::Job(job) = &*job_obj else { return };
        let Some(spec) = job.spec.as_ref() else { return };
        let now = client.now_ms();
        let pods: Vec<Pod> =
            self.pods.owned_by(&job.metadata).filter_map(|p| if let Object::Pod(p) = &**p { Some(p.clone()) } else { None }).collect();
        if is_finished(job).is_some() {
            // Pods left with the finalizer (e.g. by a Job that finished while they ran) are released.
            for pod in pods.iter().filter(|p| has_finalizer(p) && (is_terminated(p) || p.metadata.deletion_timestamp.is_some())) {
                self.release(pod, client);
            }
            return;
        }
        let old_status = job.status.clone().unwrap_or_default();
        let mut status = old_status.clone();
        let indexed = spec.completion_mode.as_deref() == Some("Indexed");
        let completions = spec.completions;
        let parallelism = spec.parallelism.unwrap_or(1).max(0);
        let backoff_limit = spec.backoff_limit.unwrap_or(6);

        // Pods that finished since the last sync, oldest first.
        let mut finished: Vec<Finished> = self.vanished.remove(key).unwrap_or_default();
        for f in &mut finished {
            f.finished_ms = now;
        }
        for pod in &pods {
            let uid = pod.metadata.uid.clone().unwrap_or_default();
            if !has_finalizer(pod) || self.counted.contains(&uid) || !(is_terminated(pod) || pod.metadata.deletion_timestamp.is_some()) {
                continue;
            }
            // A deleted pod that never finished counts as failed (podReplacementPolicy
            // TerminatingOrFailed); it is counted once it is gone or has stopped.
            finished.push(Finished {
                uid,
                succeeded: phase(pod) == Some("Succeeded"),
                finished_ms: finished_ms(pod, now),
                index: completion_index(pod),
                key: Some(pod_key(pod)),
            });
        }
        finished.sort_by_key(|f| f.finished_ms);
        let active: Vec<&Pod> = pods.iter().filter(|p| !is_terminated(p) && p.metadata.deletion_timestamp.is_none()).collect();
        let terminating = pods.iter().filter(|p| !is_terminated(p) && p.metadata.deletion_timestamp.is_some()).count();

        // Count them: uncounted first, then the counters.
        let mut completed: BTreeSet<i32> = parse_indexes(status.completed_indexes.as_deref().unwrap_or(""), completions.unwrap_or(0));
        let mut succeeded = status.succeeded.unwrap_or(0);
        let mut failed = status.failed.unwrap_or(0);
        let backoff = self.backoff.entry(key.clone()).or_default();
        for f in &finished {
            if f.succeeded {
                let valid = f.index.is_some_and(|i| i < completions.unwrap_or(0));
                if !indexed {
                    succeeded += 1;
                } else if let (true, Some(i)) = (valid, f.index) {
                    completed.insert(i);
                }
                *backoff = Backoff::default();
            } else {
                failed += 1;
                backoff.failures += 1;
                backoff.last_failure_ms = backoff.last_failure_ms.max(f.finished_ms);
            }
        }
        let backoff = *backoff;
        if indexed {
            succeeded = completed.len() as i32;
            status.completed_indexes = Some(format_indexes(&completed)).filter(|s| !s.is_empty());
        }
        if !finished.is_empty() {
            let mut interim = old_status.clone();
            let uncounted = interim.uncounted_terminated_pods.get_or_insert_with(UncountedTerminatedPods::default);
            for f in &finished {
                let list = if f.succeeded { &mut uncounted.succeeded } else { &mut uncounted.failed };
                list.get_or_insert_with(Vec::new).push(f.uid.clone());
            }
            self.write_status(key, interim, client);
            for f in &finished {
                if let Some(pod) = f.key.as_ref().and_then(|k| self.pods.get(k)).cloned() {
                    if let Object::Pod(pod) = &*pod {
                        self.release(pod, client);
                    }
                }
            }
        }
        status.succeeded = Some(succeeded).filter(|n| *n > 0);
        status.failed = Some(failed).filter(|n| *n > 0);
        status.uncounted_terminated_pods = Some(UncountedTerminatedPods::default());

        // Has the Job reached its end?
        let existing_failure = condition_true(&status, "FailureTarget").map(|c| (c.reason.clone(), c.message.clone()));
        let mut failure: Option<(String, String)> = existing_failure.map(|(r, m)| (r.unwrap_or_default(), m.unwrap_or_default()));
        let mut success = condition_true(&status, "SuccessCriteriaMet").is_some();
        let suspended = spec.suspend == Some(true);
        if status.start_time.is_none() && !suspended {
            status.start_time = Some(timestamp(now));
        }
        let deadline_ms = spec
            .active_deadline_seconds
            .filter(|_| !suspended)
            .zip(status.start_time.as_ref())
            .map(|(secs, start)| virtual_ms(start).saturating_add(u64::try_from(secs).unwrap_or(0).saturating_mul(1000)));
        if failure.is_none() && !success {
            if failed > backoff_limit || past_backoff_limit_on_failure(job, &active, backoff_limit) {
                failure = Some(("BackoffLimitExceeded".into(), "Job has reached the specified backoff limit".into()));
            } else if deadline_ms.is_some_and(|d| now >= d) {
                failure = Some(("DeadlineExceeded".into(), "Job was active longer than specified deadline".into()));
            } else {
                success = match completions {
                    Some(c) => succeeded >= c,
                    None => succeeded > 0 && active.is_empty(),
                };
            }
        }

        let mut deleted: Vec<String> = Vec::new();
        if let Some((reason, message)) = &failure {
            set_condition(&mut status, "FailureTarget", "True", reason, message, now);
            deleted = self.delete_pods(&job_obj, &active, active.len(), client);
        } else if success {
            set_condition(
                &mut status,
                "SuccessCriteriaMet",
                "True",
                "CompletionsReached",
                "Reached expected number of succeeded pods",
                now,
            );
            deleted = self.delete_pods(&job_obj, &active, active.len(), client);
        } else if suspended {
            deleted = self.delete_pods(&job_obj, &active, active.len(), client);
            if set_condition(&mut status, "Suspended", "True", "JobSuspended", "Job suspended", now) {
                client.event(&job_obj, "Normal", "Suspended", "Job suspended".to_string());
            }
        } else {
            // A resumed Job starts its activeDeadlineSeconds afresh.
            if set_condition(&mut status, "Suspended", "False", "JobResumed", "Job resumed", now) {
                client.event(&job_obj, "Normal", "Resumed", "Job resumed".to_string());
                status.start_time = Some(timestamp(now));
            }
            if self.pending.get(key).is_none_or(|n| *n <= 0) {
                let wait = backoff.remaining_ms(now);
                if indexed {
                    deleted = self.manage_indexed(&job_obj, &active, &completed, completions.unwrap_or(0), parallelism, wait, client);
                } else {
                    let want = match completions {
                        Some(c) => c.saturating_sub(succeeded).clamp(0, parallelism),
                        None if succeeded > 0 => active.len() as i32,
                        None => parallelism,
                    } as usize;
                    if active.len() > want {
                        deleted = self.delete_pods(&job_obj, &active, active.len() - want, client);
                    } else if active.len() < want {
                        self.create_pods(&job_obj, &vec![None; (want - active.len()).min(MAX_CREATE_DELETE_PER_SYNC)], wait, client);
                    }
                }
            }
            if let Some(d) = deadline_ms {
                self.queue.add_at(key.clone(), d);
            }
        }
        // Pods just deleted count as terminating, no longer as active (or ready).
        let active: Vec<&Pod> = active.into_iter().filter(|p| !deleted.contains(&p.metadata.name.clone().unwrap_or_default())).collect();
        let terminating = terminating + deleted.len();

        // The terminal condition waits until no pod of the Job is running or terminating.
        if active.is_empty() && terminating == 0 {
            if let Some((reason, message)) = &failure {
                if set_condition(&mut status, "Failed", "True", reason, message, now) {
                    client.event(&job_obj, "Warning", reason, message.clone());
                }
            } else if success
                && set_condition(&mut status, "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now)
            {
                status.completion_time = Some(timestamp(now));
                client.event(&job_obj, "Normal", "Completed", "Job completed".to_string());
            }
        }
        status.active = Some(active.len() as i32).filter(|n| *n > 0);
        status.ready = Some(active.iter().filter(|p| is_ready(p)).count() as i32);
        status.terminating = Some(terminating as i32);
        if status != old_status || !finished.is_empty() {
            self.write_status(key, status, client);
        }
    }
}

impl JobController {
    fn write_status(&self, key: &Key, status: JobStatus, client: &mut Client) {
        let _ = client.patch(key, "update status", |o| {
            if let Object::Job(j) = o {
                j.status = Some(status);
            }
        });
    }

    /// Removes the tracking finalizer from a pod this controller has counted.
    fn release(&mut self, pod: &Pod, client: &mut Client) {
        self.counted.insert(pod.metadata.uid.clone().unwrap_or_default());
        let _ = client.patch(&pod_key(pod), "patch", |o| {
            if let Some(finalizers) = o.metadata_mut().finalizers.as_mut() {
                finalizers.retain(|f| f != TRACKING_FINALIZER);
            }
            if o.metadata().finalizers.as_ref().is_some_and(Vec::is_empty) {
                o.metadata_mut().finalizers = None;
            }
        });
    }

    /// A deleted Job's pods keep no finalizer (the garbage collector deletes them).
    fn forget(&mut self, key: &Key, client: &mut Client) {
        self.pending.remove(key);
        self.backoff.remove(key);
        self.vanished.remove(key);
        let orphans: Vec<Pod> = self
            .pods
            .values()
            .filter_map(|p| if let Object::Pod(p) = &**p { Some(p) } else { None })
            .filter(|p| has_finalizer(p) && controller_key(&p.metadata, "Job").as_ref() == Some(key))
            .cloned()
            .collect();
        for pod in &orphans {
            self.release(pod, client);
        }
    }

    /// Deletes up to `count` of the active pods, the least valuable first (not ready, then
    /// newest); returns the names of those it deleted.
    fn delete_pods(&mut self, job_obj: &ObjectRef, active: &[&Pod], count: usize, client: &mut Client) -> Vec<String> {
        let mut victims = active.to_vec();
        victims.sort_by_key(|p| (is_ready(p), std::cmp::Reverse(p.metadata.creation_timestamp.as_ref().map_or(0, virtual_ms))));
        let mut deleted = Vec::new();
        for pod in victims.into_iter().take(count.min(MAX_CREATE_DELETE_PER_SYNC)) {
            let key = pod_key(pod);
            if client.delete(&key, None).is_ok() {
                *self.pending.entry(Key::of(job_obj)).or_default() += 1;
                client.event(job_obj, "Normal", "SuccessfulDelete", format!("Deleted pod: {}", key.name));
                deleted.push(key.name);
            }
        }
        deleted
    }

    /// Creates one pod per entry of `indexes` (`None` for NonIndexed Jobs), unless the pod
    /// failure back-off still runs: then the Job is synced again when it ends.
    fn create_pods(&mut self, job_obj: &ObjectRef, indexes: &[Option<i32>], wait_ms: u64, client: &mut Client) {
        let key = Key::of(job_obj);
        if indexes.is_empty() {
            return;
        }
        if wait_ms > 0 {
            self.queue.add_at(key, client.now_ms() + wait_ms);
            return;
        }
        for index in indexes.iter().take(MAX_CREATE_DELETE_PER_SYNC) {
            match client.create(Object::Pod(new_pod(job_obj, *index))) {
                Ok(pod) => {
                    *self.pending.entry(key.clone()).or_default() += 1;
                    let name = pod.metadata().name.clone().unwrap_or_default();
                    client.event(job_obj, "Normal", "SuccessfulCreate", format!("Created pod: {name}"));
                }
                Err(e) => {
                    client.event(job_obj, "Warning", "FailedCreate", format!("Error creating: {}", e.message));
                    break;
                }
            }
        }
    }

    /// Indexed completion: one pod per pending index, lowest first, at most `parallelism`
    /// running; duplicates and pods of completed or out-of-range indexes are deleted.
    #[allow(clippy::too_many_arguments)]
    fn manage_indexed(
        &mut self,
        job_obj: &ObjectRef,
        active: &[&Pod],
        completed: &BTreeSet<i32>,
        completions: i32,
        parallelism: i32,
        wait_ms: u64,
        client: &mut Client,
    ) -> Vec<String> {
        let mut running: BTreeMap<i32, &Pod> = BTreeMap::new();
        let mut excess: Vec<&Pod> = Vec::new();
        for pod in active {
            match completion_index(pod) {
                Some(i) if i < completions && !completed.contains(&i) && !running.contains_key(&i) => {
                    running.insert(i, pod);
                }
                _ => excess.push(pod),
            }
        }
        let parallelism = usize::try_from(parallelism).unwrap_or(0);
        if running.len() > parallelism {
            excess.extend(running.values().rev().take(running.len() - parallelism).copied());
        }
        if !excess.is_empty() {
            return self.delete_pods(job_obj, &excess, excess.len(), client);
        }
        let room = parallelism.saturating_sub(running.len());
        let pending: Vec<Option<i32>> =
            (0..completions).filter(|i| !completed.contains(i) && !running.contains_key(i)).take(room).map(Some).collect();
        self.create_pods(job_obj, &pending, wait_ms, client);
        Vec::new()
    }
}

/// A pod for the Job from its template: the Job's labels, the tracking finalizer, and for
/// Indexed Jobs the completion index (annotation, label, hostname and `JOB_COMPLETION_INDEX`).
fn new_pod(job_obj: &ObjectRef, index: Option<i32>) -> Pod {
    let Object::Job(job) = &**job_obj else { return Pod::default() };
    let template = job.spec.as_ref().map(|s| s.template.clone()).unwrap_or_default();
    let t_meta = template.metadata.unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let uid = job.metadata.uid.clone().unwrap_or_default();
    let mut labels = t_meta.labels.unwrap_or_default();
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        labels.entry(k.to_string()).or_insert_with(|| v.clone());
    }
    let mut annotations = t_meta.annotations;
    let mut spec = template.spec;
    let generate_name = match index {
        Some(i) => {
            labels.insert(COMPLETION_INDEX.to_string(), i.to_string());
            annotations.get_or_insert_with(Default::default).insert(COMPLETION_INDEX.to_string(), i.to_string());
            if let Some(spec) = spec.as_mut() {
                spec.hostname.get_or_insert_with(|| format!("{name}-{i}"));
                let env = EnvVar {
                    name: "JOB_COMPLETION_INDEX".to_string(),
                    value_from: Some(EnvVarSource {
                        field_ref: Some(ObjectFieldSelector {
                            field_path: format!("metadata.annotations['{COMPLETION_INDEX}']"),
                            api_version: None,
                        }),
                        ..Default::default()
                    }),
                    value: None,
                };
                for c in spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten()) {
                    c.env.get_or_insert_with(Vec::new).push(env.clone());
                }
            }
            // `podGenerateNameWithIndex`: the Job's name is cut so that the index survives the
            // API server's cut of generateName to 58 characters.
            let suffix = format!("-{i}-");
            let keep = 58usize.saturating_sub(suffix.len());
            format!("{}{suffix}", name.chars().take(keep).collect::<String>())
        }
        None => format!("{name}-"),
    };
    Pod {
        metadata: ObjectMeta {
            generate_name: Some(generate_name),
            namespace: job.metadata.namespace.clone(),
            labels: Some(labels),
            annotations,
            finalizers: Some(vec![TRACKING_FINALIZER.to_string()]),
            owner_references: Some(vec![controller_ref(job_obj.kind(), &job.metadata)]),
            ..Default::default()
        },
        spec,
        status: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_indexes_are_compressed_into_ranges() {
        let set: BTreeSet<i32> = [0, 1, 2, 4, 6, 7].into_iter().collect();
        assert_eq!(format_indexes(&set), "0-2,4,6-7");
        assert_eq!(parse_indexes("0-2,4,6-7", 10), set);
        assert_eq!(parse_indexes("0-999999999", 3).len(), 3, "bounded by completions");
        assert!(parse_indexes("x,-", 3).is_empty());
    }

    #[test]
    fn indexed_pods_keep_their_index_in_a_long_generated_name() {
        let name = "j".repeat(63);
        let job = Job {
            metadata: ObjectMeta { name: Some(name.clone()), uid: Some("u".into()), ..Default::default() },
            spec: Some(k8s_openapi::api::batch::v1::JobSpec {
                template: k8s_openapi::api::core::v1::PodTemplateSpec { spec: Some(Default::default()), metadata: None },
                ..Default::default()
            }),
            status: None,
        };
        let pod = new_pod(&std::sync::Arc::new(Object::Job(job)), Some(3));
        let generate_name = pod.metadata.generate_name.unwrap();
        assert_eq!(generate_name, format!("{}-3-", "j".repeat(55)));
        assert_eq!(pod.spec.unwrap().hostname, Some(format!("{name}-3")));
        assert_eq!(pod.metadata.labels.unwrap()[COMPLETION_INDEX], "3");
    }

    #[test]
    fn failure_back_off_doubles_from_ten_seconds_up_to_ten_minutes() {
        let after = |failures| Backoff { failures, last_failure_ms: 0 }.remaining_ms(0);
        assert_eq!([after(0), after(1), after(2), after(3)], [0, 10_000, 20_000, 40_000]);
        assert_eq!(after(7), 600_000);
        assert_eq!(after(40), 600_000);
        assert_eq!(Backoff { failures: 2, last_failure_ms: 5_000 }.remaining_ms(15_000), 10_000);
    }
}
