//! ImageLocality: favours nodes that already have the pod's images, scaled by how widely the
//! image is spread so that pods do not pile onto one node (`plugins/imagelocality`).
//! Images come from `node.status.images` as the kubelet reports them (containerd's full
//! references, `docker.io/library/nginx:latest`). As upstream, a pod's image is only given a
//! `:latest` tag, so a short name (`nginx`) does not match: the TODO in upstream's
//! `normalizedImageName`.

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

#[derive(Default)]
pub struct ImageLocality {
    /// The pod's images (init containers too), each with its spread: the share of all nodes
    /// that have it (`ImageStateSummary.NumNodes / totalNumNodes`).
    images: Vec<(String, f64)>,
}

impl Plugin for ImageLocality {
    fn name(&self) -> &'static str {
        "ImageLocality"
    }
    fn pre_score(&mut self, cx: &Cycle, _feasible: &[&NodeInfo]) -> bool {
        let spec = cx.pod.pod.spec.as_ref();
        let containers = spec.into_iter().flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers));
        let total = cx.nodes.len().max(1) as f64;
        self.images = containers
            .map(|c| {
                let name = normalized(c.image.as_deref().unwrap_or(""));
                let spread = cx.image_nodes.nodes_with(&name) as f64 / total;
                (name, spread)
            })
            .collect();
        true
    }
    fn score(&self, _cx: &Cycle, node: &NodeInfo) -> i64 {
        let mut sum: i64 = 0;
        for (image, spread) in &self.images {
            let Some(&size) = node.images.get(image) else { continue };
            sum = sum.saturating_add((size as f64 * spread) as i64);
        }
        let max = MAX_CONTAINER_THRESHOLD.saturating_mul(i64::try_from(self.images.len()).unwrap_or(1));
        let sum = sum.clamp(MIN_THRESHOLD, max.max(MIN_THRESHOLD));
        (i128::from(sum - MIN_THRESHOLD) * 100 / i128::from((max - MIN_THRESHOLD).max(1))) as i64
    }
}
