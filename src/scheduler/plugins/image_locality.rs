//! ImageLocality: favours nodes that already have the pod's images, scaled by how widely the
//! image is spread so that pods do not pile onto one node (`plugins/imagelocality`).
//! Images come from `node.status.images` as the kubelet reports them.
use std::collections::BTreeMap;

use super::{Cycle, NodeInfo, Plugin};

const MB: i64 = 1024 * 1024;
/// Below this a pod's images score nothing (`minThreshold`).
const MIN_THRESHOLD: i64 = 23 * MB;
/// The sum that scores 100, per container (`maxContainerThreshold`).
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// An image name as the node lists it: without a tag it means `:latest`.
fn normalized(image: &str) -> String {
    let last = |c: char| image.rfind(c).map_or(-1, |i| i64::try_from(i).unwrap_or(i64::MAX));
    if last(':') <= last('/') {
        format!("{image}:latest")
    } else {
        image.to_string()
    }
}

/// The size of an image on a node, if the node has it.
fn size_on(node: &NodeInfo, image: &str) -> Option<i64> {
    let images = node.node.status.as_ref().and_then(|s| s.images.as_ref())?;
    images.iter().find(|i| i.names.iter().flatten().any(|n| n == image)).map(|i| i.size_bytes.unwrap_or(0))
}

#[derive(Default)]
pub struct ImageLocality {
    /// For each of the pod's images: on how many nodes it is, out of how many.
    spread: BTreeMap<String, (i64, i64)>,
    images: Vec<String>,
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        "ImageLocality"
    }
    fn pre_score(&mut self, cx: &Cycle, _feasible: &[&NodeInfo]) -> bool {
        let spec = cx.pod.pod.spec.as_ref();
        let containers = spec.into_iter().flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers));
        self.images = containers.map(|c| normalized(c.image.as_deref().unwrap_or(""))).collect();
        self.spread.clear();
        let total = i64::try_from(cx.nodes.len()).unwrap_or(i64::MAX);
        for image in &self.images {
            if !self.spread.contains_key(image) {
                let with = cx.nodes.iter().filter(|n| size_on(n, image).is_some()).count();
                self.spread.insert(image.clone(), (i64::try_from(with).unwrap_or(0), total));
            }
        }
        true
    }
    fn score(&self, _cx: &Cycle, node: &NodeInfo) -> i64 {
        let mut sum: i64 = 0;
        for image in &self.images {
            let (Some(size), Some(&(with, total))) = (size_on(node, image), self.spread.get(image)) else { continue };
            let spread = with as f64 / total.max(1) as f64;
            sum = sum.saturating_add((size as f64 * spread) as i64);
        }
        let max = MAX_CONTAINER_THRESHOLD.saturating_mul(i64::try_from(self.images.len()).unwrap_or(1));
        let sum = sum.clamp(MIN_THRESHOLD, max.max(MIN_THRESHOLD));
        (i128::from(sum - MIN_THRESHOLD) * 100 / i128::from((max - MIN_THRESHOLD).max(1))) as i64
    }
}
