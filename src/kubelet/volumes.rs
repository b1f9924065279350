//! The volume manager, reduced to what a pod waits for: a PersistentVolumeClaim must be
//! Bound and a ConfigMap or Secret volume's object must exist before the containers start.
//! Until then the pod stays in ContainerCreating and the kubelet retries.
use super::pod_workers::PodWorker;
use crate::api::{Key, Object};
use crate::apiserver::Client;

/// How often the kubelet looks again at volumes that are not ready.
pub const RETRY_MS: u64 = 2_000;

/// `Ok` when every volume can be mounted; otherwise each problem's volume and FailedMount message.
pub fn check(pod: &PodWorker, client: &mut Client) -> Result<(), Vec<(String, String)>> {
    let Some(p) = pod.pod() else { return Ok(()) };
    let namespace = p.metadata.namespace.clone().unwrap_or_default();
    let mut problems = Vec::new();
    let mut unmounted = Vec::new();
    for v in p.spec.iter().flat_map(|s| s.volumes.iter().flatten()) {
        if let Some(claim) = &v.persistent_volume_claim {
            let bound = match client.get(&Key::new("PersistentVolumeClaim", &namespace, &claim.claim_name)).ok().as_deref() {
                Some(Object::PersistentVolumeClaim(c)) => c.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound"),
                _ => false,
            };
            if !bound {
                unmounted.push(v.name.clone());
            }
        }
        let source = match (&v.config_map, &v.secret) {
            (Some(cm), _) => Some(("ConfigMap", cm.name.clone(), cm.optional)),
            (_, Some(s)) => Some(("Secret", s.secret_name.clone().unwrap_or_default(), s.optional)),
            _ => None,
        };
        if let Some((kind, name, optional)) = source {
            if optional != Some(true) && client.get(&Key::new(kind, &namespace, &name)).is_err() {
                let message = format!("MountVolume.SetUp failed for volume {:?} : {} {name:?} not found", v.name, kind.to_lowercase());
                problems.push((v.name.clone(), message));
            }
        }
    }
    // WaitForAttachAndMount gives up after podAttachAndMountTimeout (2m3s) and says so; an
    // unbound claim never reaches the desired state of the world ("failed to process").
    let waited = client.now_ms().saturating_sub(pod.started_ms.unwrap_or(0));
    if !unmounted.is_empty() && waited >= 123_000 {
        let names = unmounted.join(" ");
        problems.push((
            format!("claims:{names}"),
            format!("Unable to attach or mount volumes: unmounted volumes=[{names}], unattached volumes=[], failed to process volumes=[{names}]: context deadline exceeded"),
        ));
    }
    if problems.is_empty() && unmounted.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
