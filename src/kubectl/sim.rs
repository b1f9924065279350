//! `sim` commands: what kubectl cannot do but a learner needs, such as letting time pass or
//! adding a machine to the cluster.
use k8s_openapi::api::core::v1::Taint;

use super::{parse_args, Args, Input};
use crate::api::quantity::parse_milli;
use crate::cluster::NodeConfig;
use crate::Cluster;

pub fn run(cluster: &mut Cluster, words: &[String], input: &Input) -> Result<String, String> {
    let Some((command, rest)) = words.split_first() else {
        return Ok(format!("sim drives the simulation.\n\nCommands:\n  sim wait DURATION\n  sim node add NAME [--cpu N] [--memory QTY] [--pods N] [--label k=v]... [--taint k=v:Effect]...\n  sim node stop|start|partition|delete NAME\n  sim stop|start apiserver|scheduler|controller-manager\n  sim stop|start kubelet NODE\n  sim autoscaler nodes --min N --max M [--cpu N] [--memory QTY]\n  sim etcd snapshot save|restore NAME\n  sim explain pod NAME [-n NAMESPACE] [-o json]\n  sim scheduler config -f FILE|-\n{}{}", super::traffic::USAGE, super::expect::USAGE));
    };
    if matches!(command.as_str(), "curl" | "load" | "proxy" | "nslookup") {
        return super::traffic::run(cluster, command, rest);
    }
    if command == "expect" {
        return super::expect::run(cluster, rest);
    }
    let args = parse_args(rest)?;
    match (command.as_str(), args.positional.first().map(String::as_str)) {
        ("wait", _) => {
            let [duration] = args.positional.as_slice() else {
                return Err("error: usage: sim wait DURATION (e.g. 30s, 5m, 1h)".to_string());
            };
            let millis = parse_duration(duration)?;
            cluster.advance(millis);
            Ok(String::new())
        }
        ("node", Some("add")) => node_add(cluster, &args),
        ("node", Some(verb @ ("stop" | "start" | "partition" | "delete"))) => super::sim_faults::node(cluster, verb, &args),
        ("stop" | "start", _) => super::sim_faults::component(cluster, command, &args),
        ("autoscaler", _) => super::sim_faults::autoscaler(cluster, &args),
        ("etcd", _) => super::sim_faults::etcd(cluster, &args),
        ("node", other) => Err(format!("error: unknown command {:?} for \"sim node\"", other.unwrap_or(""))),
        ("explain", Some("pod" | "pods" | "po")) => super::scheduler::explain(cluster, &args),
        ("explain", _) => Err("error: usage: sim explain pod NAME [-n NAMESPACE] [-o json]".to_string()),
        ("scheduler", Some("config")) => super::scheduler::config(cluster, &args, input),
        ("scheduler", _) => Err("error: usage: sim scheduler config -f FILE|-".to_string()),
        (other, _) => Err(format!("error: unknown command {other:?} for \"sim\"")),
    }
}

/// Parses a Go duration (`300ms`, `30s`, `5m`, `1h30m`) into milliseconds, up to 30 days.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let invalid = || format!("error: invalid duration {text:?} (use e.g. 500ms, 30s, 5m, 1h)");
    let mut total: u64 = 0;
    let mut rest = text;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            _ => return Err(invalid()),
        };
        rest = &rest[unit_len..];
        total = total.saturating_add(number.saturating_mul(scale));
    }
    const MAX: u64 = 30 * 24 * 3_600_000;
    if total > MAX {
        return Err(format!("error: duration {text:?} is longer than the 720h a single wait may cover"));
    }
    Ok(total)
}

fn node_add(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let [_, name] = args.positional.as_slice() else {
        return Err(
            "error: usage: sim node add NAME [--cpu N] [--memory QTY] [--pods N] [--label k=v]... [--taint k=v:Effect]...".to_string()
        );
    };
    if let Some(e) = crate::api::validation::dns1123_subdomain(name).first() {
        return Err(format!("The Node {name:?} is invalid: metadata.name: Invalid value: {name:?}: {e}"));
    }
    let mut request = NodeConfig::worker(name);
    if let Some(cpu) = args.value("cpu") {
        check_quantity("cpu", cpu)?;
        request.cpu = cpu.to_string();
    }
    if let Some(memory) = args.value("memory") {
        check_quantity("memory", memory)?;
        request.memory = memory.to_string();
    }
    if let Some(pods) = args.value("pods") {
        request.pods =
            pods.parse().map_err(|_| format!("error: invalid argument {pods:?} for \"--pods\" flag: expected a whole number"))?;
    }
    for label in args.values("label") {
        let Some((k, v)) = label.split_once('=') else { return Err(format!("error: invalid label {label:?}: expected key=value")) };
        request.labels.insert(k.to_string(), v.to_string());
    }
    for taint in args.values("taint") {
        request.taints.push(parse_taint(taint)?);
    }
    cluster.add_node(request)?;
    Ok(format!("node/{name} added"))
}

pub(super) fn check_quantity(flag: &str, value: &str) -> Result<(), String> {
    match parse_milli(value) {
        Ok(v) if v > 0 => Ok(()),
        Ok(_) => Err(format!("error: --{flag} must be greater than 0")),
        Err(e) => Err(format!("error: invalid argument {value:?} for \"--{flag}\" flag: {e}")),
    }
}

/// Parses `key[=value]:Effect`, as `kubectl taint` does.
fn parse_taint(text: &str) -> Result<Taint, String> {
    let invalid = || format!("error: invalid taint spec: {text}");
    let (kv, effect) = text.rsplit_once(':').ok_or_else(invalid)?;
    if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
        return Err(format!("error: invalid taint effect: {effect}, unsupported taint effect"));
    }
    let (key, value) = match kv.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (kv, None),
    };
    if key.is_empty() {
        return Err(invalid());
    }
    Ok(Taint { key: key.to_string(), value, effect: effect.to_string(), time_added: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_writes_them() {
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
        assert_eq!(parse_duration("250ms"), Ok(250));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("99999h").is_err());
    }

    #[test]
    fn taints_as_kubectl_taint_writes_them() {
        let t = parse_taint("gpu=true:NoSchedule").unwrap();
        assert_eq!((t.key.as_str(), t.value.as_deref(), t.effect.as_str()), ("gpu", Some("true"), "NoSchedule"));
        assert!(parse_taint("gpu:Sometimes").is_err());
    }
}
