//! The app's one state: a handle to the model and the view data derived from it.
//!
//! The reducer is the only code in the UI that talks to the model. It advances virtual time,
//! runs commands through [`kubectl::execute`], and then derives what the screen shows from
//! [`Cluster::snapshot`] and [`Cluster::messages`]. It does no I/O: the wall clock belongs to
//! the timer in `app.rs`, which turns elapsed wall time into [`Action::Tick`].

use std::cell::RefCell;
use std::rc::Rc;

use yew::Reducible;

use crate::api::{info, Key, Object};
use crate::cluster::ControlPlaneMember;
use crate::kubectl::{self, script, watch::Watch, Reply};
use crate::lessons::{self, Lesson, Progress};
use crate::network::Request;
use crate::session::{self, link, scenario::Scenario, Recorder, SavedLesson, SavedSession};
use crate::ui::explain::Explanation;
use crate::ui::traffic::{self, ServiceView, TrafficView};
use crate::ui::view::{component_key, format_clock, format_seconds, MessageGroup};
use crate::{Cluster, ClusterConfig, Component, Message, Snapshot};

/// How many of the latest messages the log strip shows.
const RECENT_MESSAGES: usize = 4;
/// A component is drawn as busy for this long (virtual ms) after it sent or received a message.
const ACTIVE_FOR_MS: u64 = 800;
/// The console keeps this many entries; older ones scroll away for good.
const CONSOLE_LIMIT: usize = 200;
/// How many of the latest Kubernetes events the timeline lists.
const TIMELINE_EVENTS: usize = 30;
/// The longest a message step waits for the next message, in virtual time.
const STEP_LIMIT_MS: u64 = 15 * 60 * 1000;
/// How many of the latest requests the Services row lists.
const TRAFFIC_SHOWN: usize = 4;

/// What the user (or the timer) asks for.
pub enum Action {
    /// Advance virtual time by this many milliseconds.
    Tick(u64),
    SetPlaying(bool),
    /// Virtual milliseconds per wall-clock second, in percent of real time (100 = 1×).
    SetSpeed(u32),
    /// Run one line of the command language, as typed in the console.
    Run(String),
    /// `kubectl apply -f -` with the editor's text as stdin.
    Apply(String),
    /// `kubectl diff -f -` with the editor's text: what Apply would change.
    Diff(String),
    /// Save an edit opened by `kubectl edit`: the command again, the text as its stdin.
    SaveEdit {
        command: String,
        text: String,
    },
    /// Stop the `--watch` the console is streaming (Ctrl+C).
    StopWatch,
    ClearConsole,
    /// Show this object in the inspector (or nothing).
    Inspect(Option<Target>),
    /// Draw the cluster as it was at this etcd revision; `None` is the live cluster.
    ViewRevision(Option<i64>),
    /// Show or hide one group of messages.
    ToggleGroup(MessageGroup),
    /// Step mode: reveal one more message (letting virtual time run to it if needed).
    StepMessage,
    /// Leave step mode: show every message again.
    EndStepping,
    /// "Continue from here": replace the cluster with a fork of it at the revision the
    /// timeline shows.
    Fork,
    /// Put away the notice about the fork.
    DismissFork,
    /// Replace the session with a saved one (an import), already checked.
    Restore(Rc<SavedSession>),
    /// Start afresh with the default cluster.
    Reset,
    /// Start a lesson (by id) on a fresh cluster: its setup runs through the console.
    StartLesson(String),
    /// "Show me": run the current step's solution through the console.
    ShowMe,
    /// Leave the lesson (the cluster stays as it is).
    CloseLesson,
}

/// How the page starts: from what the browser kept, or from a link's scenario.
pub struct Start {
    /// Replayed without showing its commands.
    pub saved: Option<Rc<SavedSession>>,
    /// Run through the console, so that its commands and their output show.
    pub scenario: Option<Scenario>,
    /// A lesson to start (unless the saved session is already in it).
    pub lesson: Option<Lesson>,
    pub readonly: bool,
    pub speed_pct: u32,
    pub playing: bool,
}

