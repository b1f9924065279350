//! The pod workers: one state machine per pod on the node (`pkg/kubelet/pod_workers.go` and
//! `kuberuntime_manager.go`'s SyncPod). Init containers run one at a time to completion,
//! sidecars (init containers with `restartPolicy: Always`) start in order and keep running,
//! then the app containers start one after another. Exited containers are restarted as the
//! pod's restartPolicy says, with the CrashLoopBackOff back-off between restarts.
use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{Container, Pod};

use super::prober::{self, Counters, ProbeKind};
use super::runtime::{self, Pull};
use super::shell::{Outcome, Process};
use super::{env, status, volumes, Step, Timer};
use crate::api::{Key, Object, ObjectRef};
use crate::apiserver::Client;

/// Creating and starting a container once its image is present.
const START_MS: u64 = 300;
/// How long a server takes to exit after SIGTERM.
pub const STOP_MS: u64 = 1_000;
/// How many lines of a container's log the node keeps.
const MAX_LOG_LINES: usize = 1_000;
/// The pod worker's retry period after an error such as CreateContainerConfigError.
const RETRY_MS: u64 = 10_000;
/// The crash loop back-off (`flowcontrol.Backoff` in the kubelet): 10s doubling to 300s,
/// forgotten when a container ran for longer than twice the maximum.
const BACKOFF_INITIAL_MS: u64 = 10_000;
const BACKOFF_MAX_MS: u64 = 300_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Init,
    /// An init container with `restartPolicy: Always`.
    Sidecar,
    App,
}

/// A line a container printed, with the time the runtime received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at_ms: u64,
    pub text: String,
}

/// How a container instance ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exited {
    pub exit_code: i32,
    pub reason: String,
    pub message: Option<String>,
    /// `None` when the runtime never started it (StartError).
    pub started_ms: Option<u64>,
    pub finished_ms: u64,
    pub id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Waiting { reason: String, message: Option<String> },
    Running { started_ms: u64 },
    Terminated(Exited),
}

pub struct ContainerWorker {
    pub spec: Container,
    pub role: Role,
    pub state: State,
    /// The previous instance's end (`lastState.terminated`).
    pub last: Option<Exited>,
    pub restarts: i32,
    /// Moves at every start and exit; timers of an older instance are ignored.
    incarnation: u64,
    /// An image pull or container creation is under way.
    starting: bool,
    stopping: bool,
    /// Waiting out the crash loop back-off until this time.
    backoff_until: Option<u64>,
    /// The back-off entry: (current delay, when it last moved).
    backoff: Option<(u64, u64)>,
    pull_failures: u32,
    retry_queued: bool,
    /// The spec changed (a new image): restart at once, whatever the policy and back-off.
    replace: bool,
    pub ready: bool,
    pub started: bool,
    pub created: bool,
    pub process: Option<Process>,
    pub id: String,
    pub previous_id: String,
    pub logs: Vec<LogLine>,
    pub previous_logs: Vec<LogLine>,
    pub probes: Counters,
}

impl ContainerWorker {
    fn new(spec: Container, role: Role, has_init: bool) -> ContainerWorker {
        let reason = if has_init { "PodInitializing" } else { "ContainerCreating" };
        ContainerWorker {
            spec,
            role,
            state: State::Waiting { reason: reason.to_string(), message: None },
            last: None,
            restarts: 0,
            incarnation: 0,
            starting: false,
            stopping: false,
            backoff_until: None,
            backoff: None,
            pull_failures: 0,
            retry_queued: false,
            replace: false,
            ready: false,
            started: false,
            created: false,
            process: None,
            id: String::new(),
            previous_id: String::new(),
            logs: Vec::new(),
            previous_logs: Vec::new(),
            probes: Counters::default(),
        }
    }

    pub fn running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    pub fn image(&self) -> String {
        self.spec.image.clone().unwrap_or_default()
    }

