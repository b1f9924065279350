//! The PersistentVolume controller (`pkg/controller/volume/persistentvolume`) and the
//! cluster's simulated storage provisioner. A Pending claim is bound to the smallest Available
//! volume that fits (storage class, access modes, capacity); a claim of the default class
//! `standard` that finds none gets a volume `pvc-<claim uid>` provisioned for it after a short
//! delay, as minikube's hostPath provisioner does. When a claim is deleted its volume is
//! Released, and deleted too if its reclaim policy is Delete.
use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{
    HostPathVolumeSource, ObjectReference, PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimStatus, PersistentVolumeSpec,
    PersistentVolumeStatus,
};

use crate::api::quantity::parse_milli;
use crate::api::{Key, Object, ObjectMeta};
use crate::apiserver::{timestamp, Client, WatchEvent, WatchEventType};

use super::{Controller, Store, WorkQueue};

/// The default StorageClass (what the DefaultStorageClass admission plugin gives a claim that
/// names none) and its provisioner.
const DEFAULT_CLASS: &str = "standard";
const PROVISIONER: &str = "k8s.io/minikube-hostpath";
/// How long the provisioner takes to make a volume.
const PROVISION_MS: u64 = 1_000;
const BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";

#[derive(Default)]
pub struct PersistentVolumeController {
    volumes: Store,
    claims: Store,
    /// Claims (by uid) that were handed to the provisioner, with the time their volume is
    /// ready (never, for claims that were told why none can be made): each is announced once.
    announced: HashMap<String, u64>,
    queue: WorkQueue,
}

fn claim_class(claim: &PersistentVolumeClaim) -> &str {
    claim.spec.as_ref().and_then(|s| s.storage_class_name.as_deref()).unwrap_or(DEFAULT_CLASS)
}

fn storage(capacity: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>) -> i128 {
    capacity.and_then(|c| c.get("storage")).and_then(|q| parse_milli(&q.0).ok()).unwrap_or(0)
}

fn request(claim: &PersistentVolumeClaim) -> i128 {
    storage(claim.spec.as_ref().and_then(|s| s.resources.as_ref()).and_then(|r| r.requests.as_ref()))
}

fn capacity(pv: &PersistentVolume) -> i128 {
    storage(pv.spec.as_ref().and_then(|s| s.capacity.as_ref()))
}

fn claim_ref(claim: &PersistentVolumeClaim) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("PersistentVolumeClaim".into()),
        name: claim.metadata.name.clone(),
        namespace: claim.metadata.namespace.clone(),
        uid: claim.metadata.uid.clone(),
        resource_version: claim.metadata.resource_version.clone(),
        ..Default::default()
    }
}

fn is_for(pv: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let r = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref());
    r.is_some_and(|r| {
        r.name == claim.metadata.name
            && r.namespace == claim.metadata.namespace
            && r.uid.as_ref().is_none_or(|u| Some(u) == claim.metadata.uid.as_ref())
    })
}

/// `findMatchingVolume`: a volume reserved for this claim, else the smallest unclaimed one of
/// the claim's class that offers every access mode it asks for and at least its request.
fn best_match<'a>(claim: &PersistentVolumeClaim, volumes: impl Iterator<Item = &'a PersistentVolume>) -> Option<&'a PersistentVolume> {
    let wanted = claim.spec.as_ref().and_then(|s| s.access_modes.clone()).unwrap_or_default();
    let mut best: Option<&PersistentVolume> = None;
    for pv in volumes.filter(|pv| pv.metadata.deletion_timestamp.is_none()) {
        let Some(spec) = pv.spec.as_ref() else { continue };
        if is_for(pv, claim) {
            return Some(pv);
        }
        let modes = spec.access_modes.as_deref().unwrap_or_default();
        let fits = spec.claim_ref.is_none()
            && spec.storage_class_name.as_deref().unwrap_or("") == claim_class(claim)
            && wanted.iter().all(|m| modes.contains(m))
            && capacity(pv) >= request(claim);
        if fits && best.is_none_or(|b| capacity(pv) < capacity(b)) {
            best = Some(pv);
        }
    }
    best
}