/// What the inspector shows: an object (`kind` as kubectl names it) or a component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Object { kind: String, namespace: Option<String>, name: String },
    Component(String),
}

/// The inspector's text for its target, computed when it is selected or refreshed.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Inspection {
    pub title: String,
    pub details: String,
    pub events: Vec<String>,
    pub yaml: String,
    /// For a pod: the scheduler's latest decision about it.
    pub explanation: Option<Explanation>,
}

/// One command and what the terminal showed for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleEntry {
    pub id: u64,
    pub command: String,
    /// Where stdin came from, if anywhere (e.g. the manifest editor).
    pub stdin_note: Option<String>,
    pub output: String,
}

/// `kubectl edit` asks for the editor: the object's YAML, and the command to run on save.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditRequest {
    pub id: u64,
    pub command: String,
    pub yaml: String,
}

/// A message as the log strip and the travelling dots show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub seq: u64,
    pub time_ms: u64,
    pub caption: String,
    pub from_key: String,
    pub to_key: String,
    pub group: MessageGroup,
}

impl MessageView {
    fn of(message: &Message) -> MessageView {
        MessageView {
            seq: message.seq,
            time_ms: message.time_ms,
            caption: message.caption(),
            from_key: component_key(&message.from),
            to_key: component_key(&message.to),
            group: MessageGroup::of(&message.verb, &message.object),
        }
    }
}

/// The latest requests, and how many of them are new since the previous update (they get a
/// travelling dot).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Traffic {
    /// Oldest first.
    pub latest: Vec<TrafficView>,
    pub fresh: usize,
}

/// The timeline's scrubber: which revisions can be shown, and which one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revisions {
    pub oldest: i64,
    pub current: i64,
    /// The past revision drawn instead of the live cluster, if any.
    pub viewing: Option<i64>,
}

#[derive(Clone)]
pub struct UiState {
    cluster: Rc<RefCell<Cluster>>,
    pub now_ms: u64,
    pub playing: bool,
    pub speed_pct: u32,
    /// The cluster without the clock; replaced only when something in it changed, so that
    /// the diagram does not re-render on every tick of an idle cluster.
    pub snapshot: Rc<Snapshot>,
    /// The cluster at the revision the timeline shows, when it is not the live one.
    pub past: Option<Rc<Snapshot>>,
    pub revisions: Revisions,
    pub recent: Rc<Vec<MessageView>>,
    /// `data-component` keys of the components that took part in a message just now.
    pub active: Rc<Vec<String>>,
    pub console: Rc<Vec<ConsoleEntry>>,
    /// Lines typed in the console, oldest first, without repeats in a row.
    pub history: Rc<Vec<String>>,
    /// The latest result of applying (or diffing) the editor's manifest.
    pub last_apply: Option<Rc<ConsoleEntry>>,
    pub edit: Option<Rc<EditRequest>>,
    /// The console entry a `--watch` streams into, and the watch.
    watch: Option<(u64, Rc<RefCell<Watch>>)>,
    pub target: Option<Target>,
    pub inspection: Rc<Inspection>,
    /// The latest Kubernetes events, newest first, as one line each.
    pub events: Rc<Vec<String>>,
    /// Message groups the diagram hides (Lease heartbeats by default).
    pub hidden: Rc<Vec<MessageGroup>>,
    /// Step mode: how many messages of the log are revealed so far.
    pub stepped_to: Option<usize>,
    /// The Services with their endpoints.
    pub services: Rc<Vec<ServiceView>>,
    pub traffic: Rc<Traffic>,
    /// After "Continue from here": what the cluster was forked from, as a notice.
    pub forked: Option<Rc<String>>,
    /// The control-plane nodes with their processes and leaders (`sim control-plane`).
    pub members: Rc<Vec<ControlPlaneMember>>,
    /// The newest request already drawn.
    last_request: Option<Request>,
    /// How much of the audit log `refresh` has read (to see which kinds were written).
    audit_seen: usize,
    messages_seen: usize,
    /// The cluster revision `snapshot` was taken at.
    revision: i64,
    next_id: u64,
    /// What ran on the cluster, as a session script (see `session`): what is saved and shared.
    recorder: Rc<RefCell<Recorder>>,
    /// A read-only link: commands that would change the cluster are refused.
    pub readonly: bool,
    /// The lesson being followed, checked whenever the cluster changes.
    pub lesson: Option<Rc<Progress>>,
    /// The revision the lesson's checks last saw.
    lesson_revision: i64,
}

