//! The Job, CronJob, TTL-after-finished, Endpoints and EndpointSlice controllers on a real
//! cluster. Containers in kubeglass do not finish (or fail their readiness) on their own yet,
//! so these tests play the kubelet's part where a pod ends or turns unready: they write the
//! pod's status through the API server, as the kubelet would.
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ContainerState, ContainerStateTerminated, Endpoints, Pod, PodStatus};
use k8s_openapi::api::discovery::v1::EndpointSlice;

use kubeglass::api::{info, Key, Object, ObjectMeta};
use kubeglass::apiserver::{timestamp, EPOCH_SECONDS};
use kubeglass::kubectl::execute;
use kubeglass::{Cluster, ClusterConfig, Component};
use serde::de::DeserializeOwned;

fn cluster() -> Cluster {
    Cluster::new(ClusterConfig::default())
}

fn apply(cluster: &mut Cluster, manifest: &str) {
    let out = execute(cluster, "kubectl apply -f -", Some(manifest));
    assert!(out.contains("created") || out.contains("configured"), "{out}");
}

fn job_manifest(name: &str, spec: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n{spec}  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: work\n        image: nginx:1.27\n"
    )
}

/// The stored object of a kind in `default`, as its API type.
fn get<T: DeserializeOwned>(cluster: &Cluster, kind: &'static str, name: &str) -> Option<T> {
    let object = cluster.api().peek(&Key::new(kind, "default", name))?;
    serde_json::from_value(object.to_json()).ok()
}

/// The stored objects of a kind in `default` that have all the labels in `selector`.
fn list<T: DeserializeOwned + k8s_openapi::Metadata<Ty = ObjectMeta>>(
    cluster: &Cluster,
    kind: &'static str,
    selector: &[(&str, &str)],
) -> Vec<T> {
    let objects = cluster.api().peek_list(info(kind), Some("default"));
    let typed = objects.iter().filter_map(|o| serde_json::from_value::<T>(o.to_json()).ok());
    let labelled =
        |o: &T| selector.iter().all(|(k, v)| o.metadata().labels.as_ref().and_then(|l| l.get(*k)).map(String::as_str) == Some(*v));
    typed.filter(labelled).collect()
}

fn job(cluster: &Cluster, name: &str) -> Option<Job> {
    get(cluster, "Job", name)
}

/// The Job's pods, oldest first.
fn pods_of(cluster: &Cluster, job: &str) -> Vec<Pod> {
    let mut pods: Vec<Pod> = list(cluster, "Pod", &[("job-name", job)]);
    pods.sort_by_key(|p| (p.metadata.creation_timestamp.clone().map(|t| t.0), p.metadata.name.clone()));
    pods
}

fn phase(pod: &Pod) -> &str {
    pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("")
}

fn running(cluster: &Cluster, job: &str) -> Vec<Pod> {
    pods_of(cluster, job).into_iter().filter(|p| phase(p) == "Running" && p.metadata.deletion_timestamp.is_none()).collect()
}

/// Writes the pod's status as its node's kubelet would.
fn kubelet_reports(cluster: &mut Cluster, pod: &Pod, change: impl FnOnce(&mut PodStatus)) {
    let key = Key::new("Pod", "default", pod.metadata.name.as_deref().unwrap());
    let node = pod.spec.as_ref().and_then(|s| s.node_name.clone()).expect("a running pod has a node");
    cluster
        .request(Component::Kubelet(node), |c| {
            c.patch(&key, "update status", |o| {
                if let Object::Pod(p) = o {
                    change(p.status.get_or_insert_with(Default::default));
                }
            })
        })
        .expect("pod status update");
}

