//! The simulated container runtime: an image catalogue (so pulls take time in proportion to
//! real image sizes) and the errors a registry gives for an image that does not exist.

/// Images the simulated registry serves: repository and compressed size in bytes (the size of
/// the linux/amd64 image as registries report it, rounded). Any tag of these exists.
const CATALOGUE: &[(&str, u64)] = &[
    ("docker.io/library/nginx", 72_000_000),
    ("docker.io/library/httpd", 58_000_000),
    ("docker.io/library/redis", 45_000_000),
    ("docker.io/library/busybox", 2_200_000),
    ("docker.io/library/alpine", 3_600_000),
    ("docker.io/library/ubuntu", 29_000_000),
    ("docker.io/library/debian", 49_000_000),
    ("docker.io/library/postgres", 150_000_000),
    ("docker.io/library/mysql", 170_000_000),
    ("docker.io/library/memcached", 33_000_000),
    ("docker.io/library/python", 380_000_000),
    ("docker.io/library/node", 400_000_000),
    ("docker.io/polinux/stress", 4_000_000),
    ("registry.k8s.io/pause", 320_000),
    ("registry.k8s.io/e2e-test-images/agnhost", 52_000_000),
    ("registry.k8s.io/hpa-example", 180_000_000),
];

/// How fast the simulated registry delivers image layers, and its round trip per pull.
const PULL_BYTES_PER_SECOND: u64 = 25_000_000;
const REGISTRY_ROUND_TRIP_MS: u64 = 400;

/// The fully qualified reference containerd would pull: `nginx` → `docker.io/library/nginx:latest`.
pub fn normalize(image: &str) -> String {
    let (name, tag) = match image.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')) {
        Some((name, tag)) => (name.to_string(), tag.to_string()),
        None => (image.to_string(), "latest".to_string()),
    };
    let first = name.split('/').next().unwrap_or("");
    let has_registry = name.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let repository = if has_registry {
        name
    } else if name.contains('/') {
        format!("docker.io/{name}")
    } else {
        format!("docker.io/library/{name}")
    };
    format!("{repository}:{tag}")
}

/// What pulling an image from the simulated registry does.
#[derive(Debug, PartialEq, Eq)]
pub enum Pull {
    /// The pull succeeds after `millis` with `bytes` downloaded.
    Pulled { millis: u64, bytes: u64 },
    /// The registry refuses: the kubelet reports ErrImagePull with this message.
    Failed { millis: u64, message: String },
}

pub fn pull(image: &str) -> Pull {
    let reference = normalize(image);
    let repository = reference.rsplit_once(':').map_or(reference.as_str(), |(r, _)| r);
    match CATALOGUE.iter().find(|(name, _)| *name == repository) {
        Some((_, bytes)) => Pull::Pulled { millis: REGISTRY_ROUND_TRIP_MS + bytes * 1000 / PULL_BYTES_PER_SECOND, bytes: *bytes },
        None => Pull::Failed {
            millis: REGISTRY_ROUND_TRIP_MS,
            message: format!(
                "failed to pull and unpack image {reference:?}: failed to resolve reference {reference:?}: pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_normalized_as_containerd_does() {
        assert_eq!(normalize("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(normalize("nginx:1.27"), "docker.io/library/nginx:1.27");
        assert_eq!(normalize("polinux/stress"), "docker.io/polinux/stress:latest");
        assert_eq!(normalize("registry.k8s.io/pause:3.10"), "registry.k8s.io/pause:3.10");
        assert_eq!(normalize("localhost:5000/app"), "localhost:5000/app:latest");
    }

    #[test]
    fn known_images_take_time_in_proportion_to_size_and_typos_fail() {
        assert_eq!(pull("nginx:1.27"), Pull::Pulled { millis: 400 + 2880, bytes: 72_000_000 });
        assert!(matches!(pull("ngnix"), Pull::Failed { .. }));
    }
}