impl PartialEq for UiState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.cluster, &other.cluster)
            && self.readonly == other.readonly
            && self.lesson.as_ref().map(Rc::as_ptr) == other.lesson.as_ref().map(Rc::as_ptr)
            && self.now_ms == other.now_ms
            && self.playing == other.playing
            && self.speed_pct == other.speed_pct
            && Rc::ptr_eq(&self.snapshot, &other.snapshot)
            && self.past.as_ref().map(Rc::as_ptr) == other.past.as_ref().map(Rc::as_ptr)
            && self.revisions == other.revisions
            && Rc::ptr_eq(&self.recent, &other.recent)
            && Rc::ptr_eq(&self.active, &other.active)
            && Rc::ptr_eq(&self.console, &other.console)
            && Rc::ptr_eq(&self.history, &other.history)
            && self.last_apply == other.last_apply
            && self.edit == other.edit
            && self.target == other.target
            && Rc::ptr_eq(&self.inspection, &other.inspection)
            && Rc::ptr_eq(&self.events, &other.events)
            && Rc::ptr_eq(&self.hidden, &other.hidden)
            && self.stepped_to == other.stepped_to
            && Rc::ptr_eq(&self.services, &other.services)
            && Rc::ptr_eq(&self.traffic, &other.traffic)
            && self.forked == other.forked
            && Rc::ptr_eq(&self.members, &other.members)
    }
}

/// Tab completion in the console, with the cluster's object names at hand.
#[derive(Clone)]
pub struct Completer(Rc<RefCell<Cluster>>);

impl PartialEq for Completer {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Completer {
    /// The completed line and the candidates (more than one: what the user may type next).
    pub fn complete(&self, line: &str) -> (String, Vec<String>) {
        let cluster = self.0.borrow();
        crate::ui::completion::complete(line, &|kind| {
            cluster.api().peek_list(kind, None).iter().filter_map(|o| o.metadata().name.clone()).collect()
        })
    }
}

impl UiState {
    /// The default cluster, running at real time.
    pub fn new() -> UiState {
        UiState::with_cluster(Cluster::new(ClusterConfig::default()), Recorder::default())
    }

    /// The page as a link and the browser's storage ask for it.
    pub fn start(start: Start) -> UiState {
        let mut state = start.saved.map(|saved| UiState::restored(&saved)).unwrap_or_default();
        if let (Some(lesson), None) = (start.lesson, &state.lesson) {
            state.start_lesson(lesson);
        }
        if let Some(scenario) = start.scenario {
            for (command, stdin) in script::steps(&scenario.to_script()).unwrap_or_default() {
                state.run_step(command, stdin);
            }
        }
        state.readonly = start.readonly;
        state.speed_pct = start.speed_pct;
        state.playing = start.playing;
        state.check_lesson();
        state.refresh();
        state
    }

    /// A saved session, replayed (the default cluster if its script no longer replays).
    fn restored(saved: &SavedSession) -> UiState {
        let Ok(cluster) = session::replay(&saved.script) else { return UiState::new() };
        let recorder = Recorder::resume(&saved.script, cluster.now_ms());
        let mut state = UiState::with_cluster(cluster, recorder);
        state.history = Rc::new(saved.history.clone());
        state.lesson = saved.lesson.as_ref().and_then(|l| {
            let mut progress = Progress::new(lessons::find(&l.id)?);
            progress.go_to(l.step);
            Some(Rc::new(progress))
        });
        state
    }

