//! The CronJob controller (`pkg/controller/cronjob`, `cronjob_controllerv2.go`): creates a Job
//! named `<cronjob>-<scheduled time in minutes since the epoch>` at each scheduled time, under
//! the concurrency policy, tracks the active ones, and deletes the oldest finished Jobs beyond
//! the history limits. It sleeps until the next scheduled time (`AddAfter`), never polls.
use k8s_openapi::api::batch::v1::{CronJob, CronJobStatus, Job};
use k8s_openapi::api::core::v1::ObjectReference;

use crate::api::{controller_key, controller_ref, is_controlled_by, Key, Object, ObjectMeta, ObjectRef};
use crate::apiserver::{timestamp, virtual_ms, Client, DeleteOptions, Propagation, WatchEvent, EPOCH_SECONDS};

/// The CronJob controller deletes Jobs with background propagation (a Job's own default is
/// orphan), so their pods go with them.
const BACKGROUND: DeleteOptions = DeleteOptions { grace_period_seconds: None, propagation_policy: Some(Propagation::Background) };

use super::cron::{self, Schedule};
use super::job::is_finished;
use super::{Controller, Store, WorkQueue};

const SCHEDULED_TIMESTAMP: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/// `nextScheduleDelta`: the controller wakes this long after a scheduled time.
const NEXT_SCHEDULE_DELTA_MS: u64 = 100;
/// More missed start times than this gives the `TooManyMissedTimes` warning.
const MAX_MISSED: i64 = 100;

#[derive(Default)]
pub struct CronJobController {
    cronjobs: Store,
    jobs: Store,
    queue: WorkQueue,
}

/// Unix seconds of a virtual instant, and back.
fn unix(ms: u64) -> i64 {
    EPOCH_SECONDS + (ms / 1000) as i64
}
fn virtual_of(unix_seconds: i64) -> u64 {
    u64::try_from(unix_seconds - EPOCH_SECONDS).unwrap_or(0).saturating_mul(1000)
}

/// `mostRecentScheduleTime`: the latest scheduled time at or before `now` since the last one
/// (or the creation), whether there were more than 100 of them, and the time to count from.
fn most_recent(cj: &CronJob, sched: &Schedule, now: i64, with_deadline: bool) -> (i64, Option<i64>, i64) {
    let status = cj.status.as_ref();
    let mut earliest =
        status.and_then(|s| s.last_schedule_time.as_ref()).or(cj.metadata.creation_timestamp.as_ref()).map_or(now, |t| t.0.as_second());
    if let Some(deadline) = cj.spec.as_ref().and_then(|s| s.starting_deadline_seconds).filter(|_| with_deadline) {
        earliest = earliest.max(now.saturating_sub(deadline));
    }
    let Some(t1) = sched.next(earliest).filter(|t1| *t1 <= now) else { return (earliest, None, 0) };
    let Some(t2) = sched.next(t1).filter(|t2| *t2 <= now) else { return (earliest, Some(t1), 0) };
    // A rough count from the interval between two runs, as upstream does; the most recent run
    // is then found by walking from about one interval before it.
    let interval = (t2 - t1).max(1);
    let missed = (now - t1) / interval + 1;
    let mut t = t1 + (missed - 2).max(0) * interval;
    let mut most_recent = None;
    while let Some(next) = sched.next(t).filter(|n| *n <= now) {
        most_recent = Some(next);
        t = next;
    }
    (earliest, most_recent, missed)
}

fn job_ref(job: &ObjectMeta) -> ObjectReference {
    ObjectReference {
        api_version: Some("batch/v1".to_string()),
        kind: Some("Job".to_string()),
        name: job.name.clone(),
        namespace: job.namespace.clone(),
        uid: job.uid.clone(),
        resource_version: job.resource_version.clone(),
        ..Default::default()
    }
}

