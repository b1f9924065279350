//! What a link asks of the page: `?embed=1&panels=diagram,console&lesson=ID&theme=dark&speed=2`
//! `&autoplay&readonly`, and a scenario in the hash (`#s=…`, see [`super::scenario`]). Anything
//! the page cannot honour becomes a notice for the reader, and the page carries on with the
//! defaults: a link never leaves a blank page.

use super::scenario::Scenario;
use crate::kubectl;

/// The parts of the page a link can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Panel {
    Timeline,
    Diagram,
    Lesson,
    Editor,
    Console,
    Inspector,
}

impl Panel {
    pub const ALL: [Panel; 6] = [Panel::Timeline, Panel::Diagram, Panel::Lesson, Panel::Editor, Panel::Console, Panel::Inspector];

    pub fn name(self) -> &'static str {
        match self {
            Panel::Timeline => "timeline",
            Panel::Diagram => "diagram",
            Panel::Lesson => "lesson",
            Panel::Editor => "editor",
            Panel::Console => "console",
            Panel::Inspector => "inspector",
        }
    }

    fn parse(name: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A link's configuration of the page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// The embed view: no header, and only the panels asked for (by default the timeline, the
    /// diagram and the console).
    pub embed: bool,
    /// The panels the link names, in the page's order; `None`: the view's defaults.
    pub panels: Option<Vec<Panel>>,
    pub lesson: Option<String>,
    /// `light` or `dark`; `None` follows the reader's choice or system.
    pub theme: Option<&'static str>,
    /// Virtual time per wall time, in percent (100 = real time).
    pub speed_pct: Option<u32>,
    /// `autoplay` (true) or `autoplay=0` (false); `None`: the view's default.
    pub autoplay: Option<bool>,
    /// Nothing the reader types may change the cluster.
    pub readonly: bool,
    pub scenario: Option<Scenario>,
    /// What the page could not use, one sentence each.
    pub notices: Vec<String>,
    /// `panic-test`: a test asks the page to fail on purpose, to prove the error banner.
    pub panic_test: bool,
}

impl Link {
    /// Reads `location.search` and `location.hash` (with or without their `?` and `#`).
    pub fn parse(search: &str, hash: &str) -> Link {
        let mut link = Link::default();
        for (key, value) in pairs(search.strip_prefix('?').unwrap_or(search)) {
            let flag = || !matches!(value.as_str(), "0" | "false" | "no");
            match key.as_str() {
                "embed" => link.embed = flag(),
                "readonly" => link.readonly = flag(),
                "autoplay" => link.autoplay = Some(flag()),
                "panic-test" => link.panic_test = true,
                "panels" => link.read_panels(&value),
                "lesson" if !value.is_empty() => link.lesson = Some(value),
                "theme" => match value.as_str() {
                    "light" => link.theme = Some("light"),
                    "dark" => link.theme = Some("dark"),
                    other => link.notices.push(format!("Unknown theme {other:?} (light or dark): using the default.")),
                },
                "speed" => match value.parse::<f64>() {
                    Ok(x) if (0.25..=64.0).contains(&x) => link.speed_pct = Some((x * 100.0).round() as u32),
                    _ => link.notices.push(format!("Unknown speed {value:?} (a number from 0.25 to 64): using 1×.")),
                },
                _ => {}
            }
        }
        let hash = hash.strip_prefix('#').unwrap_or(hash);
        if let Some(encoded) = hash.strip_prefix("s=") {
            match Scenario::decode(encoded) {
                Ok(scenario) => link.scenario = Some(scenario),
                Err(e) => link.notices.push(format!("{}: showing the default cluster instead.", capitalised(&e))),
            }
        }
        link
    }

    fn read_panels(&mut self, list: &str) {
        let mut panels = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match Panel::parse(name) {
                Some(panel) if !panels.contains(&panel) => panels.push(panel),
                Some(_) => {}
                None => {
                    self.notices.push(format!("Unknown panel {name:?} (one of: {}): left out.", Panel::ALL.map(Panel::name).join(", ")))
                }
            }
        }
        panels.sort();
        if panels.is_empty() {
            self.notices.push("The link names no panel this page has: showing the default panels.".to_string());
        } else {
            self.panels = Some(panels);
        }
    }

    /// The panels to show: the link's, or the view's defaults (with the lesson panel when a
    /// lesson is asked for).
    pub fn panels(&self) -> Vec<Panel> {
        if let Some(panels) = &self.panels {
            return panels.clone();
        }
        let mut panels = if self.embed {
            vec![Panel::Timeline, Panel::Diagram, Panel::Console]
        } else {
            vec![Panel::Timeline, Panel::Diagram, Panel::Editor, Panel::Console, Panel::Inspector]
        };
        if self.lesson.is_some() {
            panels.push(Panel::Lesson);
            panels.sort();
        }
        panels
    }

    /// The query string (without `?`) and hash (without `#`) of a link with this configuration:
    /// what the Share dialog hands out.
    pub fn to_query(&self) -> String {
        let mut query: Vec<String> = Vec::new();
        if self.embed {
            query.push("embed=1".into());
        }
        if let Some(panels) = &self.panels {
            query.push(format!("panels={}", panels.iter().map(|p| p.name()).collect::<Vec<_>>().join(",")));
        }
        if let Some(lesson) = &self.lesson {
            query.push(format!("lesson={}", encode_component(lesson)));
        }
        if let Some(theme) = self.theme {
            query.push(format!("theme={theme}"));
        }
        if let Some(pct) = self.speed_pct.filter(|&p| p != 100) {
            query.push(format!("speed={}", f64::from(pct) / 100.0));
        }
        match self.autoplay {
            Some(true) => query.push("autoplay".into()),
            Some(false) => query.push("autoplay=0".into()),
            None => {}
        }
        if self.readonly {
            query.push("readonly".into());
        }
        query.join("&")
    }

    /// `#s=…` for the scenario, or nothing.
    pub fn to_hash(&self) -> String {
        self.scenario.as_ref().map(|s| format!("s={}", s.encode())).unwrap_or_default()
    }
}