/// What the kubelet reports when the pod's only container exits with `code`.
fn finish(cluster: &mut Cluster, pod: &Pod, code: i32) {
    let now = timestamp(cluster.now_ms());
    kubelet_reports(cluster, pod, |status| {
        status.phase = Some(if code == 0 { "Succeeded" } else { "Failed" }.to_string());
        for c in status.container_statuses.iter_mut().flatten() {
            c.ready = false;
            c.state = Some(ContainerState {
                terminated: Some(ContainerStateTerminated {
                    exit_code: code,
                    reason: Some(if code == 0 { "Completed" } else { "Error" }.to_string()),
                    finished_at: Some(now.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            });
        }
    });
}

/// `kubectl patch … -p '{"spec":{"suspend":false}}'` for a Job or a CronJob.
fn resume(cluster: &mut Cluster, key: Key) {
    cluster
        .request(Component::Kubectl, |c| {
            c.patch(&key, "patch", |o| match o {
                Object::Job(j) => j.spec.as_mut().unwrap().suspend = Some(false),
                Object::CronJob(cj) => cj.spec.as_mut().unwrap().suspend = Some(false),
                _ => panic!("{key:?} cannot be suspended"),
            })
        })
        .unwrap();
}

/// A True condition of this type and reason, as [`conditions`] lists it.
fn cond(type_: &str, reason: &str) -> (String, String, String) {
    (type_.to_string(), "True".to_string(), reason.to_string())
}

fn conditions(job: &Job) -> Vec<(String, String, String)> {
    let conditions = job.status.as_ref().and_then(|s| s.conditions.clone()).unwrap_or_default();
    conditions.into_iter().map(|c| (c.type_, c.status, c.reason.unwrap_or_default())).collect()
}

fn events(cluster: &mut Cluster) -> String {
    execute(cluster, "kubectl get events", None)
}

/// Advances to the next whole second, so that second-precision timestamps are exact.
fn to_whole_second(cluster: &mut Cluster) {
    let ms = cluster.now_ms() % 1000;
    if ms != 0 {
        cluster.advance(1000 - ms);
    }
}

fn created_s(pod: &Pod) -> i64 {
    pod.metadata.creation_timestamp.as_ref().unwrap().0.as_second() - EPOCH_SECONDS
}

#[test]
fn a_job_runs_its_completions_at_most_parallelism_at_a_time() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("pi", "  completions: 3\n  parallelism: 2\n"));
    cluster.advance(1_000);
    let pods = pods_of(&cluster, "pi");
    assert_eq!(pods.len(), 2, "parallelism caps the active pods");
    let uid = job(&cluster, "pi").unwrap().metadata.uid.unwrap();
    for pod in &pods {
        let name = pod.metadata.name.as_deref().unwrap();
        assert!(name.starts_with("pi-") && name.len() == 8, "{name}");
        let labels = pod.metadata.labels.as_ref().unwrap();
        for (k, v) in [("batch.kubernetes.io/controller-uid", &uid), ("controller-uid", &uid)] {
            assert_eq!(labels.get(k), Some(v));
        }
        assert_eq!(labels.get("batch.kubernetes.io/job-name").map(String::as_str), Some("pi"));
        assert_eq!(pod.metadata.finalizers.as_deref(), Some(&["batch.kubernetes.io/job-tracking".to_string()][..]));
    }
    cluster.advance(30_000);
    let status = job(&cluster, "pi").unwrap().status.unwrap();
    assert_eq!((status.active, status.ready, status.start_time), (Some(2), Some(2), Some(timestamp(0))));

    let first = running(&cluster, "pi").remove(0);
    finish(&mut cluster, &first, 0);
    cluster.advance(1_000);
    let status = job(&cluster, "pi").unwrap().status.unwrap();
    assert_eq!(status.succeeded, Some(1));
    assert_eq!(status.uncounted_terminated_pods, Some(Default::default()), "counted, not left uncounted");
    assert_eq!(pods_of(&cluster, "pi").len(), 3, "a third pod for the third completion");
    let counted = pods_of(&cluster, "pi").into_iter().find(|p| p.metadata.name == first.metadata.name).unwrap();
    assert_eq!(counted.metadata.finalizers, None, "the tracking finalizer goes once the pod is counted");

    cluster.advance(30_000);
    for pod in running(&cluster, "pi") {
        finish(&mut cluster, &pod, 0);
    }
    cluster.advance(1_000);
    let job = job(&cluster, "pi").unwrap();
    assert_eq!(conditions(&job), [cond("SuccessCriteriaMet", "CompletionsReached"), cond("Complete", "CompletionsReached")]);
    let status = job.status.unwrap();
    assert_eq!((status.succeeded, status.active, status.ready), (Some(3), None, Some(0)));
    assert!(status.completion_time.is_some());
    assert_eq!(pods_of(&cluster, "pi").len(), 3, "no pod more than completions");
    let events = events(&mut cluster);
    assert_eq!(events.matches("SuccessfulCreate").count(), 3, "{events}");
    assert!(events.contains("job/pi") && events.contains("Created pod: pi-") && events.contains("Job completed"), "{events}");
}

#[test]
fn failed_pods_are_replaced_after_a_doubling_back_off_until_the_backoff_limit() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("flaky", "  backoffLimit: 2\n"));
    let mut failed_at = Vec::new();
    for attempt in 0..3 {
        cluster.advance(20_000);
        to_whole_second(&mut cluster);
        let pods = running(&cluster, "flaky");
        assert_eq!(pods.len(), 1, "attempt {attempt}: one pod at a time");
        failed_at.push(cluster.now_ms() as i64 / 1000);
        finish(&mut cluster, &pods[0], 1);
        if attempt < 2 {
            let delay = 10 << attempt;
            cluster.advance(delay * 1000 - 500);
            assert_eq!(pods_of(&cluster, "flaky").len(), attempt + 1, "attempt {attempt}: no replacement during the back-off");
            cluster.advance(1_000);
            let pods = pods_of(&cluster, "flaky");
            assert_eq!(pods.len(), attempt + 2, "attempt {attempt}: replaced when the back-off ends");
            assert_eq!(created_s(pods.last().unwrap()) - failed_at[attempt], delay as i64, "10s, then 20s");
        }
    }
    cluster.advance(1_000);
    let job = job(&cluster, "flaky").unwrap();
    assert_eq!(conditions(&job), [cond("FailureTarget", "BackoffLimitExceeded"), cond("Failed", "BackoffLimitExceeded")]);
    assert_eq!(job.status.as_ref().unwrap().failed, Some(3));
    assert!(events(&mut cluster).contains("Job has reached the specified backoff limit"));
    cluster.advance(600_000);
    assert_eq!(pods_of(&cluster, "flaky").len(), 3, "a failed Job creates no more pods");
}

