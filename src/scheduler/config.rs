//! The scheduler's configuration: a `KubeSchedulerConfiguration`
//! (`kubescheduler.config.k8s.io/v1`) decoded strictly, defaulted as `v1/defaults.go` does and
//! validated with the field paths and messages of `apis/config/validation`.
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::plugins::node_resources_fit::{FitArgs, Strategy};
use super::plugins::{DEFAULT_SCORE_WEIGHTS, FILTERS};

/// What one profile runs: the score weights of its scoring plugins, the filters it
/// disabled, and the plugins' arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub scheduler_name: String,
    pub weights: BTreeMap<String, i64>,
    pub disabled_filters: Vec<String>,
    pub fit: FitArgs,
    pub balanced_resources: Vec<String>,
    pub hard_pod_affinity_weight: i64,
    pub percentage_of_nodes_to_score: Option<i64>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            scheduler_name: "default-scheduler".to_string(),
            weights: DEFAULT_SCORE_WEIGHTS.iter().map(|(n, w)| (n.to_string(), *w)).collect(),
            disabled_filters: Vec::new(),
            fit: FitArgs::default(),
            balanced_resources: vec!["cpu".into(), "memory".into()],
            hard_pod_affinity_weight: 1,
            percentage_of_nodes_to_score: None,
        }
    }
}