    /// Begins `lesson` on this (fresh) cluster: its setup runs through the console.
    fn start_lesson(&mut self, lesson: Lesson) {
        let setup = script::steps(&lesson.setup).unwrap_or_default();
        let readonly = std::mem::replace(&mut self.readonly, false); // the author's setup always runs
        for (command, stdin) in setup {
            self.run_step(command, stdin);
        }
        self.readonly = readonly;
        self.lesson = Some(Rc::new(Progress::new(lesson)));
        self.lesson_revision = -1;
    }

    /// Checks the lesson's current step against the cluster, when the cluster changed.
    fn check_lesson(&mut self) {
        let revision = self.cluster.borrow().revision();
        let Some(progress) = self.lesson.as_mut() else { return };
        if revision == self.lesson_revision {
            return;
        }
        self.lesson_revision = revision;
        let mut next = (**progress).clone();
        next.evaluate(&mut self.cluster.borrow_mut());
        if next != **progress {
            *progress = Rc::new(next);
        }
    }

    /// A new session in this page: the link's read-only setting and the clock's speed and
    /// state carry over.
    fn replaced_by(&self, mut next: UiState) -> UiState {
        (next.readonly, next.speed_pct, next.playing) = (self.readonly, self.speed_pct, self.playing);
        next
    }

    /// The lesson and step to keep with the session.
    pub fn saved_lesson(&self) -> Option<SavedLesson> {
        self.lesson.as_ref().map(|p| SavedLesson { id: p.lesson().id.clone(), step: p.step() })
    }

    fn with_cluster(cluster: Cluster, recorder: Recorder) -> UiState {
        let mut state = UiState {
            cluster: Rc::new(RefCell::new(cluster)),
            now_ms: 0,
            playing: true,
            speed_pct: 100,
            snapshot: Rc::new(Snapshot::default()),
            past: None,
            revisions: Revisions { oldest: 0, current: 0, viewing: None },
            recent: Rc::new(Vec::new()),
            active: Rc::new(Vec::new()),
            console: Rc::new(Vec::new()),
            history: Rc::new(Vec::new()),
            last_apply: None,
            edit: None,
            watch: None,
            target: None,
            inspection: Rc::new(Inspection::default()),
            events: Rc::new(Vec::new()),
            hidden: Rc::new(vec![MessageGroup::Lease]),
            stepped_to: None,
            services: Rc::new(Vec::new()),
            traffic: Rc::new(Traffic::default()),
            forked: None,
            members: Rc::new(Vec::new()),
            last_request: None,
            audit_seen: 0,
            messages_seen: usize::MAX,
            revision: -1,
            next_id: 0,
            recorder: Rc::new(RefCell::new(recorder)),
            readonly: false,
            lesson: None,
            lesson_revision: -1,
        };
        state.refresh();
        state
    }

    /// The session as a script that rebuilds the cluster as it is now.
    pub fn session_script(&self) -> String {
        self.recorder.borrow().script(self.now_ms)
    }

    /// Runs one step of a script (a command and its heredoc) as the console would show it.
    fn run_step(&mut self, command: String, stdin: Option<String>) {
        match stdin {
            Some(stdin) => {
                let lines = stdin.lines().count();
                self.execute(command, Some(stdin), Some(format!("stdin: a heredoc, {lines} lines")));
            }
            None => self.run_line(command),
        }
    }

    /// Runs `command` on the cluster, records it in the session, and shows it in the console.
    fn execute(&mut self, command: String, stdin: Option<String>, stdin_note: Option<String>) -> ConsoleEntry {
        let at = self.cluster.borrow().now_ms();
        let output = kubectl::execute(&mut self.cluster.borrow_mut(), &command, stdin.as_deref());
        let after = self.cluster.borrow().now_ms();
        self.recorder.borrow_mut().command(at, &command, stdin.as_deref(), after);
        self.push_console(command, stdin_note, output)
    }