#[test]
fn with_restart_policy_on_failure_container_restarts_count_against_the_backoff_limit() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("retry", "  backoffLimit: 3\n").replace("Never", "OnFailure"));
    cluster.advance(30_000);
    let pod = running(&cluster, "retry").remove(0);
    let restart = |cluster: &mut Cluster, count: i32| {
        kubelet_reports(cluster, &pod, |status| {
            for c in status.container_statuses.iter_mut().flatten() {
                c.restart_count = count;
            }
        });
        cluster.advance(1_000);
    };
    restart(&mut cluster, 2);
    assert_eq!(conditions(&job(&cluster, "retry").unwrap()), [], "two restarts are within the limit");
    restart(&mut cluster, 3);
    let job_now = job(&cluster, "retry").unwrap();
    assert_eq!(conditions(&job_now)[0], cond("FailureTarget", "BackoffLimitExceeded"));
    assert!(pods_of(&cluster, "retry")[0].metadata.deletion_timestamp.is_some(), "the restarting pod is deleted");
}

#[test]
fn the_active_deadline_fails_the_job_and_deletes_its_pods() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("slow", "  activeDeadlineSeconds: 30\n"));
    cluster.advance(29_000);
    assert_eq!(conditions(&job(&cluster, "slow").unwrap()), []);
    cluster.advance(2_000);
    let job_now = job(&cluster, "slow").unwrap();
    assert_eq!(conditions(&job_now), [cond("FailureTarget", "DeadlineExceeded")]);
    let pods = pods_of(&cluster, "slow");
    assert!(pods[0].metadata.deletion_timestamp.is_some(), "the running pod is being deleted");
    cluster.advance(40_000);
    assert!(pods_of(&cluster, "slow").is_empty());
    let job_now = job(&cluster, "slow").unwrap();
    assert_eq!(conditions(&job_now)[1], cond("Failed", "DeadlineExceeded"), "once no pod is left");
    assert_eq!(job_now.status.unwrap().failed, Some(1), "the deleted pod counts as failed");
    let events = events(&mut cluster);
    assert!(events.contains("Deleted pod: slow-") && events.contains("Job was active longer than specified deadline"), "{events}");
}

