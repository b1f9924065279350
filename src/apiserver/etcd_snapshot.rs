//! etcd backups (`etcdctl snapshot save`, `etcdutl snapshot restore`): a snapshot is every
//! object the store holds; restoring it makes the store hold exactly those objects again.
//! The restore is written as ordinary changes, so every watcher (informers, kubelets) sees the
//! cluster go back and reconciles to it: pods created since the snapshot are killed, pods
//! deleted since come back.
use super::{storage_key, ApiServer};
use crate::api::{Key, ObjectRef};

impl ApiServer {
    /// The whole store, as a snapshot file holds it.
    pub fn snapshot(&self) -> Vec<ObjectRef> {
        self.etcd.range("/registry/").map(|r| r.value.clone()).collect()
    }

    /// Makes the store hold exactly `objects`; returns the revision after the restore.
    pub fn restore(&mut self, objects: &[ObjectRef]) -> i64 {
        let wanted: std::collections::BTreeMap<String, &ObjectRef> = objects.iter().map(|o| (storage_key(&Key::of(o)), o)).collect();
        let stale: Vec<String> =
            self.etcd.range("/registry/").map(|r| storage_key(&Key::of(&r.value))).filter(|k| !wanted.contains_key(k)).collect();
        for key in stale {
            let _ = self.etcd.delete(&key, None);
        }
        for (key, object) in wanted {
            if self.etcd.get(&key).is_some_and(|r| r.value == *object) {
                continue;
            }
            let mut value = (**object).clone();
            value.metadata_mut().resource_version = Some((self.etcd.revision() + 1).to_string());
            let _ = self.etcd.put(&key, std::sync::Arc::new(value), None);
        }
        self.etcd.revision()
    }
}