    /// The end of the most recent instance, whether it is the current state or the last.
    fn exited(&self) -> Option<&Exited> {
        match &self.state {
            State::Terminated(e) => Some(e),
            State::Waiting { .. } => self.last.as_ref(),
            State::Running { .. } => None,
        }
    }

    fn completed(&self) -> bool {
        matches!(&self.state, State::Terminated(e) if e.exit_code == 0)
    }
}

/// What the kubelet knows about one pod on its node.
pub struct PodWorker {
    pub object: ObjectRef,
    pub uid: String,
    pub ip: Option<String>,
    pub host_ip: Option<String>,
    pub containers: Vec<ContainerWorker>,
    pub deleting: bool,
    /// The pod reached Succeeded or Failed: nothing restarts any more.
    pub terminal: bool,
    /// The eviction manager evicted the pod: why (the pod fails with reason Evicted).
    pub evicted: Option<String>,
    pub started_ms: Option<u64>,
    /// Volumes are mounted; until then the pod waits in ContainerCreating.
    pub mounted: bool,
    /// Every init container completed and every sidecar started once.
    initialized: bool,
    volume_events: BTreeSet<String>,
}

/// What a pod worker needs from its kubelet while it runs.
pub struct Ctx<'a, 'c> {
    pub client: &'a mut Client<'c>,
    pub timers: &'a mut Vec<(u64, Timer)>,
    pub images: &'a mut BTreeSet<String>,
    pub key: &'a Key,
    /// The node's memory in bytes: the OOM killer's bound for containers without a limit.
    pub node_memory: u64,
}

impl Ctx<'_, '_> {
    fn now(&self) -> u64 {
        self.client.now_ms()
    }
}

impl PodWorker {
    pub fn new(object: ObjectRef, ip: String, host_ip: String) -> PodWorker {
        let uid = object.metadata().uid.clone().unwrap_or_default();
        let spec = match &*object {
            Object::Pod(p) => p.spec.clone().unwrap_or_default(),
            _ => Default::default(),
        };
        let inits = spec.init_containers.unwrap_or_default();
        let has_init = !inits.is_empty();
        let mut containers: Vec<ContainerWorker> = inits
            .into_iter()
            .map(|c| {
                let role = if c.restart_policy.as_deref() == Some("Always") { Role::Sidecar } else { Role::Init };
                ContainerWorker::new(c, role, has_init)
            })
            .collect();
        containers.extend(spec.containers.into_iter().map(|c| ContainerWorker::new(c, Role::App, has_init)));
        PodWorker {
            object,
            uid,
            ip: Some(ip),
            host_ip: Some(host_ip),
            containers,
            deleting: false,
            terminal: false,
            evicted: None,
            started_ms: None,
            mounted: false,
            initialized: false,
            volume_events: BTreeSet::new(),
        }
    }

    pub fn pod(&self) -> Option<&Pod> {
        match &*self.object {
            Object::Pod(p) => Some(p),
            _ => None,
        }
    }

    fn restart_policy(&self) -> String {
        self.pod().and_then(|p| p.spec.as_ref()).and_then(|s| s.restart_policy.clone()).unwrap_or_else(|| "Always".to_string())
    }

    fn grace_seconds(&self) -> u64 {
        let meta = self.object.metadata();
        let spec = self.pod().and_then(|p| p.spec.as_ref());
        meta.deletion_grace_period_seconds.or_else(|| spec.and_then(|s| s.termination_grace_period_seconds)).unwrap_or(30).clamp(0, 86_400)
            as u64
    }

    fn timer(&self, ctx: &mut Ctx, delay: u64, step: Step) {
        ctx.timers.push((delay, Timer::Pod { pod: ctx.key.clone(), uid: self.uid.clone(), step }));
    }

    fn event(&self, ctx: &mut Ctx, type_: &str, reason: &str, message: String) {
        ctx.client.event(&self.object, type_, reason, message);
    }