impl Controller for CronJobController {
    fn name(&self) -> &'static str {
        "cronjob-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::CronJob(_) | Object::Job(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::CronJob(_) => {
                self.cronjobs.apply(event);
                self.queue.add(Key::of(&event.object));
            }
            Object::Job(job) => {
                self.jobs.apply(event);
                if let Some(owner) = controller_key(&job.metadata, "CronJob") {
                    self.queue.add(owner);
                }
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(cj_obj) = self.cronjobs.get(key).cloned() else { return };
        let Object::CronJob(cj) = &*cj_obj else { return };
        let Some(spec) = cj.spec.as_ref() else { return };
        let now_ms = client.now_ms();
        let now = unix(now_ms);
        let jobs: Vec<Job> =
            self.jobs.owned_by(&cj.metadata).filter_map(|j| if let Object::Job(j) = &**j { Some(j.clone()) } else { None }).collect();
        let old_status = cj.status.clone().unwrap_or_default();
        let mut status = old_status.clone();
        let mut active = status.active.take().unwrap_or_default();

        // What happened to the Jobs it started.
        for job in &jobs {
            let uid = job.metadata.uid.clone();
            let name = job.metadata.name.clone().unwrap_or_default();
            let found = active.iter().any(|r| r.uid == uid);
            match is_finished(job) {
                None if !found => client.event(
                    &cj_obj,
                    "Warning",
                    "UnexpectedJob",
                    format!("Saw a job that the controller did not create or forgot: {name}"),
                ),
                None => {}
                Some(condition) => {
                    if found {
                        active.retain(|r| r.uid != uid);
                        client.event(&cj_obj, "Normal", "SawCompletedJob", format!("Saw completed job: {name}, condition: {condition}"));
                    }
                    let completed = job.status.as_ref().and_then(|s| s.completion_time.clone());
                    if condition == "Complete"
                        && completed.is_some()
                        && status.last_successful_time.as_ref().is_none_or(|t| completed.as_ref().is_some_and(|c| c.0 > t.0))
                    {
                        status.last_successful_time = completed;
                    }
                }
            }
        }
        // An active Job the cache lacks is asked for, in case the cache is behind.
        let missing: Vec<ObjectReference> = active.iter().filter(|r| !jobs.iter().any(|j| j.metadata.uid == r.uid)).cloned().collect();
        for r in missing {
            let name = r.name.clone().unwrap_or_default();
            if client.get(&Key::new("Job", r.namespace.as_deref().unwrap_or(""), &name)).is_err() {
                client.event(&cj_obj, "Normal", "MissingJob", format!("Active job went missing: {name}"));
                active.retain(|a| a.uid != r.uid);
            }
        }

        let requeue =
            if cj.metadata.deletion_timestamp.is_some() { None } else { self.schedule(&cj_obj, cj, &mut active, &mut status, now, client) };
        status.active = Some(active).filter(|a| !a.is_empty());
        if status != old_status {
            let _ = client.patch(key, "update status", |o| {
                if let Object::CronJob(c) = o {
                    c.status = Some(status.clone());
                }
            });
        }
        self.cleanup(&cj_obj, spec.successful_jobs_history_limit, &jobs, "Complete", client);
        self.cleanup(&cj_obj, spec.failed_jobs_history_limit, &jobs, "Failed", client);
        if let Some(at) = requeue {
            self.queue.add_at(key.clone(), virtual_of(at).saturating_add(NEXT_SCHEDULE_DELTA_MS).max(now_ms));
        }
    }
}

