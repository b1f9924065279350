//! Pure helpers that turn model values into what the screen shows: colours, short names,
//! status marks, the clock. No hooks and no DOM here, so every component draws the same way.

use crate::Component;

/// How a pod's STATUS is drawn. Colour says *whose* pod it is; the shape and the glyph say
/// *what state* it is in, so the state can be read without telling colours apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodLook {
    /// Waiting for a node or for its volumes and images: a dashed outline.
    Pending,
    /// The kubelet is pulling images and starting containers: a striped, hollow chip.
    Creating,
    /// Containers run: a solid chip.
    Running,
    /// Deletion requested; the kubelet is stopping it: a faded chip.
    Terminating,
    /// Every container exited 0: a hollow chip with a tick.
    Completed,
    /// Crash loops, image pull errors, OOM kills: a hollow chip with a warning mark.
    Failing,
    /// A STATUS this UI has no drawing for yet.
    Other,
}

impl PodLook {
    /// Groups kubectl's STATUS column into the few looks the diagram draws.
    pub fn of(status: &str) -> PodLook {
        match status {
            "Pending" | "SchedulingGated" => PodLook::Pending,
            "ContainerCreating" | "PodInitializing" => PodLook::Creating,
            "Running" => PodLook::Running,
            "Terminating" => PodLook::Terminating,
            "Completed" | "Succeeded" => PodLook::Completed,
            s if s.starts_with("Init:") && !s.contains("Error") && !s.contains("BackOff") => PodLook::Creating,
            s if s.contains("Err")
                || s.contains("BackOff")
                || s.contains("OOMKilled")
                || s.contains("Failed")
                || s == "Error"
                || s == "Evicted"
                || s == "Unknown" =>
            {
                PodLook::Failing
            }
            _ => PodLook::Other,
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            PodLook::Pending => "pod--pending",
            PodLook::Creating => "pod--creating",
            PodLook::Running => "pod--running",
            PodLook::Terminating => "pod--terminating",
            PodLook::Completed => "pod--completed",
            PodLook::Failing => "pod--failing",
            PodLook::Other => "pod--other",
        }
    }

    /// A small mark drawn in the chip next to the name.
    pub fn glyph(self) -> &'static str {
        match self {
            PodLook::Pending => "◌",
            PodLook::Creating => "◐",
            PodLook::Running => "●",
            PodLook::Terminating => "×",
            PodLook::Completed => "✓",
            PodLook::Failing => "!",
            PodLook::Other => "?",
        }
    }
}

/// Hues that read well as chip fills in both themes; reds are left out so that red can mean
/// trouble. Neighbouring entries are far apart, so a handful of owners rarely look alike.
const OWNER_HUES: [u16; 10] = [212, 152, 32, 276, 188, 96, 330, 250, 52, 170];

/// The characters Kubernetes uses for generated hashes (`rand.SafeEncodeString`): no vowels,
/// no look-alikes.
const SAFE_ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";

/// The workload an owner belongs to, for colouring and naming: `Deployment/web` is `web`, and so
/// is `ReplicaSet/web-5d79898bc7` (a Deployment's ReplicaSet, named with its pod-template-hash),
/// so a pod keeps its colour while its Deployment is being deleted and the ReplicaSet is on top.
pub fn owner_family(owner: &str) -> &str {
    let (kind, name) = owner.split_once('/').unwrap_or(("", owner));
    if kind == "ReplicaSet" {
        if let Some((base, hash)) = name.rsplit_once('-') {
            let hashlike = (6..=10).contains(&hash.len()) && hash.chars().all(|c| SAFE_ALPHABET.contains(c));
            if hashlike && !base.is_empty() {
                return base;
            }
        }
    }
    name
}

/// A stable hue for an owner such as `Deployment/web`: the same workload gets the same colour on
/// every load and every machine (FNV-1a, not the std hasher, whose seed may change).
pub fn owner_hue(owner: &str) -> u16 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in owner_family(owner).bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    OWNER_HUES[(hash % OWNER_HUES.len() as u32) as usize]
}

/// The name on a chip: a pod `web-7d4b9c8f5-x2kq9` owned by `Deployment/web` shows as
/// `web-x2kq9` (owner name and the pod's own suffix); other long names are shortened.
pub fn short_pod_name(name: &str, owner: Option<&str>) -> String {
    if let Some(owner_name) = owner.map(owner_family) {
        if let Some(rest) = name.strip_prefix(owner_name).and_then(|r| r.strip_prefix('-')) {
            let suffix = rest.rsplit('-').next().unwrap_or(rest);
            return format!("{}-{}", ellipsize(owner_name, 10), suffix);
        }
    }
    ellipsize(name, 16)
}

