//! The app's one state: a handle to the model and the view data derived from it.
//!
//! The reducer is the only code in the UI that talks to the model. It advances virtual time,
//! runs commands through [`kubectl::execute`], and then derives what the screen shows from
//! [`Cluster::snapshot`] and [`Cluster::messages`]. It does no I/O: the wall clock belongs to
//! the timer in `app.rs`, which turns elapsed wall time into [`Action::Tick`].

use std::cell::RefCell;
use std::rc::Rc;

use yew::Reducible;

use crate::kubectl;
use crate::ui::view::component_key;
use crate::{Cluster, ClusterConfig, Message, Snapshot};

/// How many of the latest messages the log strip shows.
const RECENT_MESSAGES: usize = 4;
/// A component is drawn as busy for this long (virtual ms) after it sent or received a message.
const ACTIVE_FOR_MS: u64 = 800;
/// The console keeps this many entries; older ones scroll away for good.
const CONSOLE_LIMIT: usize = 200;

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
    ClearConsole,
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

/// A message as the log strip shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageView {
    pub seq: u64,
    pub time_ms: u64,
    pub caption: String,
    pub from_key: String,
    pub to_key: String,
}

impl MessageView {
    fn of(message: &Message) -> MessageView {
        MessageView {
            seq: message.seq,
            time_ms: message.time_ms,
            caption: message.caption(),
            from_key: component_key(&message.from),
            to_key: component_key(&message.to),
        }
    }
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
    pub recent: Rc<Vec<MessageView>>,
    /// `data-component` keys of the components that took part in a message just now.
    pub active: Rc<Vec<String>>,
    pub console: Rc<Vec<ConsoleEntry>>,
    /// Lines typed in the console, oldest first, without repeats in a row.
    pub history: Rc<Vec<String>>,
    /// The latest result of applying the editor's manifest.
    pub last_apply: Option<Rc<ConsoleEntry>>,
    messages_seen: usize,
    /// The cluster revision `snapshot` was taken at.
    revision: i64,
    next_id: u64,
}

impl PartialEq for UiState {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.cluster, &other.cluster)
            && self.now_ms == other.now_ms
            && self.playing == other.playing
            && self.speed_pct == other.speed_pct
            && Rc::ptr_eq(&self.snapshot, &other.snapshot)
            && Rc::ptr_eq(&self.recent, &other.recent)
            && Rc::ptr_eq(&self.active, &other.active)
            && Rc::ptr_eq(&self.console, &other.console)
            && Rc::ptr_eq(&self.history, &other.history)
            && self.last_apply == other.last_apply
    }
}

impl UiState {
    /// The default cluster, running at real time.
    pub fn new() -> UiState {
        let cluster = Cluster::new(ClusterConfig::default());
        let mut state = UiState {
            cluster: Rc::new(RefCell::new(cluster)),
            now_ms: 0,
            playing: true,
            speed_pct: 100,
            snapshot: Rc::new(Snapshot::default()),
            recent: Rc::new(Vec::new()),
            active: Rc::new(Vec::new()),
            console: Rc::new(Vec::new()),
            history: Rc::new(Vec::new()),
            last_apply: None,
            messages_seen: 0,
            revision: -1,
            next_id: 0,
        };
        state.refresh();
        state
    }

    /// Re-derives the view data from the model, keeping the old `Rc`s where nothing changed.
    fn refresh(&mut self) {
        let cluster = self.cluster.borrow();
        self.now_ms = cluster.now_ms();

        // Only a write changes what a snapshot shows, so an idle cluster costs no snapshots.
        if cluster.revision() != self.revision {
            self.revision = cluster.revision();
            let mut snapshot = cluster.snapshot();
            snapshot.time_ms = 0; // the clock is shown on its own; see `now_ms`
            if *self.snapshot != snapshot {
                self.snapshot = Rc::new(snapshot);
            }
        }

        let messages = cluster.messages();
        if messages.len() != self.messages_seen {
            self.messages_seen = messages.len();
            let start = messages.len().saturating_sub(RECENT_MESSAGES);
            self.recent = Rc::new(messages[start..].iter().map(MessageView::of).collect());
        }

        let since = self.now_ms.saturating_sub(ACTIVE_FOR_MS);
        let mut active: Vec<String> = Vec::new();
        for m in self.recent.iter().filter(|m| m.time_ms >= since) {
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
            Action::Tick(dt_ms) => state.cluster.borrow_mut().advance(dt_ms),
            Action::SetPlaying(playing) => state.playing = playing,
            Action::SetSpeed(pct) => state.speed_pct = pct.clamp(10, 10_000),
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
                    let output = kubectl::execute(&mut state.cluster.borrow_mut(), &line, None);
                    state.push_console(line, None, output);
                }
            }
            Action::Apply(manifest) => {
                let command = "kubectl apply -f -".to_string();
                let output = kubectl::execute(&mut state.cluster.borrow_mut(), &command, Some(&manifest));
                let lines = manifest.lines().count();
                let note = format!("stdin: the manifest editor, {lines} lines");
                let entry = state.push_console(command, Some(note), output);
                state.last_apply = Some(Rc::new(entry));
            }
            Action::ClearConsole => state.console = Rc::new(Vec::new()),
        }
        state.refresh();
        if state == *self {
            self
        } else {
            Rc::new(state)
        }
    }
}