    /// Brings the pod one step closer to what its spec asks, then reports its status.
    pub fn sync(&mut self, ctx: &mut Ctx) {
        if self.deleting {
            return;
        }
        if self.started_ms.is_none() {
            self.started_ms = Some(ctx.now());
        }
        if !self.mounted {
            match volumes::check(self, ctx.client) {
                Ok(()) => self.mounted = true,
                Err(problems) => {
                    for (volume, message) in problems {
                        if self.volume_events.insert(volume) {
                            self.event(ctx, "Warning", "FailedMount", message);
                        }
                    }
                    self.timer(ctx, volumes::RETRY_MS, Step::Volumes);
                }
            }
        }
        if self.mounted && !self.terminal {
            self.start_next(ctx);
            self.check_terminal(ctx);
        }
        self.report(ctx);
    }

    /// Writes the pod's status through the API server (the status manager).
    pub fn report(&self, ctx: &mut Ctx) {
        let now = ctx.now();
        let _ = ctx.client.patch(ctx.key, "update status", |o| {
            if let Object::Pod(p) = o {
                status::apply(p, self, now);
            }
        });
    }

    /// SyncPod's order: init containers one by one, sidecars kept running, then the app
    /// containers; one container is created at a time.
    fn start_next(&mut self, ctx: &mut Ctx) {
        if self.containers.iter().any(|c| c.starting) {
            return;
        }
        let policy = self.restart_policy();
        for i in 0..self.containers.len() {
            let c = &self.containers[i];
            match c.role {
                // Once the pod is initialized, init containers do not run again and a sidecar
                // that exited restarts without holding back the app containers.
                Role::Init if self.initialized => continue,
                Role::Sidecar if self.initialized => {
                    if !c.running() && self.try_start(i, ctx) {
                        return;
                    }
                }
                Role::Sidecar => {
                    if c.running() && c.started {
                        continue;
                    }
                    if !c.running() {
                        self.try_start(i, ctx);
                    }
                    return;
                }
                Role::Init => {
                    if c.completed() {
                        continue;
                    }
                    if c.running() {
                        return;
                    }
                    let failed = c.exited().is_some();
                    if !(failed && policy == "Never") {
                        self.try_start(i, ctx);
                    }
                    return;
                }
                Role::App => {
                    self.initialized = true;
                    let restart = match c.exited() {
                        _ if c.replace => !c.running(),
                        None => !c.running(),
                        Some(e) => policy == "Always" || (policy == "OnFailure" && e.exit_code != 0),
                    };
                    if restart && self.try_start(i, ctx) {
                        return;
                    }
                }
            }
        }
    }

    /// Starts container `i` unless it must wait out its crash loop back-off; whether it began.
    fn try_start(&mut self, i: usize, ctx: &mut Ctx) -> bool {
        let now = ctx.now();
        let name = self.containers[i].spec.name.clone();
        let pod = self.pod_id();
        let c = &mut self.containers[i];
        if c.stopping || c.retry_queued {
            return false;
        }
        if let Some(until) = c.backoff_until {
            if now < until {
                return false;
            }
            c.backoff_until = None;
        }
        let replace = std::mem::take(&mut c.replace);
        if let Some(finished) = c.exited().map(|e| e.finished_ms).filter(|_| !replace) {
            // kuberuntime_manager.go doBackOff: in back-off while less than the current delay
            // has passed since the last exit; the entry is forgotten after 2 × max.
            match c.backoff {
                Some((delay, updated)) if finished.saturating_sub(updated) <= 2 * BACKOFF_MAX_MS => {
                    if now < finished + delay {
                        let message = format!("back-off {} restarting failed container={name} pod={pod}", go_duration(delay));
                        if let State::Terminated(e) = &c.state {
                            c.last = Some(e.clone());
                        }
                        c.state = State::Waiting { reason: "CrashLoopBackOff".to_string(), message: Some(message) };
                        c.backoff_until = Some(finished + delay);
                        let at = finished + delay - now;
                        let _ = c;
                        self.event(ctx, "Warning", "BackOff", format!("Back-off restarting failed container {name} in pod {pod}"));
                        self.timer(ctx, at, Step::Retry);
                        return false;
                    }
                    c.backoff = Some(((delay * 2).min(BACKOFF_MAX_MS), now));
                }
                _ => c.backoff = Some((BACKOFF_INITIAL_MS, now)),
            }
        }
        self.pull(i, ctx);
        true
    }

