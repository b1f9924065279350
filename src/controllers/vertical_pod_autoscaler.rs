//! The Vertical Pod Autoscaler (kubernetes/autoscaler, `vertical-pod-autoscaler/`), as its
//! two control loops: the recommender (`recommender.rs`), which turns the containers' observed
//! use into requests, and the updater (`updater.rs`), which evicts pods whose requests are
//! outside the recommended range so that the admission step (`apiserver::vpa_admission`) can
//! give their replacements the recommendation. Both run every minute, as upstream's
//! `--recommender-interval` and `--updater-interval`.
mod recommender;
mod updater;

pub use recommender::VpaRecommender;
pub use updater::VpaUpdater;

use crate::api::labels::Selector;
use crate::api::vertical_pod_autoscaler::{target_kind, target_selector};
use crate::api::{Key, Pod, VerticalPodAutoscaler};
use crate::apiserver::Client;

/// `--recommender-interval` and `--updater-interval`.
const INTERVAL_MS: u64 = 60_000;

/// The selector of the VPA's target, read through the API server.
fn selector(vpa: &VerticalPodAutoscaler, client: &mut Client) -> Option<Selector> {
    let target = vpa.spec.as_ref()?.target_ref.as_ref()?;
    let key = Key::new(target_kind(&target.kind)?, vpa.metadata.namespace.as_deref().unwrap_or(""), &target.name);
    target_selector(&*client.get(&key).ok()?)
}

/// The running pods a VPA controls.
fn running_pods<'a>(pods: impl Iterator<Item = &'a crate::api::ObjectRef>, namespace: &str, selector: &Selector) -> Vec<&'a Pod> {
    pods.filter_map(|o| match &**o {
        crate::api::Object::Pod(p) => Some(p),
        _ => None,
    })
    .filter(|p| p.metadata.namespace.as_deref() == Some(namespace) && selector.matches(p.metadata.labels.as_ref()))
    .filter(|p| p.metadata.deletion_timestamp.is_none() && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    .collect()
}