    pub fn completer(&self) -> Completer {
        Completer(self.cluster.clone())
    }

    /// True while a `--watch` streams into the console.
    pub fn watching(&self) -> bool {
        self.watch.is_some()
    }

    /// Re-derives the view data from the model, keeping the old `Rc`s where nothing changed.
    fn refresh(&mut self) {
        let cluster = self.cluster.borrow();
        self.now_ms = cluster.now_ms();

        // Only a write changes what a snapshot shows, so an idle cluster costs no snapshots;
        // and only a write to what a view draws redoes that view (at 500 nodes the Lease
        // heartbeats alone write 50 times a second).
        if cluster.revision() != self.revision {
            self.revision = cluster.revision();
            let messages = cluster.messages();
            let new = messages.get(self.audit_seen..).unwrap_or_default();
            self.audit_seen = messages.len();
            let writes: Vec<&str> =
                new.iter().filter(|m| m.to == Component::Etcd && m.verb != "range").map(|m| m.object.as_str()).collect();
            // A write without a message (an etcd restore) may have changed anything.
            let touched = |pred: &dyn Fn(&str) -> bool| writes.is_empty() || writes.iter().any(|w| pred(w));
            let is_traffic = |w: &str| ["services/", "endpointslices/", "endpoints/"].iter().any(|p| w.starts_with(p));
            if touched(&|w: &str| !w.starts_with("leases/") && !w.starts_with("events/") && !is_traffic(w)) {
                let mut snapshot = cluster.snapshot();
                snapshot.time_ms = 0; // the clock is shown on its own; see `now_ms`
                if *self.snapshot != snapshot {
                    self.snapshot = Rc::new(snapshot);
                }
            }
            if touched(&|w: &str| w.starts_with("events/")) {
                let events = latest_events(&cluster);
                if *self.events != events {
                    self.events = Rc::new(events);
                }
            }
            if touched(&is_traffic) {
                let services = traffic::services(&cluster);
                if *self.services != services {
                    self.services = Rc::new(services);
                }
            }
        }
        if cluster.recent_requests().last() != self.last_request.as_ref() {
            let requests: Vec<&Request> = cluster.recent_requests().collect();
            let seen = self.last_request.as_ref().and_then(|last| requests.iter().rposition(|r| *r == last));
            let fresh = requests.len() - seen.map_or(0, |i| i + 1);
            let shown = requests.iter().skip(requests.len().saturating_sub(TRAFFIC_SHOWN)).map(|r| traffic::hops(r));
            self.traffic = Rc::new(Traffic { latest: shown.collect(), fresh });
            self.last_request = requests.last().map(|r| (*r).clone());
        }
        // Elections change leaders without a write, so this is read on every refresh (a few rows).
        let members = cluster.control_plane();
        if *self.members != members {
            self.members = Rc::new(members);
        }
        let oldest = cluster.oldest_revision();
        let viewing = self.revisions.viewing.filter(|&r| r >= oldest && r < self.revision);
        if viewing.is_none() {
            self.past = None;
        }
        self.revisions = Revisions { oldest, current: self.revision, viewing };

        let messages = cluster.messages();
        let shown = self.stepped_to.map_or(messages.len(), |n| n.min(messages.len()));
        if shown != self.messages_seen {
            self.messages_seen = shown;
            let visible = messages.get(..shown).unwrap_or(messages).iter().rev().map(MessageView::of);
            let mut recent: Vec<MessageView> = visible.filter(|m| !self.hidden.contains(&m.group)).take(RECENT_MESSAGES).collect();
            recent.reverse();
            self.recent = Rc::new(recent);
        }

        let since = self.now_ms.saturating_sub(ACTIVE_FOR_MS);
        let mut active: Vec<String> = Vec::new();
        let fresh = self.recent.iter().filter(|m| self.stepped_to.is_some() || m.time_ms >= since);
        for m in fresh.rev().take(if self.stepped_to.is_some() { 1 } else { RECENT_MESSAGES }) {
            for key in [&m.from_key, &m.to_key] {
                if !active.contains(key) {
                    active.push(key.clone());
                }
            }
        }
        if *self.active != active {
            self.active = Rc::new(active);
        }
    }