    /// `name_namespace(uid)`, as the kubelet's `format.Pod` writes a pod.
    fn pod_id(&self) -> String {
        let meta = self.object.metadata();
        format!("{}_{}({})", meta.name.as_deref().unwrap_or(""), meta.namespace.as_deref().unwrap_or(""), self.uid)
    }

    /// EnsureImageExists: pulls the container's image as its imagePullPolicy says.
    fn pull(&mut self, i: usize, ctx: &mut Ctx) {
        let c = &mut self.containers[i];
        c.starting = true;
        c.incarnation += 1;
        let incarnation = c.incarnation;
        let image = c.image();
        let present = ctx.images.contains(&runtime::normalize(&image));
        let policy = c.spec.image_pull_policy.clone().unwrap_or_else(|| runtime::default_pull_policy(&image).to_string());
        if policy == "Never" && !present {
            let message = format!("Container image {image:?} is not present with pull policy of Never");
            c.starting = false;
            c.state = State::Waiting { reason: "ErrImageNeverPull".to_string(), message: Some(message.clone()) };
            self.event(ctx, "Warning", "ErrImageNeverPull", message);
            return;
        }
        if present && policy != "Always" {
            self.event(ctx, "Normal", "Pulled", format!("Container image {image:?} already present on machine"));
            self.timer(ctx, START_MS, Step::ImageReady { container: i, incarnation, pulled_ms: None });
            return;
        }
        self.event(ctx, "Normal", "Pulling", format!("Pulling image {image:?}"));
        match runtime::pull(&image) {
            // An image already on the node only has its manifest checked.
            Pull::Pulled { millis, .. } => {
                let millis = if present { runtime::MANIFEST_CHECK_MS } else { millis };
                self.timer(ctx, millis + START_MS, Step::ImageReady { container: i, incarnation, pulled_ms: Some(millis) });
            }
            Pull::Failed { millis, message } => {
                self.timer(ctx, millis, Step::PullFailed { container: i, incarnation, image, message });
            }
        }
    }

    /// A timer of this pod came due.
    pub fn on_timer(&mut self, step: Step, ctx: &mut Ctx) {
        if let Some((i, incarnation)) = step.container() {
            if self.containers.get(i).is_none_or(|c| c.incarnation != incarnation) || self.deleting {
                return;
            }
        }
        // A process waking from a sleep or a probe that changes nothing writes nothing: the
        // status manager only sends changes.
        let quiet = matches!(step, Step::Wake { .. } | Step::Probe { .. });
        let before = quiet.then(|| self.signature());
        match step {
            Step::ImageReady { container, pulled_ms, .. } => self.create(container, pulled_ms, ctx),
            Step::PullFailed { container, incarnation, image, message } => {
                let c = &mut self.containers[container];
                c.pull_failures += 1;
                c.state = State::Waiting { reason: "ErrImagePull".to_string(), message: Some(message.clone()) };
                self.event(ctx, "Warning", "Failed", format!("Failed to pull image {image:?}: {message}"));
                self.event(ctx, "Warning", "Failed", "Error: ErrImagePull".to_string());
                self.timer(ctx, 1_000, Step::PullBackOff { container, incarnation, image, message });
            }
            Step::PullBackOff { container, image, message, .. } => {
                let c = &mut self.containers[container];
                let delay = (BACKOFF_INITIAL_MS << c.pull_failures.saturating_sub(1).min(5)).min(BACKOFF_MAX_MS);
                let detail = format!("Back-off pulling image {image:?}: ErrImagePull: {message}");
                c.state = State::Waiting { reason: "ImagePullBackOff".to_string(), message: Some(detail) };
                c.starting = false;
                c.retry_queued = true;
                self.event(ctx, "Normal", "BackOff", format!("Back-off pulling image {image:?}"));
                self.event(ctx, "Warning", "Failed", "Error: ImagePullBackOff".to_string());
                self.timer(ctx, delay, Step::RetryContainer { container });
            }
            Step::RetryContainer { container } => {
                if let Some(c) = self.containers.get_mut(container) {
                    c.retry_queued = false;
                }
            }
            Step::Retry | Step::Volumes => {}
            Step::Wake { container, .. } => {
                if let Some(p) = self.containers[container].process.as_mut() {
                    p.wake();
                }
                self.advance(container, ctx);
            }
            Step::Probe { container, kind, .. } => self.probe(container, kind, ctx),
            Step::Killed { container, exit_code, .. } => {
                self.containers[container].stopping = false;
                self.exit(container, exit_code, None, ctx);
            }
            Step::Stopped => return,
        }
        if before.is_none_or(|b| b != self.signature()) {
            self.sync(ctx);
        }
    }

