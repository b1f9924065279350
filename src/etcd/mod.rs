//! etcd: the cluster's only persistent state, as an MVCC key-value store.
//!
//! Every write gets the next revision of the whole store; an object's `resourceVersion` is the
//! revision of its last write (`mod_revision`). A write can be made conditional on the key's
//! current `mod_revision` (etcd's compare-and-swap transaction), which is how the API server
//! implements optimistic concurrency. Every change is kept in a history so that a watcher can
//! ask for everything after a revision, and the whole state at any revision since the last
//! compaction can be rebuilt (from the nearest checkpoint, replaying the history after it).
//! The store is replicated by its members (`raft.rs`): a write needs their leader.
pub mod raft;

use std::collections::BTreeMap;

use crate::api::ObjectRef;

/// A key's current value with its revisions, as etcd's `mvccpb.KeyValue`.
#[derive(Clone, Debug)]
pub struct Record {
    pub create_revision: i64,
    pub mod_revision: i64,
    /// How many times the key was written since it was created.
    pub version: i64,
    pub value: ObjectRef,
}

/// One entry of the history: a put (`value` is `Some`) or a delete, at `revision`.
#[derive(Clone, Debug)]
pub struct Change {
    pub revision: i64,
    pub key: String,
    pub value: Option<ObjectRef>,
    /// The value before this change, which a watcher needs for a DELETED event.
    pub prev: Option<ObjectRef>,
}

/// Why a write did not happen.
#[derive(Debug, PartialEq, Eq)]
pub enum WriteError {
    /// The compare of a compare-and-swap failed: the key's revision is no longer the expected one.
    CompareFailed,
    /// The members have no leader (etcd's error message): nothing was written.
    Unavailable(&'static str),
}

/// A read asked for a revision that compaction has removed (etcd's `ErrCompacted`).
#[derive(Debug, PartialEq, Eq)]
pub struct Compacted {
    /// The oldest revision still readable.
    pub compact_revision: i64,
}

/// How many revisions apart the snapshots that `state_at` replays from are: a scrub over the
/// timeline replays at most this many changes per revision.
const CHECKPOINT_EVERY: i64 = 64;

/// Every key's value at one revision.
pub type State = BTreeMap<String, ObjectRef>;

#[derive(Default)]
pub struct Etcd {
    /// The members and their leader.
    pub raft: raft::Raft,
    revision: i64,
    keys: BTreeMap<String, Record>,
    history: Vec<Change>,
    /// The revision of the last compaction: the history holds only later changes.
    compact_revision: i64,
    /// The state at every multiple of `CHECKPOINT_EVERY` since the compaction, and at the
    /// compaction revision itself (the first entry).
    checkpoints: BTreeMap<i64, State>,
}

impl Etcd {
    /// The store's current revision: the revision of its latest write.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    pub fn get(&self, key: &str) -> Option<&Record> {
        self.keys.get(key)
    }