impl Controller for PersistentVolumeController {
    fn name(&self) -> &'static str {
        "persistentvolume-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::PersistentVolume(_) | Object::PersistentVolumeClaim(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        match &*event.object {
            Object::PersistentVolume(pv) => {
                self.volumes.apply(event);
                self.queue.add(Key::of(&event.object));
                if let Some(r) = pv.spec.as_ref().and_then(|s| s.claim_ref.as_ref()) {
                    self.queue.add(Key::new(
                        "PersistentVolumeClaim",
                        r.namespace.as_deref().unwrap_or(""),
                        r.name.as_deref().unwrap_or(""),
                    ));
                }
            }
            Object::PersistentVolumeClaim(claim) => {
                self.claims.apply(event);
                self.queue.add(Key::of(&event.object));
                if event.event_type == WatchEventType::Deleted {
                    let bound: Vec<Key> = self
                        .volumes
                        .values()
                        .filter(|v| matches!(&***v, Object::PersistentVolume(pv) if is_for(pv, claim)))
                        .map(|v| Key::of(v))
                        .collect();
                    bound.into_iter().for_each(|k| self.queue.add(k));
                }
            }
            _ => {}
        }
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        match self.claims.get(key).or_else(|| self.volumes.get(key)).map(|o| (**o).clone()) {
            Some(Object::PersistentVolumeClaim(claim)) => self.sync_claim(key, &claim, client),
            Some(Object::PersistentVolume(pv)) => self.sync_volume(key, &pv, client),
            _ => {}
        }
    }
}

impl PersistentVolumeController {
    fn volumes(&self) -> impl Iterator<Item = &PersistentVolume> {
        self.volumes.values().filter_map(|v| if let Object::PersistentVolume(pv) = &**v { Some(pv) } else { None })
    }

    /// `syncUnboundClaim`: bind, provision, or say why neither can happen.
    fn sync_claim(&mut self, key: &Key, claim: &PersistentVolumeClaim, client: &mut Client) {
        let phase = claim.status.as_ref().and_then(|s| s.phase.as_deref());
        if claim.metadata.deletion_timestamp.is_some() || phase == Some("Bound") || phase == Some("Lost") {
            return;
        }
        let named = claim.spec.as_ref().and_then(|s| s.volume_name.clone());
        let volume = match &named {
            Some(name) => self.volumes().find(|pv| {
                pv.metadata.name.as_ref() == Some(name) && pv.spec.as_ref().is_some_and(|s| s.claim_ref.is_none() || is_for(pv, claim))
            }),
            None => best_match(claim, self.volumes()),
        };
        if let Some(pv) = volume.cloned() {
            bind(&pv, claim, named.is_none(), client);
            return;
        }
        if named.is_some() {
            return;
        }
        let uid = claim.metadata.uid.clone().unwrap_or_default();
        let claim_obj = Object::PersistentVolumeClaim(claim.clone());
        let now = client.now_ms();
        let due = self.announced.get(&uid).copied();
        match claim_class(claim) {
            DEFAULT_CLASS => {
                if due.is_none() {
                    self.announced.insert(uid, now.saturating_add(PROVISION_MS));
                    // The controller hands the claim to the class's (external) provisioner.
                    let _ = client.patch(key, "update", |o| {
                        if let Object::PersistentVolumeClaim(c) = o {
                            let annotations = c.metadata.annotations.get_or_insert_with(BTreeMap::new);
                            annotations.insert("volume.beta.kubernetes.io/storage-provisioner".into(), PROVISIONER.into());
                            annotations.insert("volume.kubernetes.io/storage-provisioner".into(), PROVISIONER.into());
                        }
                    });
                    client.event(&claim_obj, "Normal", "ExternalProvisioning", format!("Waiting for a volume to be created either by the external provisioner '{PROVISIONER}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."));
                    self.queue.add_at(key.clone(), now.saturating_add(PROVISION_MS));
                } else if due.is_some_and(|due| due <= now) {
                    self.announced.insert(uid, u64::MAX);
                    provision(claim, client);
                }
            }
            "" => {
                if self.announced.insert(uid, u64::MAX).is_none() {
                    client.event(
                        &claim_obj,
                        "Normal",
                        "FailedBinding",
                        "no persistent volumes available for this claim and no storage class is set".into(),
                    );
                }
            }
            class => {
                if self.announced.insert(uid, u64::MAX).is_none() {
                    client.event(&claim_obj, "Warning", "ProvisioningFailed", format!("storageclass.storage.k8s.io {class:?} not found"));
                }
            }
        }
    }

