//! VolumeBinding: a pod's PersistentVolumeClaims must exist and be bound, and the bound
//! volumes must be reachable from the node (`plugins/volumebinding`). kubeglass has no
//! StorageClasses, so every claim binds immediately (there is no WaitForFirstConsumer).
use k8s_openapi::api::core::v1::PersistentVolume;

use super::{Cycle, NodeInfo, Plugin, Rejection};
use crate::api::scheduling::term_matches;
use crate::api::{Key, Object};

const NAME: &str = "VolumeBinding";

pub struct VolumeBinding;

fn claims<'a>(cx: &'a Cycle) -> impl Iterator<Item = &'a str> {
    let volumes = cx.pod.pod.spec.as_ref().and_then(|s| s.volumes.as_deref()).unwrap_or(&[]);
    volumes.iter().filter_map(|v| v.persistent_volume_claim.as_ref()).map(|c| c.claim_name.as_str())
}

/// The volume a claim is bound to, if the claim names one.
fn bound_volume(cx: &Cycle, claim: &str) -> Option<String> {
    let object = cx.objects.get(&Key::new("PersistentVolumeClaim", &cx.pod.key.namespace, claim))?;
    let Object::PersistentVolumeClaim(pvc) = &*object else { return None };
    pvc.spec.as_ref().and_then(|s| s.volume_name.clone()).filter(|v| !v.is_empty())
}

impl Plugin for VolumeBinding {
    fn name(&self) -> &'static str {
        NAME
    }
    fn pre_filter(&mut self, cx: &Cycle) -> Result<bool, Rejection> {
        let mut any = false;
        let mut unbound = false;
        for claim in claims(cx) {
            any = true;
            let Some(object) = cx.objects.get(&Key::new("PersistentVolumeClaim", &cx.pod.key.namespace, claim)) else {
                return Err(Rejection::unresolvable(NAME, format!("persistentvolumeclaim {claim:?} not found")));
            };
            if object.metadata().deletion_timestamp.is_some() {
                return Err(Rejection::unresolvable(NAME, format!("persistentvolumeclaim {claim:?} is being deleted")));
            }
            unbound |= bound_volume(cx, claim).is_none();
        }
        if unbound {
            return Err(Rejection::unresolvable(NAME, "pod has unbound immediate PersistentVolumeClaims"));
        }
        Ok(any)
    }
    /// Each bound volume's node affinity must admit the node.
    fn filter(&self, cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        for claim in claims(cx) {
            let Some(volume) = bound_volume(cx, claim) else { continue };
            let pv = cx.objects.get(&Key::new("PersistentVolume", "", &volume));
            let Some(Object::PersistentVolume(pv)) = pv.as_deref() else {
                return Err(Rejection::unresolvable(NAME, "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"));
            };
            if !reachable(pv, node) {
                return Err(Rejection::unresolvable(NAME, "node(s) had volume node affinity conflict"));
            }
        }
        Ok(())
    }
}

fn reachable(pv: &PersistentVolume, node: &NodeInfo) -> bool {
    let required = pv.spec.as_ref().and_then(|s| s.node_affinity.as_ref()).and_then(|a| a.required.as_ref());
    required.is_none_or(|r| r.node_selector_terms.iter().any(|t| term_matches(t, node)))
}