    /// What the pod's status is made of: container states, readiness and start.
    fn signature(&self) -> Vec<(State, bool, bool, bool)> {
        self.containers.iter().map(|c| (c.state.clone(), c.ready, c.started, c.stopping)).collect()
    }

    /// The image is present: create and start the container (`startContainer`).
    fn create(&mut self, i: usize, pulled_ms: Option<u64>, ctx: &mut Ctx) {
        let now = ctx.now();
        let image = self.containers[i].image();
        self.containers[i].starting = false;
        if let Some(millis) = pulled_ms {
            ctx.images.insert(runtime::normalize(&image));
            let bytes = match runtime::pull(&image) {
                Pull::Pulled { bytes, .. } => bytes,
                Pull::Failed { .. } => 0,
            };
            let took = go_duration(millis);
            let message = format!("Successfully pulled image {image:?} in {took} ({took} including waiting). Image size: {bytes} bytes.");
            self.event(ctx, "Normal", "Pulled", message);
        }
        let environment = match env::resolve(self, i, ctx.client) {
            Ok(e) => e,
            Err(message) => {
                let c = &mut self.containers[i];
                if let State::Terminated(e) = &c.state {
                    c.last = Some(e.clone());
                }
                c.state = State::Waiting { reason: "CreateContainerConfigError".to_string(), message: Some(message.clone()) };
                c.retry_queued = true;
                self.event(ctx, "Warning", "Failed", format!("Error: {message}"));
                self.timer(ctx, RETRY_MS, Step::RetryContainer { container: i });
                return;
            }
        };
        let id = container_id(ctx.client);
        let c = &mut self.containers[i];
        let spec = &c.spec;
        let argv = runtime::argv(&image, spec.command.as_deref().map(|v| env::expand_all(v, &environment)).as_deref(), {
            spec.args.as_deref().map(|v| env::expand_all(v, &environment)).as_deref()
        });
        let mut process = Process::new(&argv, environment, &|words| runtime::program(&image, words));
        if c.created {
            c.restarts += 1;
        }
        c.created = true;
        if let State::Terminated(e) = &c.state {
            c.last = Some(e.clone());
        }
        c.previous_logs = std::mem::take(&mut c.logs);
        c.previous_id = std::mem::replace(&mut c.id, id);
        let name = c.spec.name.clone();
        self.event(ctx, "Normal", "Created", format!("Created container: {name}"));
        let (outcome, out) = process.step();
        if let Outcome::StartError(reason) = outcome {
            let message = format!(
                "failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: {reason}: unknown"
            );
            self.event(ctx, "Warning", "Failed", format!("Error: {message}"));
            // The runtime reports the container exited (StartError, 128); the kubelet shows
            // the sync error as the waiting reason (`reasonCache`).
            let c = &mut self.containers[i];
            c.incarnation += 1;
            c.last = Some(Exited {
                exit_code: 128,
                reason: "StartError".to_string(),
                message: Some(message.clone()),
                started_ms: None,
                finished_ms: now,
                id: c.id.clone(),
            });
            c.state = State::Waiting { reason: "RunContainerError".to_string(), message: Some(message) };
            return;
        }
        self.event(ctx, "Normal", "Started", format!("Started container {name}"));
        let c = &mut self.containers[i];
        c.state = State::Running { started_ms: now };
        c.process = Some(process);
        c.probes = Counters::default();
        c.started = prober::probe(&c.spec, ProbeKind::Startup).is_none();
        c.ready = c.started && prober::probe(&c.spec, ProbeKind::Readiness).is_none();
        let incarnation = c.incarnation;
        for (delay, kind) in prober::first_probes(&c.spec, c.started, now, self.started_ms.unwrap_or(now), now) {
            self.timer(ctx, delay, Step::Probe { container: i, incarnation, kind });
        }
        self.output(i, out, now);
        self.follow(i, outcome, ctx);
    }