impl CronJobController {
    /// Starts the Job of the most recent unmet scheduled time, if any and if allowed; returns
    /// the Unix time of the next scheduled time to wake at.
    fn schedule(
        &mut self,
        cj_obj: &ObjectRef,
        cj: &CronJob,
        active: &mut Vec<ObjectReference>,
        status: &mut CronJobStatus,
        now: i64,
        client: &mut Client,
    ) -> Option<i64> {
        let spec = cj.spec.as_ref()?;
        let mut offset = 0;
        if let Some(zone) = spec.time_zone.as_deref() {
            match cron::zone_offset(zone) {
                Ok(o) => offset = o,
                Err(e) => {
                    client.event(cj_obj, "Warning", "UnknownTimeZone", format!("invalid timeZone: {zone:?}: {e}"));
                    return None;
                }
            }
        }
        if spec.suspend == Some(true) {
            return None;
        }
        let text = if spec.schedule.contains("TZ") {
            client.event(
                cj_obj,
                "Warning",
                "UnsupportedSchedule",
                format!("CRON_TZ or TZ used in schedule {:?} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details", spec.schedule),
            );
            spec.schedule.clone()
        } else if let Some(zone) = spec.time_zone.as_deref() {
            format!("TZ={zone} {}", spec.schedule)
        } else {
            spec.schedule.clone()
        };
        let sched = match cron::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                client.event(cj_obj, "Warning", "UnparseableSchedule", format!("unparseable schedule: {:?} : {e}", spec.schedule));
                return None;
            }
        };
        // `nextScheduleTimeDuration`: wake at the run after the most recent one (without the
        // starting deadline), or after now when runs were missed.
        let next_wake = |status: &CronJobStatus| {
            let view = CronJob { status: Some(status.clone()), ..cj.clone() };
            let (earliest, recent, missed) = most_recent(&view, &sched, now, false);
            let from = recent.unwrap_or(if missed == 0 { earliest } else { now });
            sched.next(from)
        };
        let (_, scheduled, missed) = most_recent(cj, &sched, now, true);
        let Some(scheduled) = scheduled else { return next_wake(status) };
        if missed > MAX_MISSED {
            client.event(
                cj_obj,
                "Warning",
                "TooManyMissedTimes",
                "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew".to_string(),
            );
        }
        if spec.starting_deadline_seconds.is_some_and(|d| scheduled.saturating_add(d) < now) {
            client.event(cj_obj, "Warning", "MissSchedule", format!("Missed scheduled time to start a job: {}", cron::rfc1123z(scheduled)));
            return next_wake(status);
        }
        let name = format!("{}-{}", cj.metadata.name.as_deref().unwrap_or(""), scheduled.div_euclid(60));
        let last = status.last_schedule_time.as_ref().map(|t| t.0.as_second());
        if active.iter().any(|r| r.name.as_deref() == Some(name.as_str())) || last == Some(scheduled) {
            return next_wake(status);
        }
        match spec.concurrency_policy.as_deref() {
            Some("Forbid") if !active.is_empty() => {
                client.event(
                    cj_obj,
                    "Normal",
                    "JobAlreadyActive",
                    "Not starting job because prior execution is running and concurrency policy is Forbid".to_string(),
                );
                return next_wake(status);
            }
            Some("Replace") => {
                for r in std::mem::take(active) {
                    let job_name = r.name.clone().unwrap_or_default();
                    match client.delete_with(&Key::new("Job", r.namespace.as_deref().unwrap_or(""), &job_name), BACKGROUND) {
                        Ok(_) => client.event(cj_obj, "Normal", "SuccessfulDelete", format!("Deleted job {job_name}")),
                        Err(e) => {
                            client.event(cj_obj, "Warning", "FailedDelete", format!("Deleted job: {}", e.message));
                            active.push(r);
                        }
                    }
                }
            }
            _ => {}
        }
        let template = &spec.job_template;
        let t_meta = template.metadata.clone().unwrap_or_default();
        let mut annotations = t_meta.annotations.unwrap_or_default();
        annotations.insert(SCHEDULED_TIMESTAMP.to_string(), cron::rfc3339(scheduled, offset));
        let job = Job {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: cj.metadata.namespace.clone(),
                labels: t_meta.labels,
                annotations: Some(annotations),
                owner_references: Some(vec![controller_ref(cj_obj.kind(), &cj.metadata)]),
                ..Default::default()
            },
            spec: template.spec.clone(),
            status: None,
        };
        match client.create(Object::Job(job)) {
            Ok(created) => {
                client.event(cj_obj, "Normal", "SuccessfulCreate", format!("Created job {name}"));
                active.push(job_ref(created.metadata()));
                status.last_schedule_time = Some(timestamp(virtual_of(scheduled)));
            }
            Err(e) if e.message.contains("already exists") => {
                // Created before but not recorded: adopt it if it is ours.
                if let Some(existing) = self.jobs.get(&Key::new("Job", cj.metadata.namespace.as_deref().unwrap_or(""), &name)) {
                    if is_controlled_by(existing.metadata(), &cj.metadata)
                        && !active.iter().any(|r| r.name.as_deref() == Some(name.as_str()))
                    {
                        active.push(job_ref(existing.metadata()));
                        status.last_schedule_time = Some(timestamp(virtual_of(scheduled)));
                    }
                }
            }
            Err(e) => {
                client.event(cj_obj, "Warning", "FailedCreate", format!("Error creating job: {}", e.message));
                return None;
            }
        }
        next_wake(status)
    }

    /// Deletes the oldest finished Jobs of one kind beyond `limit` (`removeOldestJobs`, oldest
    /// by start time, then name).
    fn cleanup(&mut self, cj_obj: &ObjectRef, limit: Option<i32>, jobs: &[Job], condition: &str, client: &mut Client) {
        let Some(limit) = limit else { return };
        let mut finished: Vec<&Job> = jobs.iter().filter(|j| is_finished(j) == Some(condition)).collect();
        let excess = finished.len().saturating_sub(usize::try_from(limit).unwrap_or(0));
        if excess == 0 {
            return;
        }
        finished.sort_by_key(|j| {
            let start = j.status.as_ref().and_then(|s| s.start_time.as_ref()).map(virtual_ms);
            (start.is_none(), start, j.metadata.name.clone())
        });
        for job in finished.into_iter().take(excess) {
            let name = job.metadata.name.clone().unwrap_or_default();
            match client.delete_with(&Key::new("Job", job.metadata.namespace.as_deref().unwrap_or(""), &name), BACKGROUND) {
                Ok(_) => client.event(cj_obj, "Normal", "SuccessfulDelete", format!("Deleted job {name}")),
                Err(e) => client.event(cj_obj, "Warning", "FailedDelete", format!("Deleted job: {}", e.message)),
            }
        }
    }
}
