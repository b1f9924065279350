//! The Vertical Pod Autoscaler (kubernetes/autoscaler, `vertical-pod-autoscaler/`), as its
//! two control loops: the recommender (`recommender.rs`), which turns the containers' observed
//! use into requests, and the updater (`updater.rs`), which evicts pods whose requests are
//! outside the recommended range so that the admission step (`apiserver::vpa_admission`) can
//! give their replacements the recommendation. Both run every minute, as upstream's
//! `--recommender-interval` and `--updater-interval`.
mod recommender;
mod updater;

/// The recommender and the updater, each a controller of the controller manager here.
pub type VpaRecommender = Vpa<recommender::Recommender>;
pub type VpaUpdater = Vpa<updater::Updater>;

use super::{Controller, Store, WorkQueue};
use crate::api::labels::Selector;
use crate::api::vertical_pod_autoscaler::{target_kind, target_selector};
use crate::api::{Key, Object, Pod, VerticalPodAutoscaler};
use crate::apiserver::{Client, WatchEvent};

/// `--recommender-interval` and `--updater-interval`.
const INTERVAL_MS: u64 = 60_000;

/// What the recommender and the updater both watch: VPAs (each synced when first seen, then
/// every interval) and pods.
#[derive(Default)]
struct Informers {
    vpas: Store,
    pods: Store,
    queue: WorkQueue,
}

impl Informers {
    fn watches(event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::VerticalPodAutoscaler(_) | Object::Pod(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        let key = Key::of(&event.object);
        if let Object::Pod(_) = &*event.object {
            return self.pods.apply(event);
        }
        let known = self.vpas.get(&key).is_some();
        self.vpas.apply(event);
        if !known {
            self.queue.add(key);
        }
    }
}

/// One of the VPA's control loops: what it does with a VPA each interval.
trait ControlLoop: Default {
    const NAME: &'static str;
    fn sync(&mut self, informers: &mut Informers, key: &Key, client: &mut Client);
}

/// A VPA control loop with its informers.
#[derive(Default)]
pub struct Vpa<L> {
    informers: Informers,
    control: L,
}

impl<L: ControlLoop> Controller for Vpa<L> {
    fn name(&self) -> &'static str {
        L::NAME
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        Informers::watches(event)
    }

    fn on_event(&mut self, event: &WatchEvent) {
        self.informers.on_event(event);
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.informers.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        self.control.sync(&mut self.informers, key, client);
    }
}

/// The selector of the VPA's target, read through the API server.
fn selector(vpa: &VerticalPodAutoscaler, client: &mut Client) -> Option<Selector> {
    let target = vpa.spec.as_ref()?.target_ref.as_ref()?;
    let key = Key::new(target_kind(&target.kind)?, vpa.metadata.namespace.as_deref().unwrap_or(""), &target.name);
    target_selector(&*client.get(&key).ok()?)
}

/// The running pods a VPA controls.
fn running_pods<'a>(pods: impl Iterator<Item = &'a crate::api::ObjectRef>, namespace: &str, selector: &Selector) -> Vec<&'a Pod> {
    pods.filter_map(|o| match &**o {
        Object::Pod(p) => Some(p),
        _ => None,
    })
    .filter(|p| p.metadata.namespace.as_deref() == Some(namespace) && selector.matches(p.metadata.labels.as_ref()))
    .filter(|p| p.metadata.deletion_timestamp.is_none() && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
    .collect()
}