    fn output(&mut self, i: usize, out: Vec<String>, at_ms: u64) {
        let logs = &mut self.containers[i].logs;
        logs.extend(out.into_iter().map(|text| LogLine { at_ms, text }));
        // The kubelet rotates container logs (containerLogMaxSize); the simulation keeps the
        // most recent lines.
        let excess = logs.len().saturating_sub(MAX_LOG_LINES);
        logs.drain(..excess);
    }

    /// Steps the container's process after a sleep ended.
    fn advance(&mut self, i: usize, ctx: &mut Ctx) {
        let Some(process) = self.containers[i].process.as_mut() else { return };
        let (outcome, out) = process.step();
        self.output(i, out, ctx.now());
        self.follow(i, outcome, ctx);
    }

    /// Acts on what the process did: sleeps become timers, exits end the container, and memory
    /// above the container's limit is killed by the kernel's OOM killer.
    fn follow(&mut self, i: usize, outcome: Outcome, ctx: &mut Ctx) {
        let c = &self.containers[i];
        // Without a limit of its own a container is bounded by the node's memory.
        let limit = runtime::limit(&c.spec, "memory").map_or(ctx.node_memory, |l| l.min(ctx.node_memory));
        if let Some(p) = c.process.as_ref() {
            if p.memory > limit {
                self.exit(i, 137, Some("OOMKilled"), ctx);
                return;
            }
        }
        let incarnation = c.incarnation;
        match outcome {
            Outcome::Sleep(ms) => self.timer(ctx, ms, Step::Wake { container: i, incarnation }),
            Outcome::Forever => {}
            Outcome::Exited(code) => self.exit(i, code, None, ctx),
            Outcome::StartError(_) => self.exit(i, 128, Some("StartError"), ctx),
        }
    }

    /// The container's process ended with `code`.
    fn exit(&mut self, i: usize, code: i32, reason: Option<&str>, ctx: &mut Ctx) {
        let now = ctx.now();
        let c = &mut self.containers[i];
        let State::Running { started_ms } = c.state else { return };
        let reason = reason.unwrap_or(if code == 0 { "Completed" } else { "Error" }).to_string();
        c.state = State::Terminated(Exited {
            exit_code: code,
            reason,
            message: None,
            started_ms: Some(started_ms),
            finished_ms: now,
            id: c.id.clone(),
        });
        c.process = None;
        c.ready = false;
        c.started = false;
        c.incarnation += 1;
    }

