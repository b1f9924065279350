//! The simulated container runtime: an image catalogue (so pulls take time in proportion to
//! real image sizes, and containers run what the image would run) and the errors a registry
//! gives for an image that does not exist.
use super::shell::{Program, Server};

/// An image of the simulated registry.
struct Image {
    repository: &'static str,
    /// Compressed size of the linux/amd64 image as registries report it, rounded.
    bytes: u64,
    /// The image's ENTRYPOINT and CMD (what runs when a pod sets no `command`/`args`).
    entrypoint: &'static [&'static str],
    cmd: &'static [&'static str],
    /// The servers it ships: program, ports, and memory (MiB) and CPU (millicores) at rest.
    servers: &'static [(&'static str, &'static [u16], u64, u64)],
}

const fn image(
    repository: &'static str,
    bytes: u64,
    cmd: &'static [&'static str],
    servers: &'static [(&'static str, &'static [u16], u64, u64)],
) -> Image {
    Image { repository, bytes, entrypoint: &[], cmd, servers }
}

/// Images the simulated registry serves; any tag of these exists. Shell images run `sh`
/// (which exits at once without a terminal); server images run their server.
const CATALOGUE: &[Image] = &[
    image("docker.io/library/nginx", 72_000_000, &["nginx", "-g", "daemon off;"], &[("nginx", &[80], 3, 0)]),
    image("docker.io/library/httpd", 58_000_000, &["httpd-foreground"], &[("httpd-foreground", &[80], 7, 1), ("httpd", &[80], 7, 1)]),
    image("docker.io/library/redis", 45_000_000, &["redis-server"], &[("redis-server", &[6379], 3, 2)]),
    image("docker.io/library/busybox", 2_200_000, &["sh"], &[("httpd", &[80], 0, 0)]),
    image("registry.k8s.io/busybox", 1_100_000, &["sh"], &[("httpd", &[80], 0, 0)]),
    image("docker.io/library/alpine", 3_600_000, &["/bin/sh"], &[]),
    image("docker.io/library/ubuntu", 29_000_000, &["/bin/bash"], &[]),
    image("docker.io/library/debian", 49_000_000, &["bash"], &[]),
    image("docker.io/library/postgres", 150_000_000, &["postgres"], &[("postgres", &[5432], 40, 1)]),
    image("docker.io/library/mysql", 170_000_000, &["mysqld"], &[("mysqld", &[3306, 33060], 370, 4)]),
    image("docker.io/library/memcached", 33_000_000, &["memcached"], &[("memcached", &[11211], 2, 1)]),
    image("docker.io/library/python", 380_000_000, &["python3"], &[]),
    image("docker.io/library/node", 400_000_000, &["node"], &[]),
    image("docker.io/polinux/stress", 4_000_000, &["stress"], &[]),
    Image { repository: "docker.io/vish/stress", bytes: 1_700_000, entrypoint: &["/stress"], cmd: &[], servers: &[] },
    image("registry.k8s.io/pause", 320_000, &["/pause"], &[("/pause", &[], 0, 0)]),
    Image { repository: "registry.k8s.io/e2e-test-images/agnhost", bytes: 52_000_000, entrypoint: &["/agnhost"], cmd: &[], servers: &[] },
    image("registry.k8s.io/hpa-example", 180_000_000, &["apache2-foreground"], &[("apache2-foreground", &[80], 10, 1)]),
    image("registry.k8s.io/goproxy", 2_500_000, &["/goproxy"], &[("/goproxy", &[8080], 2, 0)]),
    image(
        "registry.k8s.io/ingress-nginx/controller",
        110_000_000,
        &["/nginx-ingress-controller"],
        &[("/nginx-ingress-controller", &[80, 443], 90, 2)],
    ),
];

/// Programs every catalogue image ships (busybox applets or coreutils); they exit at once.
const COMMON_PROGRAMS: &[&str] = &["sh", "ls", "env", "date", "hostname", "wget", "id", "ps", "printenv", "pwd", "uname", "whoami"];

/// Client tools some images ship, which probes call (`redis-cli ping`, `pg_isready`).
const TOOLS: &[(&str, &[&str])] = &[
    ("docker.io/library/nginx", &["curl"]),
    ("docker.io/library/redis", &["redis-cli"]),
    ("docker.io/library/postgres", &["pg_isready", "psql"]),
    ("docker.io/library/mysql", &["mysqladmin", "mysql"]),
];

fn find(image: &str) -> Option<&'static Image> {
    let reference = normalize(image);
    let repository = reference.rsplit_once(':').map_or(reference.as_str(), |(r, _)| r);
    CATALOGUE.iter().find(|i| i.repository == repository)
}

/// The size in bytes of an image the registry serves (0 for one it does not).
pub fn size(image: &str) -> u64 {
    find(image).map_or(0, |i| i.bytes)
}