    /// Every key under `prefix`, in key order (etcd's range request).
    pub fn range<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.keys.range(prefix.to_string()..).take_while(move |(k, _)| k.starts_with(prefix)).map(|(_, r)| r)
    }

    /// Writes `value` at the next revision. With `expected_mod_revision`, the write only happens
    /// if the key is currently at that revision (0 means "must not exist").
    pub fn put(&mut self, key: &str, value: ObjectRef, expected_mod_revision: Option<i64>) -> Result<i64, WriteError> {
        self.writable()?;
        let current = self.keys.get(key);
        if let Some(expected) = expected_mod_revision {
            if current.map_or(0, |r| r.mod_revision) != expected {
                return Err(WriteError::CompareFailed);
            }
        }
        self.revision += 1;
        let revision = self.revision;
        let prev = current.map(|r| r.value.clone());
        let record = Record {
            create_revision: current.map_or(revision, |r| r.create_revision),
            mod_revision: revision,
            version: current.map_or(1, |r| r.version + 1),
            value: value.clone(),
        };
        self.keys.insert(key.to_string(), record);
        self.history.push(Change { revision, key: key.to_string(), value: Some(value), prev });
        self.checkpoint();
        Ok(revision)
    }

    /// Deletes a key at the next revision, if it is at `expected_mod_revision` (when given).
    pub fn delete(&mut self, key: &str, expected_mod_revision: Option<i64>) -> Result<i64, WriteError> {
        self.writable()?;
        let Some(current) = self.keys.get(key) else { return Err(WriteError::CompareFailed) };
        if expected_mod_revision.is_some_and(|e| e != current.mod_revision) {
            return Err(WriteError::CompareFailed);
        }
        self.revision += 1;
        let prev = self.keys.remove(key).map(|r| r.value);
        self.history.push(Change { revision: self.revision, key: key.to_string(), value: None, prev });
        self.checkpoint();
        Ok(self.revision)
    }

    /// A transaction is a Raft proposal: without a leader it is never committed, so it fails
    /// before it consumes a revision.
    pub fn writable(&self) -> Result<(), WriteError> {
        self.raft.unavailable().map_or(Ok(()), |e| Err(WriteError::Unavailable(e)))
    }

    fn checkpoint(&mut self) {
        if self.revision % CHECKPOINT_EVERY == 0 {
            let state = self.keys.iter().map(|(k, r)| (k.clone(), r.value.clone())).collect();
            self.checkpoints.insert(self.revision, state);
        }
    }

    /// The oldest revision still readable: reads and watches from before it fail.
    pub fn compact_revision(&self) -> i64 {
        self.compact_revision
    }

    /// Every change after `revision`, oldest first: what a watch from that revision receives.
    /// A watch from before the last compaction cannot be served.
    pub fn changes_since(&self, revision: i64) -> Result<&[Change], Compacted> {
        if revision < self.compact_revision {
            return Err(Compacted { compact_revision: self.compact_revision });
        }
        let start = self.history.partition_point(|c| c.revision <= revision);
        Ok(&self.history[start..])
    }

    /// Forgets the history up to `revision` (etcd's Compact): the state at `revision` stays
    /// readable, older revisions no longer are.
    pub fn compact(&mut self, revision: i64) {
        let revision = revision.min(self.revision);
        if revision <= self.compact_revision {
            return;
        }
        let state = self.rebuild(revision);
        let cut = self.history.partition_point(|c| c.revision <= revision);
        self.history.drain(..cut);
        self.checkpoints = self.checkpoints.split_off(&revision);
        self.checkpoints.insert(revision, state);
        self.compact_revision = revision;
    }

    /// Every key's value at `revision` (a read at a past revision). `None` when the revision is
    /// compacted or still in the future.
    pub fn state_at(&self, revision: i64) -> Option<State> {
        (self.compact_revision..=self.revision).contains(&revision).then(|| self.rebuild(revision))
    }

    /// The state at a retained revision: the nearest checkpoint at or before it, then the
    /// history up to it replayed over that.
    fn rebuild(&self, revision: i64) -> State {
        let (from, mut state) = self.checkpoints.range(..=revision).next_back().map_or((0, State::new()), |(r, s)| (*r, s.clone()));
        let start = self.history.partition_point(|c| c.revision <= from);
        for change in self.history[start..].iter().take_while(|c| c.revision <= revision) {
            match &change.value {
                Some(v) => state.insert(change.key.clone(), v.clone()),
                None => state.remove(&change.key),
            };
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Namespace, Object};
    use std::sync::Arc;

    fn ns(name: &str) -> ObjectRef {
        let mut n = Namespace::default();
        n.metadata.name = Some(name.to_string());
        Arc::new(Object::Namespace(n))
    }

    #[test]
    fn revisions_compare_and_swap_and_watch_history() {
        let mut etcd = Etcd::default();
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(0)), Ok(1));
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(0)), Err(WriteError::CompareFailed), "already exists");
        assert_eq!(etcd.put("/registry/namespaces/b", ns("b"), None), Ok(2));
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(1)), Ok(3));
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(1)), Err(WriteError::CompareFailed), "stale revision");
        let a = etcd.get("/registry/namespaces/a").unwrap();
        assert_eq!((a.create_revision, a.mod_revision, a.version), (1, 3, 2));
        assert_eq!(etcd.delete("/registry/namespaces/b", None), Ok(4));
        let since: Vec<_> = etcd.changes_since(2).unwrap().iter().map(|c| (c.revision, c.value.is_some())).collect();
        assert_eq!(since, [(3, true), (4, false)]);
        assert_eq!(etcd.range("/registry/namespaces/").count(), 1);
    }

    #[test]
    fn without_a_leader_nothing_is_written_and_no_revision_is_used() {
        let mut etcd = Etcd::default();
        let mut rng = crate::rng::Rng::new(1);
        etcd.put("/registry/namespaces/a", ns("a"), Some(0)).unwrap();
        etcd.raft.set_running("etcd-1", false, 0, &mut rng);
        let timed_out = Err(WriteError::Unavailable(raft::ERR_TIMEOUT));
        assert_eq!(etcd.put("/registry/namespaces/b", ns("b"), Some(0)), timed_out);
        assert_eq!(etcd.delete("/registry/namespaces/a", None), timed_out);
        assert_eq!(etcd.revision(), 1);
        assert!(etcd.get("/registry/namespaces/b").is_none() && etcd.get("/registry/namespaces/a").is_some());
        etcd.raft.set_running("etcd-1", true, 0, &mut rng);
        let due = etcd.raft.next_due().unwrap();
        etcd.raft.tick(due, &mut rng);
        assert_eq!((etcd.raft.term(), etcd.put("/registry/namespaces/b", ns("b"), Some(0))), (3, Ok(2)));
    }

    fn names(state: &State) -> Vec<&str> {
        state.values().filter_map(|v| v.metadata().name.as_deref()).collect()
    }

    #[test]
    fn every_retained_revision_is_readable_and_compaction_forgets_the_rest() {
        let mut etcd = Etcd::default();
        // 300 revisions: namespace i is created at revision i, and every third one is deleted
        // again right after; checkpoints fall inside the run.
        let mut expected: Vec<Vec<String>> = vec![vec![]];
        let mut live = std::collections::BTreeSet::new();
        let mut i = 0;
        while etcd.revision() < 300 {
            i += 1;
            let name = format!("ns-{i:03}");
            etcd.put(&format!("/registry/namespaces/{name}"), ns(&name), Some(0)).unwrap();
            live.insert(name.clone());
            expected.push(live.iter().cloned().collect());
            if i % 3 == 0 {
                etcd.delete(&format!("/registry/namespaces/{name}"), None).unwrap();
                live.remove(&name);
                expected.push(live.iter().cloned().collect());
            }
        }
        for (revision, want) in expected.iter().enumerate().take(301) {
            let state = etcd.state_at(revision as i64).unwrap();
            assert_eq!(names(&state), *want, "at revision {revision}");
        }
        assert!(etcd.state_at(301).is_none(), "the future is not readable");

        etcd.compact(150);
        assert_eq!(etcd.compact_revision(), 150);
        assert!(etcd.state_at(149).is_none());
        assert_eq!(names(&etcd.state_at(150).unwrap()), expected[150]);
        assert_eq!(names(&etcd.state_at(299).unwrap()), expected[299]);
        assert_eq!(etcd.changes_since(149).unwrap_err(), Compacted { compact_revision: 150 });
        assert_eq!(etcd.changes_since(150).unwrap().first().map(|c| c.revision), Some(151));
        etcd.compact(100);
        assert_eq!(etcd.compact_revision(), 150, "compaction never goes back");
    }
}