#[test]
fn an_indexed_job_gives_each_pod_its_completion_index() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("idx", "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n"));
    cluster.advance(30_000);
    let mut pods = running(&cluster, "idx");
    pods.sort_by_key(|p| p.metadata.name.clone());
    assert_eq!(pods.len(), 3);
    for (i, pod) in pods.iter().enumerate() {
        let index = i.to_string();
        assert!(pod.metadata.name.as_deref().unwrap().starts_with(&format!("idx-{i}-")));
        let annotation = pod.metadata.annotations.as_ref().and_then(|a| a.get("batch.kubernetes.io/job-completion-index"));
        assert_eq!(annotation, Some(&index));
        let label = pod.metadata.labels.as_ref().and_then(|a| a.get("batch.kubernetes.io/job-completion-index"));
        assert_eq!(label, Some(&index));
        let spec = pod.spec.as_ref().unwrap();
        assert_eq!(spec.hostname.as_deref(), Some(format!("idx-{i}").as_str()));
        let env = spec.containers[0].env.as_ref().unwrap();
        assert!(env.iter().any(|e| e.name == "JOB_COMPLETION_INDEX"));
    }
    finish(&mut cluster, &pods[1], 0);
    cluster.advance(1_000);
    assert_eq!(job(&cluster, "idx").unwrap().status.unwrap().completed_indexes.as_deref(), Some("1"));
    finish(&mut cluster, &pods[2], 1);
    cluster.advance(11_000);
    let replacement = running(&cluster, "idx")
        .into_iter()
        .chain(pods_of(&cluster, "idx"))
        .find(|p| p.metadata.name.as_deref().unwrap().starts_with("idx-2-") && p.metadata.name != pods[2].metadata.name);
    assert!(replacement.is_some(), "index 2 is retried");
    cluster.advance(20_000);
    for pod in running(&cluster, "idx") {
        finish(&mut cluster, &pod, 0);
    }
    cluster.advance(1_000);
    let status = job(&cluster, "idx").unwrap().status.unwrap();
    assert_eq!((status.completed_indexes.as_deref(), status.succeeded, status.failed), (Some("0-2"), Some(3), Some(1)));
    assert!(conditions(&job(&cluster, "idx").unwrap()).iter().any(|c| c.0 == "Complete"));
}

#[test]
fn a_finished_job_is_deleted_after_its_ttl_and_its_pods_with_it() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("once", "  ttlSecondsAfterFinished: 5\n"));
    cluster.advance(30_000);
    let pod = running(&cluster, "once").remove(0);
    finish(&mut cluster, &pod, 0);
    cluster.advance(4_000);
    assert!(job(&cluster, "once").is_some(), "kept until the TTL ends");
    cluster.advance(2_000);
    // Foreground deletion: the Job stays, marked, until the garbage collector has its pods.
    let marked = job(&cluster, "once").map(|j| j.metadata.deletion_timestamp.is_some());
    assert!(marked.unwrap_or(true), "deleted when the TTL ends");
    cluster.advance(40_000);
    assert!(pods_of(&cluster, "once").is_empty(), "the garbage collector deletes the pods");
    assert!(job(&cluster, "once").is_none(), "the Job goes after its pods");
}

#[test]
fn a_suspended_job_deletes_its_pods_and_resumes_later() {
    let mut cluster = cluster();
    apply(&mut cluster, &job_manifest("paused", "  suspend: true\n"));
    cluster.advance(5_000);
    assert!(pods_of(&cluster, "paused").is_empty());
    let job_now = job(&cluster, "paused").unwrap();
    assert_eq!(conditions(&job_now), [cond("Suspended", "JobSuspended")]);
    assert_eq!(job_now.status.unwrap().start_time, None);
    resume(&mut cluster, Key::new("Job", "default", "paused"));
    cluster.advance(1_000);
    assert_eq!(pods_of(&cluster, "paused").len(), 1);
    assert_eq!(conditions(&job(&cluster, "paused").unwrap()), [("Suspended".into(), "False".into(), "JobResumed".into())]);
    assert!(events(&mut cluster).contains("Job resumed"));
}

fn cronjob_manifest(name: &str, schedule: &str, extra: &str) -> String {
    format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: {name}\nspec:\n  schedule: \"{schedule}\"\n{extra}  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n          containers:\n          - name: work\n            image: nginx:1.27\n"
    )
}

/// `<cronjob>-<minutes since the epoch>` of a virtual time in seconds.
fn job_name(cronjob: &str, at_s: i64) -> String {
    format!("{cronjob}-{}", (EPOCH_SECONDS + at_s) / 60)
}