/// Cuts `s` to at most `max` characters, ending in `…` when something was cut.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Virtual time as a clock: `m:ss.t` below an hour, `h:mm:ss` from then on.
pub fn format_clock(ms: u64) -> String {
    let tenths = (ms / 100) % 10;
    let secs = ms / 1000;
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}.{tenths}")
    }
}

/// Seconds with one decimal, for log lines: `12.3s`.
pub fn format_seconds(ms: u64) -> String {
    format!("{}.{}s", ms / 1000, (ms / 100) % 10)
}

/// The key a component's box carries in `data-component`, so that later layers (message dots
/// travelling along wires, highlights) can find the box a [`Component`] is drawn as.
pub fn component_key(component: &Component) -> String {
    match component {
        Component::Kubectl => "kubectl".into(),
        Component::ApiServer => "api-server".into(),
        Component::Etcd => "etcd".into(),
        Component::Scheduler => "scheduler".into(),
        Component::ControllerManager => "controller-manager".into(),
        Component::Kubelet(node) => format!("kubelet:{node}"),
        Component::KubeProxy(node) => format!("kube-proxy:{node}"),
    }
}

/// How the output of a command should be coloured: kubectl's errors start with `error:` or
/// `Error from server`.
pub fn is_error_output(output: &str) -> bool {
    let first = output.trim_start();
    first.starts_with("error") || first.starts_with("Error")
}

/// The kinds of message the diagram can show or hide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageGroup {
    /// Writes: create, update, patch, bind, delete.
    Write,
    /// Reads: get and list.
    Read,
    /// Watch deliveries from the API server to a component.
    Watch,
    /// Node heartbeats: the kubelets renew their Lease every 10 s, and its watch deliveries.
    Lease,
}

impl MessageGroup {
    pub const ALL: [MessageGroup; 4] = [MessageGroup::Write, MessageGroup::Read, MessageGroup::Watch, MessageGroup::Lease];

    /// The group of a message, from its verb and its object path (`leases/…`).
    pub fn of(verb: &str, object: &str) -> MessageGroup {
        if object.starts_with("leases/") {
            MessageGroup::Lease
        } else if verb.starts_with("watch") {
            MessageGroup::Watch
        } else if matches!(verb, "get" | "list") {
            MessageGroup::Read
        } else {
            MessageGroup::Write
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MessageGroup::Write => "writes",
            MessageGroup::Read => "reads",
            MessageGroup::Watch => "watch deliveries",
            MessageGroup::Lease => "Lease heartbeats",
        }
    }
}

/// The parts of a YAML line the editor colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum YamlToken {
    Plain,
    Key,
    String,
    Number,
    Comment,
    /// `---` between documents.
    Separator,
}

impl YamlToken {
    pub fn class(self) -> &'static str {
        match self {
            YamlToken::Plain => "",
            YamlToken::Key => "y-key",
            YamlToken::String => "y-str",
            YamlToken::Number => "y-num",
            YamlToken::Comment => "y-com",
            YamlToken::Separator => "y-sep",
        }
    }
}

/// Splits one line of YAML into coloured parts (a line-by-line approximation: enough to read a
/// manifest; the manifest reader decides what it means).
pub fn highlight_yaml(line: &str) -> Vec<(YamlToken, &str)> {
    if line.starts_with("---") {
        return vec![(YamlToken::Separator, line)];
    }
    let (code, comment) =
        match line.find(" #").map(|i| i + 1).or_else(|| line.trim_start().starts_with('#').then(|| line.len() - line.trim_start().len())) {
            Some(at) if !line[..at].contains(['"', '\'']) => line.split_at(at),
            _ => (line, ""),
        };
    let mut out = Vec::new();
    let indent = code.len() - code.trim_start_matches([' ', '-']).len();
    let (lead, rest) = code.split_at(indent);
    out.push((YamlToken::Plain, lead));
    let value = match rest.find(": ").or_else(|| rest.ends_with(':').then(|| rest.len() - 1)) {
        Some(colon) if !rest[..colon].contains(['"', '\'', '{', '[']) => {
            let (key, value) = rest.split_at(colon);
            out.push((YamlToken::Key, key));
            let (colon, value) = value.split_at(1);
            out.push((YamlToken::Plain, colon));
            value
        }
        _ => rest,
    };
    let trimmed = value.trim();
    let token = if trimmed.starts_with(['"', '\'']) {
        YamlToken::String
    } else if !trimmed.is_empty() && (trimmed.parse::<f64>().is_ok() || matches!(trimmed, "true" | "false" | "null")) {
        YamlToken::Number
    } else {
        YamlToken::Plain
    };
    out.push((token, value));
    if !comment.is_empty() {
        out.push((YamlToken::Comment, comment));
    }
    out.retain(|(_, s)| !s.is_empty());
    out
}
