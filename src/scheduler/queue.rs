//! The scheduling queue (`internal/queue/scheduling_queue.go`): activeQ ordered by priority,
//! then by the time the pod was queued (PrioritySort); backoffQ, where a pod that failed waits
//! 1 s, doubling per attempt up to 10 s; and the unschedulable pods, which wait for a cluster
//! event that may help them (or five minutes). Pods with scheduling gates wait apart.
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};

use crate::api::Key;

/// How long an unschedulable pod waits before it is retried anyway
/// (`podMaxInUnschedulablePodsDuration`), and how often the queue checks (`flushUnschedulablePodsLeftover`).
const MAX_UNSCHEDULABLE_MS: u64 = 5 * 60 * 1000;
const UNSCHEDULABLE_FLUSH_PERIOD_MS: u64 = 30 * 1000;

/// A change in the cluster that may make unschedulable pods schedulable
/// (`framework.ClusterEvent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterEvent {
    NodeAdd,
    NodeUpdate,
    AssignedPodAdd,
    AssignedPodDelete,
    VolumeChange,
    NamespaceChange,
}

impl ClusterEvent {
    /// Whether a pod rejected by these plugins may fit after the event (the plugins'
    /// `EventsToRegister`, without the finer queueing hints).
    fn may_help(self, plugins: &BTreeSet<&'static str>) -> bool {
        let cares = |p: &str| match self {
            ClusterEvent::NodeAdd | ClusterEvent::NodeUpdate => true,
            ClusterEvent::AssignedPodAdd => matches!(p, "InterPodAffinity" | "PodTopologySpread"),
            ClusterEvent::AssignedPodDelete => {
                matches!(p, "NodeResourcesFit" | "NodePorts" | "InterPodAffinity" | "PodTopologySpread")
            }
            ClusterEvent::VolumeChange => p == "VolumeBinding",
            ClusterEvent::NamespaceChange => p == "InterPodAffinity",
        };
        plugins.is_empty() || plugins.iter().any(|p| cares(p))
    }
}

/// Where a pod is in the queue.
#[derive(Clone, Debug)]
enum Place {
    Active { seq: u64 },
    Backoff { until: u64 },
    Unschedulable { plugins: BTreeSet<&'static str> },
    Gated,
    InFlight,
}

#[derive(Clone, Debug)]
struct Queued {
    place: Place,
    priority: i32,
    /// When the pod was last added to the queue (`QueuedPodInfo.Timestamp`).
    timestamp: u64,
    attempts: u32,
}

#[derive(Debug)]
pub struct SchedulingQueue {
    pods: HashMap<Key, Queued>,
    /// (priority, earlier first, sequence); entries whose sequence no longer matches the
    /// pod's place are stale and skipped.
    active: BinaryHeap<(i32, Reverse<u64>, Reverse<u64>, Key)>,
    /// Indexes of backoffQ by expiry and of the unschedulable pods by when they failed, so
    /// that events and timers do not scan every pending pod.
    backoff: BTreeSet<(u64, Key)>,
    unschedulable: BTreeSet<(u64, Key)>,
    next_seq: u64,
    initial_backoff_ms: u64,
    max_backoff_ms: u64,
}

impl Default for SchedulingQueue {
    fn default() -> Self {
        SchedulingQueue {
            pods: HashMap::new(),
            active: BinaryHeap::new(),
            backoff: BTreeSet::new(),
            unschedulable: BTreeSet::new(),
            next_seq: 0,
            initial_backoff_ms: 1000,
            max_backoff_ms: 10_000,
        }
    }
}

impl SchedulingQueue {
    pub fn set_backoff(&mut self, initial_ms: u64, max_ms: u64) {
        (self.initial_backoff_ms, self.max_backoff_ms) = (initial_ms, max_ms);
    }

