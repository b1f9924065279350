//! `sim curl`, `sim load`, `sim nslookup` and `sim proxy rules`: traffic through the cluster's
//! DNS and each node's kube-proxy rules (`crate::network`, `crate::proxy`, `crate::dns`).
use super::sim::parse_duration;
use super::{parse_args, Args};
use crate::api::Key;
use crate::network::{CurlRequest, Load, Source};
use crate::Cluster;

pub const USAGE: &str = "  sim curl TARGET [--from POD|NODE] [-n COUNT] [--namespace NS] [-H 'Host: NAME'] [--resolve HOST:PORT:ADDRESS]
  sim load TARGET --rps N [--for DURATION] [--namespace NS]
  sim load stop
  sim nslookup NAME [--namespace NS]
  sim proxy rules NODE
  sim ingress-controller install
";

/// The most requests one `sim curl` sends.
const MAX_COUNT: usize = 100_000;

pub fn run(cluster: &mut Cluster, command: &str, rest: &[String]) -> Result<String, String> {
    // Here `-n` is a count, as in curl-like tools; the namespace is `--namespace`.
    let words: Vec<String> = rest
        .iter()
        .map(|w| match w.strip_prefix("-n") {
            Some("") => "--count".to_string(),
            Some(v) if !w.starts_with("--") => format!("--count={}", v.trim_start_matches('=')),
            _ => w.clone(),
        })
        .collect();
    let args = parse_args(&words).map_err(|e| e.replace("--count", "'n' in -n"))?;
    match command {
        "curl" => curl(cluster, &args),
        "load" => load(cluster, &args),
        "nslookup" => nslookup(cluster, &args),
        "ingress-controller" => ingress_controller(cluster, &args),
        _ => proxy(cluster, &args),
    }
}

fn curl(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let [target] = args.positional.as_slice() else {
        return Err(
            "error: usage: sim curl TARGET [--from POD|NODE] [-n COUNT] [--namespace NS] [-H 'Host: NAME'] [--resolve HOST:PORT:ADDRESS]"
                .to_string(),
        );
    };
    let count = match args.value("count") {
        None => 1,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => return Err(format!("error: invalid argument {v:?} for \"-n\" flag: expected a count from 1 to {MAX_COUNT}")),
        },
    };
    let namespace = args.namespace().to_string();
    let source = match args.value("from") {
        None => Source::Client,
        Some(from) if cluster.kube_proxy(from).is_some() => Source::Node(from.to_string()),
        Some(from) => Source::Pod(Key::new("Pod", &namespace, from)),
    };
    // curl sends the last Host header given; other headers change nothing here.
    let host_header = args
        .values("header")
        .filter_map(|h| h.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim().to_string())
        .last();
    let mut resolve = Vec::new();
    for entry in args.values("resolve") {
        let bad = || format!("curl: (49) Couldn't parse CURLOPT_RESOLVE entry '{entry}'");
        let mut parts = entry.splitn(3, ':');
        let (Some(host), Some(port), Some(address)) = (parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
        let port = port.parse::<u16>().map_err(|_| bad())?;
        resolve.push((host.to_string(), i32::from(port), address.to_string()));
    }
    cluster.curl(&CurlRequest { target: target.clone(), source, count, namespace, host_header, resolve })
}

fn load(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    match args.positional.as_slice() {
        [stop] if stop == "stop" => Ok(match cluster.stop_loads() {
            0 => "no load running".to_string(),
            1 => "load stopped".to_string(),
            n => format!("{n} loads stopped"),
        }),
        [target] => {
            let usage = || "error: usage: sim load TARGET --rps N [--for DURATION] [--namespace NS]".to_string();
            let rps_text = args.value("rps").ok_or_else(usage)?;
            let rps = match rps_text.parse::<u64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    return Err(format!(
                        "error: invalid argument {rps_text:?} for \"--rps\" flag: expected a whole number from 1 to 1000000"
                    ))
                }
            };
            let duration = args.value("for").map(parse_duration).transpose()?;
            let until_ms = duration.map(|d| cluster.now_ms().saturating_add(d));
            cluster.start_load(Load { target: target.clone(), namespace: args.namespace().to_string(), rps, until_ms });
            let how_long = args.value("for").map_or("until `sim load stop`".to_string(), |d| format!("for {d}"));
            Ok(format!("sending {rps} requests per second to {target} {how_long}"))
        }
        _ => Err("error: usage: sim load TARGET --rps N [--for DURATION] [--namespace NS] | sim load stop".to_string()),
    }
}

/// `nslookup NAME` run in a pod of the namespace, as dnsutils' nslookup prints its answer.
fn nslookup(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let [name] = args.positional.as_slice() else { return Err("error: usage: sim nslookup NAME [--namespace NS]".to_string()) };
    let server = crate::dns::DNS_SERVICE_IP;
    let mut out = format!("Server:\t\t{server}\nAddress:\t{server}#53\n\n");
    match crate::dns::resolve(cluster.api(), name, args.namespace()) {
        Some((fqdn, crate::dns::Answer::A(ips))) => {
            for ip in ips {
                out.push_str(&format!("Name:\t{fqdn}\nAddress: {ip}\n"));
            }
            Ok(out.trim_end().to_string())
        }
        Some((fqdn, crate::dns::Answer::Cname(target))) => {
            out.push_str(&format!("{fqdn}\tcanonical name = {target}."));
            Ok(out)
        }
        None => {
            out.push_str(&format!("** server can't find {name}: NXDOMAIN"));
            Err(out)
        }
    }
}

/// `sim ingress-controller install`: applies ingress-nginx's manifest, as a tutorial's
/// `kubectl apply -f deploy.yaml` (or `minikube addons enable ingress`) does.
fn ingress_controller(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    if args.positional.as_slice() != ["install"] {
        return Err("error: usage: sim ingress-controller install".to_string());
    }
    let out = super::execute(cluster, "kubectl apply -f -", Some(crate::controllers::ingress_nginx::MANIFEST));
    Ok(out.trim_end().to_string())
}

/// `sim proxy rules NODE` prints a node's rules as `iptables-save` shows them.
fn proxy(cluster: &mut Cluster, args: &Args) -> Result<String, String> {
    let [what, node] = args.positional.as_slice() else { return Err("error: usage: sim proxy rules NODE".to_string()) };
    if what != "rules" {
        return Err(format!("error: unknown command {what:?} for \"sim proxy\" (to stop kube-proxy: sim stop kube-proxy NODE)"));
    }
    let proxy = cluster.kube_proxy(node).ok_or_else(|| format!("Error from server (NotFound): nodes \"{node}\" not found"))?;
    Ok(proxy.iptables_save().trim_end().to_string())
}