    /// Stops container `i` (SIGTERM, then SIGKILL when the grace period ends); `Killed` follows.
    pub fn kill(&mut self, i: usize, grace_seconds: u64, ctx: &mut Ctx) {
        let c = &mut self.containers[i];
        if c.stopping || !c.running() {
            return;
        }
        c.stopping = true;
        let (ms, exit_code) = match &c.process {
            // A shell or sleep as PID 1 has no SIGTERM handler: only SIGKILL ends it.
            Some(p) if p.ignores_sigterm => (grace_seconds * 1000, 137),
            _ => (STOP_MS.min(grace_seconds * 1000), 0),
        };
        let incarnation = c.incarnation;
        self.timer(ctx, ms, Step::Killed { container: i, incarnation, exit_code });
    }

    /// A probe came due: run it and act on the result (`pkg/kubelet/prober/worker.go`).
    fn probe(&mut self, i: usize, kind: ProbeKind, ctx: &mut Ctx) {
        let now = ctx.now();
        let ip = self.ip.clone().unwrap_or_default();
        let c = &mut self.containers[i];
        let Some(spec) = prober::probe(&c.spec, kind).cloned() else { return };
        let started_ms = match c.state {
            State::Running { started_ms } => started_ms,
            _ => return,
        };
        let result = prober::check(&spec, c, &ip, now.saturating_sub(started_ms));
        let (success_threshold, failure_threshold) = prober::thresholds(&spec);
        let counter = c.probes.get(kind);
        match &result {
            Ok(()) => {
                counter.failures = 0;
                counter.successes = counter.successes.saturating_add(1);
            }
            Err(_) => {
                counter.successes = 0;
                counter.failures = counter.failures.saturating_add(1);
            }
        }
        let (successes, failures) = (counter.successes, counter.failures);
        let name = c.spec.name.clone();
        let incarnation = c.incarnation;
        let period = prober::period_ms(&spec);
        if let Err(message) = &result {
            self.event(ctx, "Warning", "Unhealthy", format!("{} probe failed: {message}", kind.title()));
        }
        let c = &mut self.containers[i];
        let mut next = true;
        match kind {
            ProbeKind::Startup if successes >= 1 => {
                c.started = true;
                c.ready = prober::probe(&c.spec, ProbeKind::Readiness).is_none();
                for (delay, kind) in prober::first_probes(&c.spec, true, started_ms, self.started_ms.unwrap_or(now), now) {
                    self.timer(ctx, delay, Step::Probe { container: i, incarnation, kind });
                }
                next = false;
            }
            ProbeKind::Readiness if successes >= success_threshold => c.ready = true,
            ProbeKind::Readiness if failures >= failure_threshold => c.ready = false,
            ProbeKind::Startup | ProbeKind::Liveness if failures >= failure_threshold => {
                let what = if kind == ProbeKind::Startup { "startup" } else { "liveness" };
                self.event(ctx, "Normal", "Killing", format!("Container {name} failed {what} probe, will be restarted"));
                let grace = spec.termination_grace_period_seconds.map_or(self.grace_seconds(), |g| g.clamp(0, 86_400) as u64);
                self.kill(i, grace, ctx);
                next = false;
            }
            _ => {}
        }
        if next {
            self.timer(ctx, period, Step::Probe { container: i, incarnation, kind });
        }
    }

    /// The pod was updated: a container whose image changed is killed and started again
    /// with the new image (`computePodActions`: the container's hash changed).
    pub fn update(&mut self, ctx: &mut Ctx) {
        let Some(spec) = self.pod().and_then(|p| p.spec.clone()) else { return };
        if self.deleting || self.terminal {
            return;
        }
        let specs = spec.init_containers.unwrap_or_default().into_iter().chain(spec.containers);
        let grace = self.grace_seconds();
        let mut changed = false;
        for (i, new) in specs.enumerate() {
            let Some(c) = self.containers.get_mut(i).filter(|c| c.spec.name == new.name && c.spec.image != new.image) else { continue };
            c.spec.image = new.image;
            c.spec.image_pull_policy = new.image_pull_policy;
            c.replace = true;
            changed = true;
            if c.running() {
                let message = format!("Container {} definition changed, will be restarted", c.spec.name);
                self.event(ctx, "Normal", "Killing", message);
                self.kill(i, grace, ctx);
            }
        }
        if changed {
            self.sync(ctx);
        }
    }