/// The whole configuration, defaulted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub percentage_of_nodes_to_score: i64,
    pub pod_initial_backoff_ms: u64,
    pub pod_max_backoff_ms: u64,
    pub profiles: Vec<Profile>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff_ms: 1000,
            pod_max_backoff_ms: 10_000,
            profiles: vec![Profile::default()],
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawConfig {
    api_version: Option<String>,
    kind: Option<String>,
    parallelism: Option<i64>,
    percentage_of_nodes_to_score: Option<i64>,
    pod_initial_backoff_seconds: Option<i64>,
    pod_max_backoff_seconds: Option<i64>,
    profiles: Option<Vec<RawProfile>>,
    leader_election: Option<Value>,
    client_connection: Option<Value>,
    enable_profiling: Option<bool>,
    enable_contention_profiling: Option<bool>,
    extenders: Option<Value>,
    delay_cache_until_active: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawProfile {
    scheduler_name: Option<String>,
    percentage_of_nodes_to_score: Option<i64>,
    plugins: Option<BTreeMap<String, RawPluginSet>>,
    plugin_config: Option<Vec<RawPluginConfig>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPluginSet {
    enabled: Option<Vec<RawPlugin>>,
    disabled: Option<Vec<RawPlugin>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugin {
    name: String,
    weight: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPluginConfig {
    name: String,
    args: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawFitArgs {
    #[allow(dead_code)]
    kind: Option<String>,
    #[allow(dead_code)]
    api_version: Option<String>,
    ignored_resources: Option<Vec<String>>,
    ignored_resource_groups: Option<Vec<String>>,
    scoring_strategy: Option<RawStrategy>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawStrategy {
    #[serde(rename = "type")]
    type_: Option<String>,
    resources: Option<Vec<RawPlugin>>,
    requested_to_capacity_ratio: Option<RawShape>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawShape {
    shape: Option<Vec<RawPoint>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoint {
    utilization: i64,
    score: i64,
}

/// The default plugins that neither filter nor score here (queue sort, gates, binding, the
/// volume plugins kubeglass has nothing for); a profile may still name them.
const OTHER_PLUGINS: &[&str] =
    &["SchedulingGates", "PrioritySort", "VolumeRestrictions", "NodeVolumeLimits", "VolumeZone", "DefaultPreemption", "DefaultBinder"];

/// Whether a profile may mention a plugin by this name.
fn known(name: &str) -> bool {
    FILTERS.contains(&name) || DEFAULT_SCORE_WEIGHTS.iter().any(|(n, _)| *n == name) || OTHER_PLUGINS.contains(&name)
}

/// A field error as `field.Error` prints it.
fn invalid(path: &str, value: impl std::fmt::Display, detail: &str) -> String {
    format!("{path}: Invalid value: {value}: {detail}")
}

/// Turns serde's words for a strict-decoding failure into the API machinery's.
fn decode_error(e: impl std::fmt::Display) -> String {
    let text = e.to_string();
    match text.strip_prefix("unknown field `").and_then(|r| r.split_once('`')) {
        Some((field, _)) => format!("strict decoding error: unknown field {field:?}"),
        None => format!("decoding KubeSchedulerConfiguration: {text}"),
    }
}

impl Config {
    /// Decodes, defaults and validates a configuration; the error is what kube-scheduler
    /// prints when it refuses to start with it.
    pub fn parse(text: &str) -> Result<Config, String> {
        let value: Value = serde_yaml::from_str(text).map_err(|e| format!("error converting YAML to JSON: {e}"))?;
        if !value.is_object() {
            return Err(format!("Object 'Kind' is missing in '{}'", text.trim()));
        }
        let raw: RawConfig = serde_json::from_value(value).map_err(decode_error)?;
        let (version, kind) = (raw.api_version.as_deref().unwrap_or(""), raw.kind.as_deref().unwrap_or(""));
        if kind != "KubeSchedulerConfiguration" || version != "kubescheduler.config.k8s.io/v1" {
            return Err(format!(
                "no kind {kind:?} is registered for version {version:?} in scheme \"pkg/scheduler/apis/config/scheme/scheme.go:30\""
            ));
        }
        let _ = (
            raw.leader_election,
            raw.client_connection,
            raw.enable_profiling,
            raw.enable_contention_profiling,
            raw.delay_cache_until_active,
        );
        let mut errors = Vec::new();
        if raw.extenders.as_ref().is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty())) {
            errors.push("extenders: Forbidden: kubeglass has no scheduler extenders".to_string());
        }
        if let Some(p) = raw.parallelism.filter(|p| *p <= 0) {
            errors.push(invalid("parallelism", p, "should be an integer value greater than zero"));
        }
        let percentage = raw.percentage_of_nodes_to_score.unwrap_or(0);
        if !(0..=100).contains(&percentage) {
            errors.push(invalid("percentageOfNodesToScore", percentage, "not in valid range [0-100]"));
        }
        let initial = raw.pod_initial_backoff_seconds.unwrap_or(1);
        let max = raw.pod_max_backoff_seconds.unwrap_or(10);
        if initial <= 0 {
            errors.push(invalid("podInitialBackoffSeconds", initial, "must be greater than 0"));
        }
        if max < initial {
            errors.push(invalid("podMaxBackoffSeconds", max, "must be greater than or equal to PodInitialBackoffSeconds"));
        }
        let raw_profiles = raw.profiles.unwrap_or_default();
        let single = raw_profiles.len() <= 1;
        let mut profiles = Vec::new();
        for (i, p) in raw_profiles.into_iter().enumerate() {
            profiles.push(profile(i, p, single, &mut errors));
        }
        if profiles.is_empty() {
            profiles.push(Profile::default());
        }
        for (i, p) in profiles.iter().enumerate() {
            if profiles[..i].iter().any(|q| q.scheduler_name == p.scheduler_name) {
                errors.push(format!("profiles[{i}].schedulerName: Duplicate value: {:?}", p.scheduler_name));
            }
        }
        match errors.len() {
            0 => Ok(Config {
                percentage_of_nodes_to_score: percentage,
                pod_initial_backoff_ms: u64::try_from(initial).unwrap_or(1).saturating_mul(1000),
                pod_max_backoff_ms: u64::try_from(max).unwrap_or(10).saturating_mul(1000),
                profiles,
            }),
            1 => Err(errors.remove(0)),
            _ => Err(format!("[{}]", errors.join(", "))),
        }
    }
}

fn profile(i: usize, raw: RawProfile, single: bool, errors: &mut Vec<String>) -> Profile {
    let mut p = Profile::default();
    let path = format!("profiles[{i}]");
    match raw.scheduler_name.filter(|n| !n.is_empty()) {
        Some(name) => p.scheduler_name = name,
        None if single => {}
        None => errors.push(format!("{path}.schedulerName: Required value")),
    }
    if let Some(pct) = raw.percentage_of_nodes_to_score {
        if !(0..=100).contains(&pct) {
            errors.push(invalid(&format!("{path}.percentageOfNodesToScore"), pct, "not in valid range [0-100]"));
        }
        p.percentage_of_nodes_to_score = Some(pct);
    }
    for (point, set) in raw.plugins.unwrap_or_default() {
        let (scores, filters) = match point.as_str() {
            "multiPoint" => (true, true),
            "score" => (true, false),
            "filter" => (false, true),
            "preEnqueue" | "queueSort" | "preFilter" | "postFilter" | "preScore" | "reserve" | "permit" | "preBind" | "bind"
            | "postBind" => (false, false),
            other => {
                errors.push(format!("strict decoding error: unknown field \"{path}.plugins.{other}\""));
                continue;
            }
        };
        for d in set.disabled.iter().flatten() {
            if d.name == "*" {
                if scores {
                    p.weights.clear();
                }
                if filters {
                    p.disabled_filters.push("*".into());
                }
            } else {
                if scores {
                    p.weights.remove(&d.name);
                }
                if filters {
                    p.disabled_filters.push(d.name.clone());
                }
            }
        }
        for e in set.enabled.iter().flatten() {
            if !known(&e.name) {
                errors.push(format!(
                    "initializing profiles: creating profile for scheduler name {}: {point} plugin {:?} does not exist",
                    p.scheduler_name, e.name
                ));
                continue;
            }
            let default = DEFAULT_SCORE_WEIGHTS.iter().find(|(n, _)| *n == e.name).map(|(_, w)| *w);
            if scores {
                if let Some(default) = default {
                    // v1 defaulting: an enabled score plugin without a weight keeps its default.
                    let weight = e.weight.filter(|w| *w != 0).unwrap_or(default);
                    if weight < 0 {
                        errors.push(invalid(&format!("{path}.plugins.{point}.enabled"), weight, "weight must not be negative"));
                    }
                    p.weights.insert(e.name.clone(), weight);
                }
            }
            if filters && FILTERS.contains(&e.name.as_str()) {
                p.disabled_filters.retain(|d| *d != e.name);
            }
        }
    }
    for (j, c) in raw.plugin_config.into_iter().flatten().enumerate() {
        let args_path = format!("{path}.pluginConfig[{j}].args");
        let args = c.args.unwrap_or(Value::Null);
        match c.name.as_str() {
            "NodeResourcesFit" => match serde_json::from_value::<RawFitArgs>(args) {
                Ok(raw) => p.fit = fit_args(raw, &args_path, errors),
                Err(e) => errors.push(decode_error(e)),
            },
            "InterPodAffinity" => {
                let w = args.get("hardPodAffinityWeight").and_then(Value::as_i64).unwrap_or(1);
                if !(0..=100).contains(&w) {
                    errors.push(invalid(&format!("{args_path}.hardPodAffinityWeight"), w, "not in valid range [0, 100]"));
                }
                p.hard_pod_affinity_weight = w;
            }
            "NodeResourcesBalancedAllocation" => {
                let list = args.get("resources").and_then(Value::as_array).cloned().unwrap_or_default();
                if !list.is_empty() {
                    p.balanced_resources = list.iter().filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string)).collect();
                }
            }
            other if known(other) => {}
            other => errors.push(format!("{path}.pluginConfig[{j}]: Invalid value: {other:?}: plugin {other:?} does not exist")),
        }
    }
    p
}

fn fit_args(raw: RawFitArgs, path: &str, errors: &mut Vec<String>) -> FitArgs {
    for (j, r) in raw.ignored_resource_groups.iter().flatten().enumerate() {
        if r.contains('/') {
            errors.push(invalid(&format!("{path}.ignoredResourceGroups[{j}]"), format!("{r:?}"), "resource group name can't contain '/'"));
        }
    }
    let _ = raw.ignored_resources;
    let strategy_path = format!("{path}.scoringStrategy");
    let Some(s) = raw.scoring_strategy else { return FitArgs::default() };
    let mut resources: Vec<(String, i64)> =
        s.resources.unwrap_or_default().into_iter().map(|r| (r.name, r.weight.filter(|w| *w != 0).unwrap_or(1))).collect();
    if resources.is_empty() {
        resources = FitArgs::default().resources;
    }
    for (j, (name, weight)) in resources.iter().enumerate() {
        if *weight <= 0 || *weight > 100 {
            errors.push(invalid(
                &format!("{strategy_path}.resources[{j}].weight"),
                weight,
                &format!("resource weight of {name} not in valid range (0, 100]"),
            ));
        }
    }
    let type_ = s.type_.unwrap_or_default();
    let strategy = match type_.as_str() {
        "LeastAllocated" | "MostAllocated" => {
            if s.requested_to_capacity_ratio.is_some() {
                errors.push(format!(
                    "{strategy_path}.requestedToCapacityRatio: Forbidden: must be nil when type is not RequestedToCapacityRatio"
                ));
            }
            if type_ == "LeastAllocated" {
                Strategy::LeastAllocated
            } else {
                Strategy::MostAllocated
            }
        }
        "RequestedToCapacityRatio" => match s.requested_to_capacity_ratio {
            None => {
                errors.push(format!(
                    "{strategy_path}.requestedToCapacityRatio: Required value: must be specified when type is RequestedToCapacityRatio"
                ));
                Strategy::LeastAllocated
            }
            Some(shape) => Strategy::RequestedToCapacityRatio(validate_shape(
                shape.shape.unwrap_or_default(),
                &format!("{strategy_path}.requestedToCapacityRatio.shape"),
                errors,
            )),
        },
        other => {
            errors.push(format!(
                "{strategy_path}.type: Unsupported value: {other:?}: supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""
            ));
            Strategy::LeastAllocated
        }
    };
    FitArgs { strategy, resources }
}

/// `validateFunctionShape`; the valid shape comes back with scores scaled to 0..=100.
fn validate_shape(shape: Vec<RawPoint>, path: &str, errors: &mut Vec<String>) -> Vec<(i64, i64)> {
    if shape.is_empty() {
        errors.push(format!("{path}: Required value: at least one point must be specified"));
        return Vec::new();
    }
    if let Some(next) = shape.windows(2).position(|w| w[0].utilization >= w[1].utilization).map(|i| i + 1) {
        let value = shape.get(next).map_or(0, |p| p.utilization);
        errors.push(invalid(&format!("{path}[{next}].utilization"), value, "values must be sorted in increasing order"));
    }
    for (i, point) in shape.iter().enumerate() {
        if !(0..=100).contains(&point.utilization) {
            errors.push(invalid(&format!("{path}[{i}].utilization"), point.utilization, "not in valid range [0, 100]"));
        }
        if !(0..=10).contains(&point.score) {
            errors.push(invalid(&format!("{path}[{i}].score"), point.score, "not in valid range [0, 10]"));
        }
    }
    shape.iter().map(|p| (p.utilization, p.score.saturating_mul(10))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_allocated_is_selectable_and_bad_weights_are_refused() {
        let ok = "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: MostAllocated\n";
        let config = Config::parse(ok).unwrap();
        assert_eq!(config.profiles[0].fit.strategy, Strategy::MostAllocated);
        let bad = ok.replace("type: MostAllocated", "type: MostAllocated\n        resources:\n        - name: cpu\n          weight: 101");
        assert_eq!(
            Config::parse(&bad).unwrap_err(),
            "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: 101: resource weight of cpu not in valid range (0, 100]"
        );
        assert_eq!(
            Config::parse("apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\npercentageOfNodes: 3\n")
                .unwrap_err(),
            "strict decoding error: unknown field \"percentageOfNodes\""
        );
    }
}