    fn push_console(&mut self, command: String, stdin_note: Option<String>, output: String) -> ConsoleEntry {
        let entry = ConsoleEntry { id: self.next_id, command, stdin_note, output };
        self.next_id += 1;
        let console = Rc::make_mut(&mut self.console);
        console.push(entry.clone());
        if console.len() > CONSOLE_LIMIT {
            let excess = console.len() - CONSOLE_LIMIT;
            console.drain(..excess);
        }
        entry
    }

    /// Appends what the running `--watch` printed since the last tick to its console entry.
    fn poll_watch(&mut self) {
        let Some((id, watch)) = &self.watch else { return };
        let lines = watch.borrow_mut().poll(&self.cluster.borrow());
        if lines.is_empty() {
            return;
        }
        if let Some(entry) = Rc::make_mut(&mut self.console).iter_mut().find(|e| e.id == *id) {
            for line in lines {
                entry.output.push_str(&line);
                if !line.ends_with('\n') {
                    entry.output.push('\n');
                }
            }
        } else {
            self.watch = None; // its entry scrolled away or was cleared
        }
    }

    fn run_line(&mut self, line: String) {
        self.watch = None;
        let words: Vec<&str> = line.split_whitespace().collect();
        let is_edit = matches!(words.as_slice(), ["kubectl" | "k", "edit", ..]);
        let is_watch = words.iter().any(|w| matches!(*w, "-w" | "--watch" | "--watch-only") || w.starts_with("--watch="));
        if self.readonly && link::changes_cluster(&line) {
            self.push_console(line, None, link::READ_ONLY.to_string());
        } else if is_edit {
            let reply = kubectl::respond(&mut self.cluster.borrow_mut(), &line, None, &|_| None);
            match reply {
                Reply::Edit { command, yaml } => {
                    let note = "opened in the manifest editor: Save runs it with the edited object".to_string();
                    let entry = self.push_console(line, None, note);
                    self.edit = Some(Rc::new(EditRequest { id: entry.id, command, yaml }));
                }
                Reply::Text(text) => {
                    self.push_console(line, None, text);
                }
            }
        } else if is_watch {
            let (text, watch) = kubectl::execute_watchable(&mut self.cluster.borrow_mut(), &line);
            let entry = self.push_console(line, None, text);
            self.watch = watch.map(|w| (entry.id, Rc::new(RefCell::new(w))));
        } else {
            self.execute(line, None, None);
        }
    }

    /// Runs `command` with `stdin` from the editor; the result shows under the editor too.
    fn run_from_editor(&mut self, command: String, stdin: &str) {
        let lines = stdin.lines().count();
        let note = format!("stdin: the manifest editor, {lines} lines");
        let entry = if self.readonly && link::changes_cluster(&command) {
            self.push_console(command, Some(note), link::READ_ONLY.to_string())
        } else {
            self.execute(command, Some(stdin.to_string()), Some(note))
        };
        self.last_apply = Some(Rc::new(entry));
    }

    fn inspect(&mut self) {
        let Some(target) = self.target.clone() else {
            self.inspection = Rc::new(Inspection::default());
            return;
        };
        let mut cluster = self.cluster.borrow_mut();
        let inspection = match &target {
            Target::Object { kind, namespace, name } => {
                let ns = namespace.as_ref().map(|n| format!(" -n {n}")).unwrap_or_default();
                let describe = kubectl::execute(&mut cluster, &format!("kubectl describe {kind} {name}{ns}"), None);
                let yaml = kubectl::execute(&mut cluster, &format!("kubectl get {kind} {name}{ns} -o yaml"), None);
                let explanation = (kind == "pod").then(|| {
                    let key = Key::new("Pod", namespace.as_deref().unwrap_or("default"), name);
                    cluster.scheduler().decision(&key).map(Explanation::of)
                });
                Inspection {
                    title: format!("{kind}/{name}"),
                    details: describe,
                    events: events_about(&cluster, name),
                    yaml,
                    explanation: explanation.flatten(),
                }
            }
            Target::Component(key) => component_inspection(&cluster, key),
        };
        drop(cluster);
        self.inspection = Rc::new(inspection);
    }

