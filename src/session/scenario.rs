//! A scenario carried in a link: manifests for the editor (applied first) and a session script,
//! as JSON, deflated and base64url-encoded into the URL's hash (`#s=…`). A scenario can do
//! nothing but run the command language: it is checked as a script before anything runs, and
//! bounded so that a hostile link cannot hang the page.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::kubectl::{parse_duration, script};

/// The longest encoded scenario a link may carry.
pub const MAX_ENCODED: usize = 64 * 1024;
/// The most a scenario may inflate to.
const MAX_INFLATED: usize = 256 * 1024;
/// The most commands a scenario may run when the page opens.
const MAX_COMMANDS: usize = 300;
/// The most virtual time a scenario's `sim wait`s may ask for in all.
const MAX_WAIT_MS: u64 = 24 * 3_600_000;

/// What a link sets up: `manifests` go into the editor and are applied; then `script` runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    #[serde(default, rename = "m", skip_serializing_if = "String::is_empty")]
    pub manifests: String,
    #[serde(default, rename = "s", skip_serializing_if = "String::is_empty")]
    pub script: String,
}

impl Scenario {
    /// The text after `#s=` in a link.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&json, 9))
    }

    /// Reads the text after `#s=`; the error says what is wrong in words a reader understands.
    pub fn decode(encoded: &str) -> Result<Scenario, String> {
        if encoded.len() > MAX_ENCODED {
            return Err(format!("the scenario in this link is too large ({} KB; at most {} KB)", encoded.len() / 1024, MAX_ENCODED / 1024));
        }
        let damaged = || "the scenario in this link is damaged (was the link cut short?)".to_string();
        let deflated = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).map_err(|_| damaged())?;
        let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, MAX_INFLATED).map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                format!("the scenario in this link is too large (more than {} KB)", MAX_INFLATED / 1024)
            }
            _ => damaged(),
        })?;
        let scenario: Scenario = serde_json::from_slice(&json).map_err(|_| damaged())?;
        scenario.check()?;
        Ok(scenario)
    }

    /// The whole scenario as one session script: the manifests applied, then the script.
    pub fn to_script(&self) -> String {
        let mut recorder = super::Recorder::default();
        if !self.manifests.trim().is_empty() {
            recorder.command(0, "kubectl apply -f -", Some(&self.manifests), 0);
        }
        format!("{}{}", recorder.script(0), self.script)
    }

    /// The script must parse and stay within the bounds above.
    fn check(&self) -> Result<(), String> {
        let steps = script::steps(&self.to_script()).map_err(|e| format!("the scenario in this link has a malformed script: {e}"))?;
        if steps.len() > MAX_COMMANDS {
            return Err(format!("the scenario in this link runs {} commands; at most {MAX_COMMANDS} run when a page opens", steps.len()));
        }
        let mut waited: u64 = 0;
        for (command, _) in &steps {
            if let ["sim", "wait", duration] = command.split_whitespace().collect::<Vec<_>>().as_slice() {
                waited = waited.saturating_add(parse_duration(duration).unwrap_or(0));
            }
        }
        if waited > MAX_WAIT_MS {
            return Err("the scenario in this link waits more than 24 hours of virtual time in all".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let scenario = Scenario {
            manifests: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  page: \"<img src=x onerror=alert(1)>\"\n".into(),
            script: "kubectl get configmap c -o yaml\nsim wait 30s\n".into(),
        };
        let encoded = scenario.encode();
        assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{encoded}");
        assert_eq!(Scenario::decode(&encoded), Ok(scenario.clone()));
        let script = scenario.to_script();
        assert!(script.starts_with("kubectl apply -f - <<EOF\napiVersion: v1\n"), "{script}");
        assert!(script.ends_with("EOF\nkubectl get configmap c -o yaml\nsim wait 30s\n"), "{script}");
    }

    #[test]
    fn bad_links_are_refused() {
        let encode = |script: &str| Scenario { manifests: String::new(), script: script.into() }.encode();
        assert_eq!(Scenario::decode("%%%"), Err("the scenario in this link is damaged (was the link cut short?)".into()));
        let good = encode("kubectl get pods\n");
        assert!(Scenario::decode(&good[..good.len() / 2]).is_err());
        assert_eq!(
            Scenario::decode(&encode("kubectl get pods\ncurl http://example.com\n")),
            Err("the scenario in this link has a malformed script: line 2: unknown command \"curl\": a script line starts with kubectl or sim".into())
        );
        assert_eq!(
            Scenario::decode(&encode(&"kubectl get pods\n".repeat(301))),
            Err("the scenario in this link runs 301 commands; at most 300 run when a page opens".into())
        );
        assert_eq!(
            Scenario::decode(&encode(&"sim wait 720h\n".repeat(2))),
            Err("the scenario in this link waits more than 24 hours of virtual time in all".into())
        );
        // A deflate bomb: small in the link, huge inflated.
        let bomb = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(&vec![b' '; 4 << 20], 9));
        assert!(bomb.len() < MAX_ENCODED);
        assert_eq!(Scenario::decode(&bomb), Err("the scenario in this link is too large (more than 256 KB)".into()));
        assert!(Scenario::decode(&"A".repeat(MAX_ENCODED + 1)).unwrap_err().contains("too large"));
    }
}