#[test]
fn a_cronjob_starts_a_job_at_each_scheduled_minute() {
    let mut cluster = cluster();
    apply(&mut cluster, &cronjob_manifest("tick", "*/2 * * * *", "  successfulJobsHistoryLimit: 1\n"));
    cluster.advance(119_000);
    assert!(list::<Job>(&cluster, "Job", &[]).is_empty(), "nothing before 00:02");
    cluster.advance(1_200);
    let started = list::<Job>(&cluster, "Job", &[]);
    assert_eq!(started.len(), 1);
    let first = &started[0];
    assert_eq!(first.metadata.name.as_deref(), Some(job_name("tick", 120).as_str()));
    let annotation = first.metadata.annotations.as_ref().and_then(|a| a.get("batch.kubernetes.io/cronjob-scheduled-timestamp"));
    assert_eq!(annotation.map(String::as_str), Some("2026-01-01T00:02:00Z"));
    let status = get::<CronJob>(&cluster, "CronJob", "tick").unwrap().status.unwrap();
    assert_eq!(status.last_schedule_time, Some(timestamp(120_000)));
    assert_eq!(status.active.unwrap()[0].name, first.metadata.name);

    cluster.advance(30_000);
    let pod = running(&cluster, first.metadata.name.as_deref().unwrap()).remove(0);
    finish(&mut cluster, &pod, 0);
    cluster.advance(1_000);
    let status = get::<CronJob>(&cluster, "CronJob", "tick").unwrap().status.unwrap();
    assert_eq!(status.active, None);
    assert!(status.last_successful_time.is_some());

    // The next run at 00:04; once it completes, the history limit of 1 removes the first.
    cluster.advance(240_000 - cluster.now_ms() + 30_000);
    let second = job_name("tick", 240);
    let pod = running(&cluster, &second).remove(0);
    finish(&mut cluster, &pod, 0);
    cluster.advance(1_000);
    let names: Vec<String> = list::<Job>(&cluster, "Job", &[]).into_iter().filter_map(|j| j.metadata.name).collect();
    assert_eq!(names, std::slice::from_ref(&second));
    let events = events(&mut cluster);
    for expected in [
        format!("Created job {}", job_name("tick", 120)),
        format!("Saw completed job: {}, condition: Complete", job_name("tick", 120)),
        format!("Deleted job {}", job_name("tick", 120)),
    ] {
        assert!(events.contains(&expected), "{expected} in\n{events}");
    }
}

#[test]
fn an_idle_cronjob_sleeps_until_its_next_run() {
    let mut cluster = cluster();
    apply(&mut cluster, &cronjob_manifest("hourly", "@hourly", ""));
    cluster.advance(5_000);
    // Kubelets renew their Leases meanwhile; the controller manager itself must stay quiet.
    let requests = |cluster: &Cluster| cluster.messages().iter().filter(|m| m.from == Component::ControllerManager).count();
    let before = requests(&cluster);
    cluster.advance(3_500_000);
    assert_eq!(requests(&cluster), before, "no request while nothing is due");
    cluster.advance(200_000);
    assert_eq!(list::<Job>(&cluster, "Job", &[]).len(), 1, "the 01:00 run");
}

#[test]
fn forbid_skips_a_run_while_the_last_one_is_active_and_replace_swaps_it() {
    let mut cluster = cluster();
    apply(&mut cluster, &cronjob_manifest("solo", "* * * * *", "  concurrencyPolicy: Forbid\n"));
    apply(&mut cluster, &cronjob_manifest("fresh", "* * * * *", "  concurrencyPolicy: Replace\n"));
    cluster.advance(130_000);
    let names = |cluster: &Cluster, prefix: &str| -> Vec<String> {
        let mut names: Vec<String> =
            list::<Job>(cluster, "Job", &[]).into_iter().filter_map(|j| j.metadata.name).filter(|n| n.starts_with(prefix)).collect();
        names.sort();
        names
    };
    assert_eq!(names(&cluster, "solo-"), [job_name("solo", 60)], "the 00:02 run is skipped");
    assert_eq!(names(&cluster, "fresh-"), [job_name("fresh", 120)], "the 00:01 Job was replaced");
    let events = events(&mut cluster);
    assert!(events.contains("Not starting job because prior execution is running and concurrency policy is Forbid"), "{events}");
    assert!(events.contains(&format!("Deleted job {}", job_name("fresh", 60))), "{events}");
}