    /// `syncVolume`: an unclaimed volume is Available; a volume whose claim is gone is
    /// Released, then deleted if its reclaim policy is Delete.
    fn sync_volume(&mut self, key: &Key, pv: &PersistentVolume, client: &mut Client) {
        let phase = pv.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
        let Some(spec) = pv.spec.as_ref() else { return };
        let Some(r) = spec.claim_ref.as_ref() else {
            if phase != "Available" && phase != "Failed" {
                set_volume_phase(key, "Available", client);
            }
            return;
        };
        let claim_key = Key::new("PersistentVolumeClaim", r.namespace.as_deref().unwrap_or(""), r.name.as_deref().unwrap_or(""));
        let claim_exists = self.claims.get(&claim_key).is_some_and(|c| r.uid.is_none() || c.metadata().uid == r.uid);
        if claim_exists {
            return;
        }
        // A volume reserved for a claim not yet made stays Available (`claimRef` without uid).
        if r.uid.is_none() {
            return;
        }
        if phase != "Released" && phase != "Failed" {
            set_volume_phase(key, "Released", client);
        }
        if spec.persistent_volume_reclaim_policy.as_deref() == Some("Delete") {
            let _ = client.delete(key, None);
        }
    }
}

fn set_volume_phase(key: &Key, phase: &str, client: &mut Client) {
    let now = client.now_ms();
    let _ = client.patch(key, "update status", |o| {
        if let Object::PersistentVolume(pv) = o {
            pv.status = Some(PersistentVolumeStatus {
                phase: Some(phase.into()),
                last_phase_transition_time: Some(timestamp(now)),
                ..Default::default()
            });
        }
    });
}

/// `bind`: the volume names the claim and the claim the volume; both become Bound and the
/// claim reports the volume's access modes and capacity.
fn bind(pv: &PersistentVolume, claim: &PersistentVolumeClaim, by_controller: bool, client: &mut Client) {
    let reference = claim_ref(claim);
    let pv_key = Key::new("PersistentVolume", "", pv.metadata.name.as_deref().unwrap_or(""));
    let claimed = client.patch(&pv_key, "update", |o| {
        if let Object::PersistentVolume(pv) = o {
            let spec = pv.spec.get_or_insert_with(Default::default);
            if spec.claim_ref.is_none() {
                spec.claim_ref = Some(reference);
                pv.metadata.annotations.get_or_insert_with(BTreeMap::new).insert(BOUND_BY_CONTROLLER.into(), "yes".into());
            }
        }
    });
    if claimed.is_err() {
        return;
    }
    if pv.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Bound") {
        set_volume_phase(&pv_key, "Bound", client);
    }
    let volume_name = pv.metadata.name.clone();
    let (modes, capacity) = (pv.spec.as_ref().and_then(|s| s.access_modes.clone()), pv.spec.as_ref().and_then(|s| s.capacity.clone()));
    let claim_key =
        Key::new("PersistentVolumeClaim", claim.metadata.namespace.as_deref().unwrap_or(""), claim.metadata.name.as_deref().unwrap_or(""));
    let _ = client.patch(&claim_key, "update", |o| {
        if let Object::PersistentVolumeClaim(c) = o {
            c.spec.get_or_insert_with(Default::default).volume_name = volume_name;
            let annotations = c.metadata.annotations.get_or_insert_with(BTreeMap::new);
            annotations.insert("pv.kubernetes.io/bind-completed".into(), "yes".into());
            if by_controller {
                annotations.insert(BOUND_BY_CONTROLLER.into(), "yes".into());
            }
        }
    });
    let _ = client.patch(&claim_key, "update status", |o| {
        if let Object::PersistentVolumeClaim(c) = o {
            c.status =
                Some(PersistentVolumeClaimStatus { phase: Some("Bound".into()), access_modes: modes, capacity, ..Default::default() });
        }
    });
}