/// What the console says to a command a read-only link refuses.
pub const READ_ONLY: &str =
    "error: this cluster is read-only (the link that opened it says readonly): only commands that read it run here, such as kubectl get, describe, logs and events, and sim wait\n";

/// Whether a command line may change the cluster; a read-only link runs only those that
/// cannot (an allow-list: anything unknown counts as a change).
pub fn changes_cluster(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let unwatched: Vec<&str> = words.iter().copied().filter(|w| !kubectl::is_watch_flag(w)).collect();
    let reads = kubectl::only_reads(&unwatched)
        || match words.as_slice() {
            [] | ["kubectl" | "k"] | ["sim"] => true,
            // These watch, wait, follow a rollout, send requests or check, but change no object.
            ["kubectl" | "k", "rollout", "status" | "history", ..] | ["kubectl" | "k", "diff" | "wait", ..] => true,
            ["sim", "wait" | "curl" | "expect", ..] | ["sim", "etcd", "members" | "status", ..] => true,
            ["kubectl" | "k" | "sim", ..] => false,
            _ => true, // not a command: it changes nothing and gets the usual error
        };
    !reads
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// `key=value` pairs of a query string, percent-decoded (`+` is a space).
fn pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    query.split('&').filter(|p| !p.is_empty()).map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode_component(key), decode_component(value))
    })
}

fn decode_component(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_link() {
        let scenario = Scenario { manifests: String::new(), script: "kubectl get nodes\n".into() };
        let link = Link::parse(
            "?embed=1&panels=console,diagram,lesson&lesson=pods%20one&theme=dark&speed=2&autoplay&readonly",
            &format!("#s={}", scenario.encode()),
        );
        assert!(link.embed && link.readonly);
        assert_eq!(link.panels(), vec![Panel::Diagram, Panel::Lesson, Panel::Console]);
        assert_eq!(link.lesson.as_deref(), Some("pods one"));
        assert_eq!((link.theme, link.speed_pct, link.autoplay), (Some("dark"), Some(200), Some(true)));
        assert_eq!(link.scenario, Some(scenario));
        assert!(link.notices.is_empty());
        assert_eq!(link.to_query(), "embed=1&panels=diagram,lesson,console&lesson=pods%20one&theme=dark&speed=2&autoplay&readonly");
        assert_eq!(Link::parse(&link.to_query(), &link.to_hash()), link);
    }

    #[test]
    fn defaults_and_bad_parameters() {
        let plain = Link::parse("", "");
        assert_eq!(plain.panels(), vec![Panel::Timeline, Panel::Diagram, Panel::Editor, Panel::Console, Panel::Inspector]);
        assert_eq!(Link::parse("embed=1", "").panels(), vec![Panel::Timeline, Panel::Diagram, Panel::Console]);
        assert!(Link::parse("lesson=x", "").panels().contains(&Panel::Lesson));

        let bad = Link::parse("panels=diagram,map&theme=pink&speed=fast", "#s=bm90IGRlZmxhdGU");
        assert_eq!(bad.panels(), vec![Panel::Diagram]);
        assert_eq!(bad.theme, None);
        assert_eq!(bad.scenario, None);
        assert_eq!(
            bad.notices,
            [
                "Unknown panel \"map\" (one of: timeline, diagram, lesson, editor, console, inspector): left out.",
                "Unknown theme \"pink\" (light or dark): using the default.",
                "Unknown speed \"fast\" (a number from 0.25 to 64): using 1×.",
                "The scenario in this link is damaged (was the link cut short?): showing the default cluster instead.",
            ]
        );
        let none = Link::parse("panels=,map", "");
        assert_eq!(none.panels, None);
        assert_eq!(none.notices.len(), 2);
    }

    #[test]
    fn what_a_read_only_link_lets_run() {
        for line in [
            "kubectl get pods -w",
            "k describe node worker-1",
            "kubectl rollout status deployment/web",
            "sim wait 30s",
            "sim expect pods --count 3",
            "sim etcd members",
            "ls",
        ] {
            assert!(!changes_cluster(line), "{line}");
        }
        for line in [
            "kubectl apply -f -",
            "kubectl delete pod x",
            "kubectl rollout undo deployment/web",
            "sim node stop worker-1",
            "sim load http://web",
            "sim stop kube-proxy worker-1",
            "sim control-plane --replicas 3",
        ] {
            assert!(changes_cluster(line), "{line}");
        }
    }
}