    /// Moves a pod to a new place, keeping the indexes in step.
    fn set_place(&mut self, key: &Key, place: Place) {
        let Some(q) = self.pods.get_mut(key) else { return };
        match q.place {
            Place::Backoff { until } => {
                self.backoff.remove(&(until, key.clone()));
            }
            Place::Unschedulable { .. } => {
                self.unschedulable.remove(&(q.timestamp, key.clone()));
            }
            _ => {}
        }
        match &place {
            Place::Backoff { until } => {
                self.backoff.insert((*until, key.clone()));
            }
            Place::Unschedulable { .. } => {
                self.unschedulable.insert((q.timestamp, key.clone()));
            }
            Place::Active { seq } => self.active.push((q.priority, Reverse(q.timestamp), Reverse(*seq), key.clone())),
            _ => {}
        }
        q.place = place;
    }

    fn activate(&mut self, key: &Key) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.set_place(key, Place::Active { seq });
    }

    /// A pod the scheduler has not seen, or an update of one it holds. A gated pod waits
    /// apart; an update of a waiting pod (its gates removed, its spec changed) retries it.
    pub fn add_or_update(&mut self, key: &Key, priority: i32, gated: bool, now: u64) {
        match self.pods.get_mut(key) {
            None => {
                let place = if gated { Place::Gated } else { Place::InFlight };
                self.pods.insert(key.clone(), Queued { place, priority, timestamp: now, attempts: 0 });
                if !gated {
                    self.activate(key);
                }
            }
            Some(q) => {
                q.priority = priority;
                match (&q.place, gated) {
                    (_, true) => self.set_place(key, Place::Gated),
                    (Place::Gated | Place::Unschedulable { .. }, false) => self.requeue(key, now),
                    _ => {}
                }
            }
        }
    }

    pub fn remove(&mut self, key: &Key) {
        self.set_place(key, Place::InFlight);
        self.pods.remove(key);
    }

    pub fn contains(&self, key: &Key) -> bool {
        self.pods.contains_key(key)
    }

    /// Whether a pod is waiting for its scheduling gates to be removed.
    pub fn is_gated(&self, key: &Key) -> bool {
        self.pods.get(key).is_some_and(|q| matches!(q.place, Place::Gated))
    }

    pub fn has_active(&self) -> bool {
        !self.active.is_empty()
    }

    /// The next pod to schedule; it counts as an attempt.
    pub fn pop(&mut self) -> Option<Key> {
        while let Some((_, _, Reverse(seq), key)) = self.active.pop() {
            let Some(q) = self.pods.get_mut(&key) else { continue };
            if matches!(q.place, Place::Active { seq: s } if s == seq) {
                q.attempts = q.attempts.saturating_add(1);
                self.set_place(&key, Place::InFlight);
                return Some(key);
            }
        }
        None
    }

    /// `calculateBackoffDuration`: the initial backoff doubled per attempt after the first.
    fn backoff_ms(&self, attempts: u32) -> u64 {
        let mut d = self.initial_backoff_ms;
        for _ in 1..attempts {
            if d > self.max_backoff_ms / 2 {
                return self.max_backoff_ms;
            }
            d *= 2;
        }
        d.min(self.max_backoff_ms)
    }

    /// A pod that fit nowhere waits for an event that may help; `plugins` rejected it.
    pub fn unschedulable(&mut self, key: &Key, plugins: BTreeSet<&'static str>, now: u64) {
        self.set_place(key, Place::InFlight);
        if let Some(q) = self.pods.get_mut(key) {
            q.timestamp = now;
        }
        self.set_place(key, Place::Unschedulable { plugins });
    }

    /// A pod whose attempt failed for another reason (a conflict while binding) backs off.
    pub fn backoff(&mut self, key: &Key, now: u64) {
        self.set_place(key, Place::InFlight);
        if let Some(q) = self.pods.get_mut(key) {
            q.timestamp = now;
        }
        self.requeue(key, now);
    }

