//! etcd: the cluster's only persistent state, as an MVCC key-value store.
//!
//! Every write gets the next revision of the whole store; an object's `resourceVersion` is the
//! revision of its last write (`mod_revision`). A write can be made conditional on the key's
//! current `mod_revision` (etcd's compare-and-swap transaction), which is how the API server
//! implements optimistic concurrency. Every change is kept in a history so that a watcher can
//! ask for everything after a revision.
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

/// The compare of a compare-and-swap failed: the key's revision is no longer the expected one.
#[derive(Debug, PartialEq, Eq)]
pub struct CompareFailed;

#[derive(Default)]
pub struct Etcd {
    revision: i64,
    keys: BTreeMap<String, Record>,
    history: Vec<Change>,
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
    pub fn put(&mut self, key: &str, value: ObjectRef, expected_mod_revision: Option<i64>) -> Result<i64, CompareFailed> {
        let current = self.keys.get(key);
        if let Some(expected) = expected_mod_revision {
            if current.map_or(0, |r| r.mod_revision) != expected {
                return Err(CompareFailed);
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
        Ok(revision)
    }

    /// Deletes a key at the next revision, if it is at `expected_mod_revision` (when given).
    pub fn delete(&mut self, key: &str, expected_mod_revision: Option<i64>) -> Result<i64, CompareFailed> {
        let Some(current) = self.keys.get(key) else { return Err(CompareFailed) };
        if expected_mod_revision.is_some_and(|e| e != current.mod_revision) {
            return Err(CompareFailed);
        }
        self.revision += 1;
        let prev = self.keys.remove(key).map(|r| r.value);
        self.history.push(Change { revision: self.revision, key: key.to_string(), value: None, prev });
        Ok(self.revision)
    }

    /// Every change after `revision`, oldest first: what a watch from that revision receives.
    pub fn changes_since(&self, revision: i64) -> &[Change] {
        let start = self.history.partition_point(|c| c.revision <= revision);
        &self.history[start..]
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
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(0)), Err(CompareFailed), "already exists");
        assert_eq!(etcd.put("/registry/namespaces/b", ns("b"), None), Ok(2));
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(1)), Ok(3));
        assert_eq!(etcd.put("/registry/namespaces/a", ns("a"), Some(1)), Err(CompareFailed), "stale revision");
        let a = etcd.get("/registry/namespaces/a").unwrap();
        assert_eq!((a.create_revision, a.mod_revision, a.version), (1, 3, 2));
        assert_eq!(etcd.delete("/registry/namespaces/b", None), Ok(4));
        let since: Vec<_> = etcd.changes_since(2).iter().map(|c| (c.revision, c.value.is_some())).collect();
        assert_eq!(since, [(3, true), (4, false)]);
        assert_eq!(etcd.range("/registry/namespaces/").count(), 1);
    }
}