/// The command line a container runs: `command` replaces the image's ENTRYPOINT and `args`
/// its CMD, as the container runtime combines them.
pub fn argv(image: &str, command: Option<&[String]>, args: Option<&[String]>) -> Vec<String> {
    let known = find(image);
    let strings = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
    let mut argv = match command {
        Some(c) if !c.is_empty() => c.to_vec(),
        _ => known.map(|i| strings(i.entrypoint)).unwrap_or_default(),
    };
    match (args, command.is_some_and(|c| !c.is_empty())) {
        (Some(a), _) if !a.is_empty() => argv.extend(a.iter().cloned()),
        (_, false) => argv.extend(known.map(|i| strings(i.cmd)).unwrap_or_default()),
        _ => {}
    }
    argv
}

/// What a command line runs in an image: one of its servers, a program it ships, or nothing.
pub fn program(image: &str, words: &[String]) -> Program {
    let Some((name, args)) = words.split_first() else { return Program::Missing };
    let known = find(image);
    if let Some((_, ports, mib, cpu)) = known.into_iter().flat_map(|i| i.servers).find(|(n, ..)| n == name) {
        return Program::Server(Server { ports: ports.to_vec(), memory: mib << 20, cpu_milli: *cpu, healthy_for_ms: None });
    }
    if known.is_some_and(|i| i.repository.ends_with("/agnhost")) && name.ends_with("agnhost") {
        return agnhost(args);
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    let tool = known.is_some_and(|i| TOOLS.iter().any(|(repo, tools)| *repo == i.repository && tools.contains(&base)));
    if tool || COMMON_PROGRAMS.contains(&base) || known.is_some_and(|i| i.cmd.first() == Some(&name.as_str())) {
        Program::Present
    } else {
        Program::Missing
    }
}

/// agnhost's subcommands (kubernetes/test/images/agnhost): the ones tutorials and e2e tests use.
fn agnhost(args: &[String]) -> Program {
    let flag = |name: &str, default: u16| {
        args.iter().find_map(|a| a.strip_prefix(&format!("--{name}=")).and_then(|v| v.parse().ok())).unwrap_or(default)
    };
    let server = |ports: Vec<u16>| Server { ports, memory: 6 << 20, cpu_milli: 1, healthy_for_ms: None };
    match args.first().map(String::as_str) {
        Some("netexec") => Program::Server(server(vec![flag("http-port", 8080), flag("udp-port", 8081)])),
        Some("serve-hostname") => Program::Server(server(vec![flag("port", 9376)])),
        Some("pause") => Program::Server(server(Vec::new())),
        // `liveness`: /healthz answers 200 for 10 seconds, then 500.
        Some("liveness") => Program::Server(Server { healthy_for_ms: Some(10_000), ..server(vec![8080]) }),
        Some("test-webserver") => Program::Server(server(vec![80])),
        _ => Program::Missing,
    }
}

/// How fast the simulated registry delivers image layers, and its round trip per pull.
const PULL_BYTES_PER_SECOND: u64 = 25_000_000;
const REGISTRY_ROUND_TRIP_MS: u64 = 400;
/// Checking the manifest of an image the node already has (`imagePullPolicy: Always`).
pub const MANIFEST_CHECK_MS: u64 = REGISTRY_ROUND_TRIP_MS;

/// `SetDefaults_Container`: an image without a tag, or tagged `latest`, is always pulled.
pub fn default_pull_policy(image: &str) -> &'static str {
    let latest = !image.rsplit('/').next().unwrap_or("").contains(':') || image.ends_with(":latest");
    if latest {
        "Always"
    } else {
        "IfNotPresent"
    }
}

/// A container's limit of a resource, in bytes (memory) or millicores (cpu).
pub fn limit(c: &k8s_openapi::api::core::v1::Container, resource: &str) -> Option<u64> {
    let q = c.resources.as_ref()?.limits.as_ref()?.get(resource)?;
    let milli = crate::api::quantity::parse_milli(&q.0).ok()?;
    u64::try_from(if resource == "cpu" { milli } else { milli / 1000 }).ok()
}

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
    match find(image) {
        Some(i) => Pull::Pulled { millis: REGISTRY_ROUND_TRIP_MS + i.bytes * 1000 / PULL_BYTES_PER_SECOND, bytes: i.bytes },
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

    #[test]
    fn command_replaces_entrypoint_and_args_replace_cmd() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(argv("nginx", None, None), words(&["nginx", "-g", "daemon off;"]));
        assert_eq!(argv("busybox", Some(&words(&["sleep"])), Some(&words(&["10"]))), words(&["sleep", "10"]));
        assert_eq!(argv("busybox", None, Some(&words(&["echo", "hi"]))), words(&["echo", "hi"]));
        assert_eq!(argv("vish/stress", None, Some(&words(&["-cpus", "2"]))), words(&["/stress", "-cpus", "2"]));
        let agnhost = "registry.k8s.io/e2e-test-images/agnhost:2.40";
        assert!(matches!(program(agnhost, &argv(agnhost, None, Some(&words(&["liveness"])))), Program::Server(s) if s.ports == [8080]));
        assert!(matches!(program("nginx", &words(&["nginx"])), Program::Server(s) if s.ports == [80]));
        assert_eq!(program("busybox", &words(&["nginx"])), Program::Missing);
    }
}