    /// A pod whose containers will not run again is Succeeded or Failed: its sidecars stop.
    fn check_terminal(&mut self, ctx: &mut Ctx) {
        let phase = status::phase(self);
        if matches!(phase, "Succeeded" | "Failed") {
            self.terminal = true;
            let grace = self.grace_seconds();
            for i in 0..self.containers.len() {
                self.kill(i, grace, ctx);
            }
        }
    }

    /// The eviction manager chose this pod (`evictPod`): it fails with reason Evicted and its
    /// containers are killed at once (the hard threshold's grace period).
    pub fn evict(&mut self, message: String, ctx: &mut Ctx) {
        if self.terminal || self.deleting {
            return;
        }
        self.evicted = Some(message.clone());
        self.terminal = true;
        self.event(ctx, "Warning", "Evicted", message);
        for i in 0..self.containers.len() {
            if self.containers[i].running() {
                let name = self.containers[i].spec.name.clone();
                self.event(ctx, "Normal", "Killing", format!("Stopping container {name}"));
                self.kill(i, 0, ctx);
            }
        }
        self.report(ctx);
    }

    /// The pod was deleted: stop every container, then finish the deletion (`Stopped`).
    pub fn stop(&mut self, ctx: &mut Ctx) {
        if self.deleting {
            return;
        }
        self.deleting = true;
        let grace = self.grace_seconds();
        let mut longest = 0;
        for c in self.containers.iter().filter(|c| c.running()) {
            let ms = match &c.process {
                Some(p) if p.ignores_sigterm => grace * 1000,
                _ => STOP_MS.min(grace * 1000),
            };
            longest = longest.max(ms);
            ctx.client.event(&self.object, "Normal", "Killing", format!("Stopping container {}", c.spec.name));
        }
        self.timer(ctx, longest, Step::Stopped);
    }
}

impl Step {
    /// The container (and its instance) a step is about, for steps that concern one.
    fn container(&self) -> Option<(usize, u64)> {
        match self {
            Step::ImageReady { container, incarnation, .. }
            | Step::PullFailed { container, incarnation, .. }
            | Step::PullBackOff { container, incarnation, .. }
            | Step::Wake { container, incarnation }
            | Step::Probe { container, incarnation, .. }
            | Step::Killed { container, incarnation, .. } => Some((*container, *incarnation)),
            _ => None,
        }
    }
}

/// A containerd container id: 64 hex digits from the cluster's RNG.
fn container_id(client: &mut Client) -> String {
    let rng = client.rng();
    format!("{:016x}{:016x}{:016x}{:016x}", rng.next_u64(), rng.next_u64(), rng.next_u64(), rng.next_u64())
}

/// Go's `time.Duration.String()` for whole milliseconds: `400ms`, `3.28s`, `1m20s`, `5m0s`.
pub fn go_duration(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let (minutes, rest) = (ms / 60_000, ms % 60_000);
    let seconds = format!("{}.{:03}", rest / 1000, rest % 1000);
    let seconds = seconds.trim_end_matches('0').trim_end_matches('.');
    match (minutes / 60, minutes % 60) {
        (0, 0) => format!("{seconds}s"),
        (0, m) => format!("{m}m{seconds}s"),
        (h, m) => format!("{h}h{m}m{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_prints_them() {
        assert_eq!(go_duration(400), "400ms");
        assert_eq!(go_duration(3280), "3.28s");
        assert_eq!(go_duration(10_000), "10s");
        assert_eq!(go_duration(80_000), "1m20s");
        assert_eq!(go_duration(300_000), "5m0s");
    }
}