#[test]
fn more_than_a_hundred_missed_runs_are_reported_and_the_latest_one_started() {
    let mut cluster = cluster();
    apply(&mut cluster, &cronjob_manifest("late", "* * * * *", "  suspend: true\n"));
    cluster.advance(150 * 60_000 + 30_000);
    assert!(list::<Job>(&cluster, "Job", &[]).is_empty());
    resume(&mut cluster, Key::new("CronJob", "default", "late"));
    cluster.advance(1_000);
    assert_eq!(
        list::<Job>(&cluster, "Job", &[]).into_iter().filter_map(|j| j.metadata.name).collect::<Vec<_>>(),
        [job_name("late", 150 * 60)]
    );
    assert!(events(&mut cluster).contains("too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew"));
}

#[test]
fn a_cronjob_in_a_fixed_time_zone_stamps_its_jobs_in_that_zone() {
    let mut cluster = cluster();
    apply(&mut cluster, &cronjob_manifest("zoned", "0 3 * * *", "  timeZone: Etc/GMT-2\n"));
    cluster.advance(3_600_000 + 1_000);
    let started = list::<Job>(&cluster, "Job", &[]);
    assert_eq!(started.len(), 1, "03:00 in UTC+2 is 01:00 UTC");
    let annotation = started[0].metadata.annotations.as_ref().and_then(|a| a.get("batch.kubernetes.io/cronjob-scheduled-timestamp"));
    assert_eq!(annotation.map(String::as_str), Some("2026-01-01T03:00:00+02:00"));

    apply(&mut cluster, &cronjob_manifest("paris", "0 3 * * *", "  timeZone: Europe/Paris\n"));
    cluster.advance(1_000);
    let events = events(&mut cluster);
    assert!(events.contains("UnknownTimeZone") && events.contains("unknown time zone Europe/Paris"), "{events}");

    // The API server refuses a schedule that does not parse, with the cron parser's words.
    let out = execute(&mut cluster, "kubectl apply -f -", Some(&cronjob_manifest("typo", "0 25 * * *", "")));
    assert!(out.contains(r#"spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25"#), "{out}");
    apply(&mut cluster, &cronjob_manifest("huge", "0 0 1 1 *", "  startingDeadlineSeconds: -9223372036854775807\n"));
    cluster.advance(1_000);
}

fn deployment(name: &str, replicas: usize) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: {replicas}\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n"
    )
}

fn service(name: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  selector:\n    app: {name}\n  ports:\n  - port: 80\n{extra}"
    )
}

/// What the kubelet reports when a readiness probe starts failing.
fn make_unready(cluster: &mut Cluster, pod: &Pod) {
    kubelet_reports(cluster, pod, |status| {
        for c in status.conditions.iter_mut().flatten().filter(|c| c.type_ == "Ready") {
            c.status = "False".into();
        }
    });
}

#[test]
fn an_unready_pod_moves_to_not_ready_addresses_unless_the_service_publishes_them() {
    let mut cluster = cluster();
    apply(&mut cluster, &deployment("web", 2));
    apply(&mut cluster, &service("web", ""));
    cluster.advance(30_000);
    let subset = &get::<Endpoints>(&cluster, "Endpoints", "web").unwrap().subsets.unwrap()[0];
    assert_eq!(subset.addresses.as_ref().map(Vec::len), Some(2));
    let pod = list::<Pod>(&cluster, "Pod", &[("app", "web")]).remove(0);
    make_unready(&mut cluster, &pod);
    cluster.advance(1_000);
    let subset = &get::<Endpoints>(&cluster, "Endpoints", "web").unwrap().subsets.unwrap()[0];
    assert_eq!(subset.addresses.as_ref().map(Vec::len), Some(1));
    let not_ready = subset.not_ready_addresses.as_ref().unwrap();
    assert_eq!(not_ready[0].target_ref.as_ref().unwrap().name, pod.metadata.name);
    let slice = &list::<EndpointSlice>(&cluster, "EndpointSlice", &[("kubernetes.io/service-name", "web")])[0];
    let unready = slice.endpoints.iter().find(|e| e.target_ref.as_ref().unwrap().name == pod.metadata.name).unwrap();
    let c = unready.conditions.clone().unwrap();
    assert_eq!((c.ready, c.serving, c.terminating), (Some(false), Some(false), Some(false)));

    apply(&mut cluster, &service("web", "  publishNotReadyAddresses: true\n"));
    cluster.advance(1_000);
    let subset = &get::<Endpoints>(&cluster, "Endpoints", "web").unwrap().subsets.unwrap()[0];
    assert_eq!((subset.addresses.as_ref().map(Vec::len), subset.not_ready_addresses.as_ref()), (Some(2), None));
}

