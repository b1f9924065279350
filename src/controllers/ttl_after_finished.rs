//! The TTL-after-finished controller (`pkg/controller/ttlafterfinished`): deletes a Job
//! `ttlSecondsAfterFinished` seconds after it finished (the time of its Complete or Failed
//! condition); the garbage collector then deletes its pods.
use crate::api::{Key, Object};
use crate::apiserver::{virtual_ms, Client, DeleteOptions, Propagation, WatchEvent};

use super::job::is_finished;
use super::{Controller, Store, WorkQueue};

#[derive(Default)]
pub struct TtlAfterFinishedController {
    jobs: Store,
    queue: WorkQueue,
}

impl Controller for TtlAfterFinishedController {
    fn name(&self) -> &'static str {
        "ttl-after-finished-controller"
    }

    fn watches(&self, event: &WatchEvent) -> bool {
        matches!(&*event.object, Object::Job(_))
    }

    fn on_event(&mut self, event: &WatchEvent) {
        self.jobs.apply(event);
        self.queue.add(Key::of(&event.object));
    }

    fn queue(&mut self) -> &mut WorkQueue {
        &mut self.queue
    }

    fn sync(&mut self, key: &Key, client: &mut Client) {
        let Some(Object::Job(job)) = self.jobs.get(key).map(|j| &**j) else { return };
        let Some(ttl) = job.spec.as_ref().and_then(|s| s.ttl_seconds_after_finished) else { return };
        let Some(kind) = is_finished(job) else { return };
        if job.metadata.deletion_timestamp.is_some() {
            return;
        }
        let conditions = job.status.as_ref().and_then(|s| s.conditions.as_ref());
        let finished_at = conditions.into_iter().flatten().find(|c| c.type_ == kind).and_then(|c| c.last_transition_time.as_ref());
        let Some(finished_at) = finished_at else { return };
        let expires = virtual_ms(finished_at).saturating_add(u64::try_from(ttl).unwrap_or(0).saturating_mul(1000));
        if client.now_ms() < expires {
            self.queue.add_at(key.clone(), expires);
            return;
        }
        // Foreground, as the TTL controller asks: the Job goes after its pods. Already gone is
        // fine: someone deleted it first.
        let options = DeleteOptions { grace_period_seconds: None, propagation_policy: Some(Propagation::Foreground) };
        let _ = client.delete_with(key, options);
    }
}