    /// To activeQ if its backoff is over, else to backoffQ.
    fn requeue(&mut self, key: &Key, now: u64) {
        let Some(q) = self.pods.get(key) else { return };
        let until = q.timestamp.saturating_add(self.backoff_ms(q.attempts));
        if q.attempts == 0 || until <= now {
            self.activate(key);
        } else {
            self.set_place(key, Place::Backoff { until });
        }
    }

    /// `MoveAllToActiveOrBackoffQueue` for the pods this event may help.
    pub fn on_cluster_event(&mut self, event: ClusterEvent, now: u64) {
        let keys: Vec<Key> = self
            .unschedulable
            .iter()
            .filter(|(_, k)| {
                self.pods.get(k).is_some_and(|q| matches!(&q.place, Place::Unschedulable { plugins } if event.may_help(plugins)))
            })
            .map(|(_, k)| k.clone())
            .collect();
        for key in keys {
            self.requeue(&key, now);
        }
    }

    /// Moves pods whose backoff is over, and pods unschedulable for more than five minutes at
    /// one of the periodic checks.
    pub fn flush(&mut self, now: u64) {
        let done: Vec<Key> = self.backoff.iter().take_while(|(until, _)| *until <= now).map(|(_, k)| k.clone()).collect();
        for key in done {
            self.activate(&key);
        }
        let leftover: Vec<Key> =
            self.unschedulable.iter().take_while(|(since, _)| self.leftover_at(*since) <= now).map(|(_, k)| k.clone()).collect();
        for key in leftover {
            self.requeue(&key, now);
        }
    }

    /// The first periodic check at which a pod unschedulable since `since` has waited more
    /// than five minutes.
    fn leftover_at(&self, since: u64) -> u64 {
        let after = since.saturating_add(MAX_UNSCHEDULABLE_MS).saturating_add(1);
        after.div_ceil(UNSCHEDULABLE_FLUSH_PERIOD_MS).saturating_mul(UNSCHEDULABLE_FLUSH_PERIOD_MS)
    }

    /// When the queue next has something to move, for the cluster's timer.
    pub fn next_due(&self) -> Option<u64> {
        let backoff = self.backoff.first().map(|(until, _)| *until);
        let leftover = self.unschedulable.first().map(|(since, _)| self.leftover_at(*since));
        backoff.into_iter().chain(leftover).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key::new("Pod", "default", name)
    }

    #[test]
    fn higher_priority_first_then_earlier() {
        let mut q = SchedulingQueue::default();
        q.add_or_update(&key("low"), 0, false, 0);
        q.add_or_update(&key("high"), 100, false, 5);
        q.add_or_update(&key("low2"), 0, false, 1);
        assert_eq!(q.pop(), Some(key("high")));
        assert_eq!(q.pop(), Some(key("low")));
        assert_eq!(q.pop(), Some(key("low2")));
    }

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        let q = SchedulingQueue::default();
        let backoffs: Vec<u64> = (1..=6).map(|a| q.backoff_ms(a)).collect();
        assert_eq!(backoffs, [1000, 2000, 4000, 8000, 10_000, 10_000]);
    }

    #[test]
    fn unschedulable_pods_move_on_events_that_may_help_or_after_five_minutes() {
        let mut q = SchedulingQueue::default();
        q.add_or_update(&key("a"), 0, false, 0);
        assert_eq!(q.pop(), Some(key("a")));
        q.unschedulable(&key("a"), BTreeSet::from(["NodeResourcesFit"]), 0);
        q.on_cluster_event(ClusterEvent::AssignedPodAdd, 5000);
        assert!(!q.has_active());
        assert_eq!(q.next_due(), Some(330_000));
        q.on_cluster_event(ClusterEvent::AssignedPodDelete, 500);
        assert_eq!(q.next_due(), Some(1000));
        q.flush(1000);
        assert_eq!(q.pop(), Some(key("a")));
    }
}