    /// Replaces the cluster with a fork of it at the revision the timeline shows; the cluster
    /// left behind is dropped. Everything derived from the old one is derived afresh.
    fn fork(&mut self) {
        let Some(revision) = self.revisions.viewing else { return };
        let fork = self.cluster.borrow().fork(revision);
        let note = match fork {
            Ok(fork) => {
                let note = format!(
                    "Continued from revision {revision}: a new cluster whose etcd holds the state of that revision, at virtual time {}. \
                     Its controllers, scheduler and kubelets start afresh and reconcile from it; the cluster you left is gone.",
                    format_clock(fork.now_ms())
                );
                self.cluster = Rc::new(RefCell::new(fork));
                self.revision = -1;
                self.audit_seen = 0;
                self.messages_seen = usize::MAX;
                self.stepped_to = None;
                self.watch = None;
                self.last_request = None;
                self.traffic = Rc::new(Traffic::default());
                self.revisions.viewing = None;
                self.past = None;
                self.forked = Some(Rc::new(note.clone()));
                note
            }
            Err(e) => e.render(None),
        };
        self.push_console(format!("# continue from revision {revision}"), None, note);
    }

    /// Reveals the next message the filter shows, letting virtual time run until there is one.
    fn step_message(&mut self) {
        self.playing = false;
        let mut cluster = self.cluster.borrow_mut();
        let start = self.stepped_to.unwrap_or(cluster.messages().len());
        let deadline = cluster.now_ms().saturating_add(STEP_LIMIT_MS);
        loop {
            let next = cluster.messages().iter().skip(start).position(|m| {
                let group = MessageGroup::of(&m.verb, &m.object);
                !self.hidden.contains(&group)
            });
            if let Some(offset) = next {
                self.stepped_to = Some(start + offset + 1);
                return;
            }
            match cluster.next_due_ms() {
                Some(at) if at <= deadline => {
                    let dt = at.saturating_sub(cluster.now_ms());
                    cluster.advance(dt);
                }
                _ => {
                    self.stepped_to = Some(cluster.messages().len());
                    return;
                }
            }
        }
    }
}

/// The newest Kubernetes events, one line each: `12.3s  Normal  Scheduled  pod/web-x: …`.
fn latest_events(cluster: &Cluster) -> Vec<String> {
    let mut events: Vec<_> = cluster.api().peek_list(info("Event"), None);
    events.sort_by_key(|o| o.metadata().resource_version.as_deref().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    events.iter().rev().take(TIMELINE_EVENTS).filter_map(|o| event_line(o)).collect()
}

fn event_line(object: &Object) -> Option<String> {
    let Object::Event(e) = object else { return None };
    let when = e.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default();
    let clock = when.get(11..19).unwrap_or("");
    let what =
        format!("{}/{}", e.involved_object.kind.as_deref().unwrap_or("").to_lowercase(), e.involved_object.name.as_deref().unwrap_or(""));
    Some(format!(
        "{clock}  {:<7} {}  {what}: {}",
        e.type_.as_deref().unwrap_or(""),
        e.reason.as_deref().unwrap_or(""),
        e.message.as_deref().unwrap_or("")
    ))
}

fn events_about(cluster: &Cluster, name: &str) -> Vec<String> {
    let events = cluster.api().peek_list(info("Event"), None);
    let about = events.iter().filter(|o| match &***o {
        Object::Event(e) => e.involved_object.name.as_deref() == Some(name),
        _ => false,
    });
    about.filter_map(|o| event_line(o)).collect()
}

/// What a component did lately: the messages it sent or received.
fn component_inspection(cluster: &Cluster, key: &str) -> Inspection {
    let mine: Vec<String> = cluster
        .messages()
        .iter()
        .rev()
        .map(MessageView::of)
        .filter(|m| m.from_key == key || m.to_key == key)
        .take(40)
        .map(|m| format!("{}  {}", format_seconds(m.time_ms), m.caption))
        .collect();
    let details =
        if mine.is_empty() { "No messages yet.".to_string() } else { format!("Latest messages, newest first:\n{}", mine.join("\n")) };
    Inspection { title: key.to_string(), details, events: Vec::new(), yaml: String::new(), explanation: None }
}

impl Default for UiState {
    fn default() -> Self {
        UiState::new()
    }
}

impl Reducible for UiState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        match action {
            Action::Tick(0) => return self,
            Action::Tick(dt_ms) => {
                state.cluster.borrow_mut().advance(dt_ms);
                state.poll_watch();
            }
            Action::SetPlaying(playing) => {
                state.playing = playing;
                if playing {
                    state.stepped_to = None;
                    state.revisions.viewing = None;
                }
            }
            Action::SetSpeed(pct) => state.speed_pct = pct.clamp(25, 6400),
            Action::Run(line) => {
                let line = line.trim().to_string();
                if line.is_empty() {
                    return self;
                }
                if state.history.last() != Some(&line) {
                    Rc::make_mut(&mut state.history).push(line.clone());
                }
                if line == "clear" {
                    state.console = Rc::new(Vec::new());
                } else {
                    state.run_line(line);
                }
            }
            Action::Apply(manifest) => state.run_from_editor("kubectl apply -f -".to_string(), &manifest),
            Action::Diff(manifest) => state.run_from_editor("kubectl diff -f -".to_string(), &manifest),
            Action::SaveEdit { command, text } => state.run_from_editor(command, &text),
            Action::StopWatch => {
                if let Some((id, _)) = state.watch.take() {
                    if let Some(entry) = Rc::make_mut(&mut state.console).iter_mut().find(|e| e.id == id) {
                        entry.output.push_str("^C\n");
                    }
                }
            }
            Action::ClearConsole => {
                state.console = Rc::new(Vec::new());
                state.watch = None;
            }
            Action::Inspect(target) => {
                state.target = target;
                state.inspect();
            }
            Action::ViewRevision(revision) => {
                let live = state.cluster.borrow().revision();
                let revision = revision.filter(|&r| r < live);
                state.revisions.viewing = revision;
                state.past = revision.and_then(|r| state.cluster.borrow().snapshot_at(r).ok()).map(Rc::new);
                if state.past.is_some() {
                    state.playing = false;
                }
            }
            Action::ToggleGroup(group) => {
                let hidden = Rc::make_mut(&mut state.hidden);
                match hidden.iter().position(|g| *g == group) {
                    Some(i) => {
                        hidden.remove(i);
                    }
                    None => hidden.push(group),
                }
                state.messages_seen = usize::MAX;
            }
            Action::StepMessage => state.step_message(),
            Action::EndStepping => state.stepped_to = None,
            Action::Fork => state.fork(),
            Action::DismissFork => state.forked = None,
            Action::Restore(saved) => state = state.replaced_by(UiState::restored(&saved)),
            Action::Reset => state = state.replaced_by(UiState::new()),
            Action::StartLesson(id) => {
                if let Some(lesson) = lessons::find(&id) {
                    let mut fresh = state.replaced_by(UiState::new());
                    fresh.history = state.history.clone();
                    fresh.start_lesson(lesson);
                    state = fresh;
                }
            }
            Action::ShowMe => {
                let solution = state.lesson.as_ref().and_then(|p| p.current()).map(|step| step.solution.clone()).unwrap_or_default();
                for (command, stdin) in script::steps(&solution).unwrap_or_default() {
                    state.run_step(command, stdin);
                }
            }
            Action::CloseLesson => state.lesson = None,
        }
        state.check_lesson();
        state.refresh();
        if state == *self {
            self
        } else {
            Rc::new(state)
        }
    }
}
