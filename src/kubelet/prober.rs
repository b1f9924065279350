//! The prober (`pkg/kubelet/prober`): startup, liveness and readiness probes of the exec,
//! httpGet, tcpSocket and grpc kinds, run against the simulated process. A port answers when
//! the container's server listens on it; an exec probe runs the tiny shell in the container.
use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::pod_workers::ContainerWorker;
use super::runtime;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeKind {
    Startup,
    Liveness,
    Readiness,
}

impl ProbeKind {
    /// As event messages write it: `Liveness probe failed: ...`.
    pub fn title(self) -> &'static str {
        match self {
            ProbeKind::Startup => "Startup",
            ProbeKind::Liveness => "Liveness",
            ProbeKind::Readiness => "Readiness",
        }
    }
}

/// Consecutive results of one probe.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter {
    pub successes: i32,
    pub failures: i32,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Counters([Counter; 3]);

impl Counters {
    pub fn get(&mut self, kind: ProbeKind) -> &mut Counter {
        &mut self.0[kind as usize]
    }
}

pub fn probe(c: &Container, kind: ProbeKind) -> Option<&Probe> {
    match kind {
        ProbeKind::Startup => c.startup_probe.as_ref(),
        ProbeKind::Liveness => c.liveness_probe.as_ref(),
        ProbeKind::Readiness => c.readiness_probe.as_ref(),
    }
}

/// periodSeconds (default 10, at least 1).
pub fn period_ms(p: &Probe) -> u64 {
    p.period_seconds.unwrap_or(10).clamp(1, 86_400) as u64 * 1000
}

/// (successThreshold, failureThreshold): defaults 1 and 3.
pub fn thresholds(p: &Probe) -> (i32, i32) {
    (p.success_threshold.unwrap_or(1).max(1), p.failure_threshold.unwrap_or(3).max(1))
}

/// When the first probes run, as delays from `now`: the startup probe alone until it
/// succeeds, then liveness and readiness. A probe worker ticks every periodSeconds from when
/// the kubelet first saw the pod and skips ticks before initialDelaySeconds have passed
/// since the container started (`pkg/kubelet/prober/worker.go`).
pub fn first_probes(c: &Container, started: bool, container_start: u64, worker_start: u64, now: u64) -> Vec<(u64, ProbeKind)> {
    let kinds: &[ProbeKind] = if started { &[ProbeKind::Liveness, ProbeKind::Readiness] } else { &[ProbeKind::Startup] };
    kinds
        .iter()
        .filter_map(|k| {
            let p = probe(c, *k)?;
            let period = period_ms(p);
            let initial = p.initial_delay_seconds.unwrap_or(0).clamp(0, 86_400) as u64 * 1000;
            let earliest = container_start.saturating_add(initial).max(now);
            let tick = worker_start.saturating_add(earliest.saturating_sub(worker_start).div_ceil(period).saturating_mul(period));
            Some((tick.saturating_sub(now), *k))
        })
        .collect()
}

/// Runs one probe against a running container; `Err` carries upstream's failure output.
pub fn check(p: &Probe, c: &ContainerWorker, ip: &str, uptime_ms: u64) -> Result<(), String> {
    let Some(process) = c.process.as_ref() else { return Err("container not running".to_string()) };
    let server = process.server.as_ref();
    let listens = |port: i32| server.is_some_and(|s| s.ports.iter().any(|p| i32::from(*p) == port));
    if let Some(exec) = &p.exec {
        let image = c.image();
        let timeout = p.timeout_seconds.unwrap_or(1).clamp(1, 86_400) as u64 * 1000;
        let (status, output) = process.exec(exec.command.as_deref().unwrap_or_default(), &|w| runtime::program(&image, w), timeout);
        return if status == 0 { Ok(()) } else { Err(output) };
    }
    if let Some(http) = &p.http_get {
        let port = port_number(&c.spec, &http.port);
        let scheme = http.scheme.as_deref().unwrap_or("HTTP").to_lowercase();
        let path = http.path.as_deref().unwrap_or("/");
        if !listens(port) {
            return Err(format!("Get \"{scheme}://{ip}:{port}{path}\": dial tcp {ip}:{port}: connect: connection refused"));
        }
        return match server.and_then(|s| s.healthy_for_ms) {
            Some(healthy) if uptime_ms > healthy => Err("HTTP probe failed with statuscode: 500".to_string()),
            _ => Ok(()),
        };
    }
    if let Some(tcp) = &p.tcp_socket {
        let port = port_number(&c.spec, &tcp.port);
        return if listens(port) { Ok(()) } else { Err(format!("dial tcp {ip}:{port}: connect: connection refused")) };
    }
    if let Some(grpc) = &p.grpc {
        let timeout = p.timeout_seconds.unwrap_or(1);
        return if listens(grpc.port) {
            Ok(())
        } else {
            Err(format!("timeout: failed to connect service \"{ip}:{}\" within {timeout}s", grpc.port))
        };
    }
    Ok(())
}

/// A probe's port: a number, or the name of one of the container's ports.
fn port_number(c: &Container, port: &IntOrString) -> i32 {
    match port {
        IntOrString::Int(n) => *n,
        IntOrString::String(name) => {
            c.ports.iter().flatten().find(|p| p.name.as_deref() == Some(name.as_str())).map_or(0, |p| p.container_port)
        }
    }
}