#[test]
fn a_slice_holds_at_most_a_hundred_endpoints() {
    let mut cluster = cluster();
    apply(&mut cluster, &deployment("big", 120));
    apply(&mut cluster, &service("big", ""));
    cluster.advance(60_000);
    let mut sizes: Vec<usize> = list::<EndpointSlice>(&cluster, "EndpointSlice", &[("kubernetes.io/service-name", "big")])
        .iter()
        .map(|s| s.endpoints.len())
        .collect();
    sizes.sort();
    assert_eq!(sizes, [20, 100]);
    execute(&mut cluster, "kubectl delete service big", None);
    cluster.advance(1_000);
    assert!(
        list::<EndpointSlice>(&cluster, "EndpointSlice", &[("kubernetes.io/service-name", "big")]).is_empty(),
        "the garbage collector removes the Service's slices"
    );
    assert!(cluster.api().peek(&Key::new("Endpoints", "default", "big")).is_none());
}

#[test]
fn the_kubernetes_service_points_at_the_api_server() {
    let mut cluster = cluster();
    let manifest = "apiVersion: v1\nkind: Service\nmetadata:\n  name: kubernetes\nspec:\n  ports:\n  - name: https\n    port: 443\n    targetPort: 6443\n";
    let exists = cluster.api().peek(&Key::new("Service", "default", "kubernetes")).is_some();
    if !exists {
        apply(&mut cluster, manifest);
    }
    cluster.advance(1_000);
    let subset = &get::<Endpoints>(&cluster, "Endpoints", "kubernetes").unwrap().subsets.unwrap()[0];
    assert_eq!(subset.addresses.as_ref().unwrap()[0].ip, "172.18.0.2", "the control-plane node's address");
    assert_eq!(subset.ports.as_ref().unwrap()[0].port, 6443);
    let slice: EndpointSlice = get(&cluster, "EndpointSlice", "kubernetes").expect("the kubernetes EndpointSlice");
    assert_eq!(slice.endpoints[0].addresses, ["172.18.0.2"]);
}

#[test]
fn an_endpoint_carries_its_nodes_zone() {
    let mut cluster = cluster();
    for (node, zone) in [("worker-1", "zone-a"), ("worker-2", "zone-b"), ("worker-3", "zone-c")] {
        let key = Key::new("Node", "", node);
        cluster
            .request(Component::Kubectl, |c| {
                c.patch(&key, "patch", |o| {
                    o.metadata_mut().labels.get_or_insert_with(Default::default).insert("topology.kubernetes.io/zone".into(), zone.into());
                })
            })
            .unwrap();
    }
    apply(&mut cluster, &deployment("web", 1));
    apply(&mut cluster, &service("web", ""));
    cluster.advance(30_000);
    let endpoint = list::<EndpointSlice>(&cluster, "EndpointSlice", &[("kubernetes.io/service-name", "web")])[0].endpoints[0].clone();
    let zone = match endpoint.node_name.as_deref() {
        Some("worker-1") => "zone-a",
        Some("worker-2") => "zone-b",
        _ => "zone-c",
    };
    assert_eq!(endpoint.zone.as_deref(), Some(zone));
}

#[test]
fn absurd_job_numbers_do_not_panic_the_controller() {
    let mut cluster = cluster();
    for (name, spec) in [
        ("neg", "  completions: -2147483648\n  parallelism: -5\n  backoffLimit: -1\n  activeDeadlineSeconds: -9223372036854775808\n"),
        ("idx", "  completions: -2147483648\n  completionMode: Indexed\n"),
        ("max", "  completions: 2147483647\n  parallelism: 3\n  completionMode: Indexed\n  ttlSecondsAfterFinished: -1\n"),
    ] {
        let out = execute(&mut cluster, "kubectl apply -f -", Some(&job_manifest(name, spec)));
        assert!(!out.is_empty());
    }
    cluster.advance(60_000);
    assert_eq!(running(&cluster, "max").len(), 3);
}