/// The provisioner's work: a hostPath volume of the requested size, reserved for the claim.
fn provision(claim: &PersistentVolumeClaim, client: &mut Client) {
    let (namespace, name) = (claim.metadata.namespace.clone().unwrap_or_default(), claim.metadata.name.clone().unwrap_or_default());
    let pv_name = format!("pvc-{}", claim.metadata.uid.as_deref().unwrap_or(""));
    let claim_obj = Object::PersistentVolumeClaim(claim.clone());
    client.event(
        &claim_obj,
        "Normal",
        "Provisioning",
        format!("External provisioner is provisioning volume for claim \"{namespace}/{name}\""),
    );
    let spec = claim.spec.clone().unwrap_or_default();
    let pv = PersistentVolume {
        metadata: ObjectMeta {
            name: Some(pv_name.clone()),
            annotations: Some(BTreeMap::from([("pv.kubernetes.io/provisioned-by".to_string(), PROVISIONER.to_string())])),
            ..Default::default()
        },
        spec: Some(PersistentVolumeSpec {
            access_modes: spec.access_modes,
            capacity: spec
                .resources
                .and_then(|r| r.requests)
                .and_then(|r| r.get("storage").cloned())
                .map(|q| BTreeMap::from([("storage".to_string(), q)])),
            claim_ref: Some(claim_ref(claim)),
            host_path: Some(HostPathVolumeSource {
                path: format!("/tmp/hostpath-provisioner/{namespace}/{name}"),
                type_: Some(String::new()),
            }),
            persistent_volume_reclaim_policy: Some("Delete".into()),
            storage_class_name: Some(DEFAULT_CLASS.into()),
            volume_mode: Some(spec.volume_mode.unwrap_or_else(|| "Filesystem".into())),
            ..Default::default()
        }),
        status: Some(PersistentVolumeStatus { phase: Some("Pending".into()), ..Default::default() }),
    };
    match client.create(Object::PersistentVolume(pv)) {
        Ok(_) => client.event(&claim_obj, "Normal", "ProvisioningSucceeded", format!("Successfully provisioned volume {pv_name}")),
        Err(e) => client.event(
            &claim_obj,
            "Warning",
            "ProvisioningFailed",
            format!("failed to provision volume with StorageClass {DEFAULT_CLASS:?}: {}", e.message),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{PersistentVolumeClaimSpec, VolumeResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    fn pv(name: &str, size: &str, class: &str, modes: &[&str]) -> PersistentVolume {
        PersistentVolume {
            metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
            spec: Some(PersistentVolumeSpec {
                capacity: Some(BTreeMap::from([("storage".to_string(), Quantity(size.into()))])),
                storage_class_name: Some(class.into()).filter(|c: &String| !c.is_empty()),
                access_modes: Some(modes.iter().map(|m| m.to_string()).collect()),
                ..Default::default()
            }),
            status: None,
        }
    }

    fn claim(size: &str, class: Option<&str>) -> PersistentVolumeClaim {
        PersistentVolumeClaim {
            metadata: ObjectMeta {
                name: Some("data".into()),
                namespace: Some("default".into()),
                uid: Some("u1".into()),
                ..Default::default()
            },
            spec: Some(PersistentVolumeClaimSpec {
                access_modes: Some(vec!["ReadWriteOnce".into()]),
                storage_class_name: class.map(String::from),
                resources: Some(VolumeResourceRequirements {
                    requests: Some(BTreeMap::from([("storage".to_string(), Quantity(size.into()))])),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            status: None,
        }
    }

    #[test]
    fn the_smallest_volume_that_fits_wins() {
        let volumes = [
            pv("big", "10Gi", "", &["ReadWriteOnce"]),
            pv("small", "1Gi", "", &["ReadWriteOnce"]),
            pv("tiny", "500Mi", "", &["ReadWriteOnce"]),
            pv("rox", "1Gi", "", &["ReadOnlyMany"]),
            pv("classy", "1Gi", "fast", &["ReadWriteOnce"]),
        ];
        let name = |c: &PersistentVolumeClaim| best_match(c, volumes.iter()).and_then(|p| p.metadata.name.clone());
        assert_eq!(name(&claim("1Gi", Some(""))).as_deref(), Some("small"));
        assert_eq!(name(&claim("2Gi", Some(""))).as_deref(), Some("big"));
        assert_eq!(name(&claim("1Gi", Some("fast"))).as_deref(), Some("classy"));
        assert_eq!(name(&claim("1Gi", None)), None, "no standard volume: provision one");
        assert_eq!(name(&claim("20Gi", Some(""))), None);
    }
}
