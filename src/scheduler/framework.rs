//! One scheduling cycle (`schedule_one.go` `schedulePod`): PreFilter, Filter over the nodes
//! (adaptive sampling from a rotating start, first rejection wins per node), PreScore, Score,
//! NormalizeScore, weights, and the tie-break. The result is kept as a [`Decision`] that
//! `sim explain` shows.
use std::collections::BTreeMap;
use std::sync::Arc;

use super::cache::NodeInfo;
use super::config::Profile;
use super::plugins::{self, Cycle, Registered, Rejection};
use crate::api::Key;
use crate::rng::Rng;

/// `minFeasibleNodesToFind` and `minFeasibleNodesPercentageToFind`.
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

/// `numFeasibleNodesToFind`: how many feasible nodes to look for before scoring.
pub fn num_feasible_nodes_to_find(percentage: i64, all: usize) -> usize {
    if all < MIN_FEASIBLE_NODES_TO_FIND {
        return all;
    }
    let mut pct = percentage;
    if pct == 0 {
        pct = (50 - i64::try_from(all / 125).unwrap_or(i64::MAX)).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
    }
    if pct >= 100 {
        return all;
    }
    (all.saturating_mul(usize::try_from(pct).unwrap_or(0)) / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
}

/// One plugin's score for one node: raw, then normalized (the weighted score is
/// normalized × the plugin's weight).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PluginScore {
    pub raw: i64,
    pub normalized: i64,
}

/// What the cycle found for one node it looked at.
#[derive(Clone, Debug)]
pub struct NodeVerdict {
    pub name: Arc<str>,
    /// Index of the node in the cache's node list (valid during the cycle only).
    pub index: usize,
    pub rejection: Option<Rejection>,
    pub total: i64,
}

/// The scheduler's latest decision for a pod: every node it looked at, with the filter
/// verdict and, for feasible nodes, each score plugin's score.
#[derive(Clone, Debug)]
pub struct Decision {
    pub pod: Key,
    pub node: Option<String>,
    pub message: Option<String>,
    /// The score plugins that ran, with their weights (none when fewer than two nodes fit).
    pub plugins: Vec<(&'static str, i64)>,
    pub nodes: Vec<NodeVerdict>,
    /// `plugins.len()` scores per feasible node, in the order of the feasible nodes in `nodes`.
    pub scores: Vec<PluginScore>,
    /// Set when PreFilter rejected the pod for every node.
    pub pre_filter: Option<Rejection>,
    /// When preemption made room: the node the pod was nominated to, and the victims.
    pub preemption: Option<(String, Vec<Key>)>,
}

impl Decision {
    /// The scores of the n-th feasible node, one per plugin.
    pub fn scores_of(&self, feasible_index: usize) -> &[PluginScore] {
        let n = self.plugins.len();
        self.scores.get(feasible_index * n..(feasible_index + 1) * n).unwrap_or(&[])
    }

    /// The filter rejections, one per rejected node.
    pub fn rejections(&self) -> impl Iterator<Item = &Rejection> {
        self.nodes.iter().filter_map(|n| n.rejection.as_ref())
    }
}

/// A profile's plugins, ready to run cycles.
pub struct Framework {
    pub profile: Profile,
    plugins: Vec<Registered>,
    /// Which filters PreFilter kept in the latest cycle (preemption's dry runs reuse them).
    run: Vec<bool>,
}

/// `framework.FitError.Error()` before the PostFilter message: the histogram of reasons,
/// each `"<count> <reason>"`, sorted as strings.
pub fn fit_error<'a>(num_nodes: usize, reasons: impl Iterator<Item = &'a str>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for reason in reasons {
        *counts.entry(reason).or_default() += 1;
    }
    let mut histogram: Vec<String> = counts.iter().map(|(reason, n)| format!("{n} {reason}")).collect();
    histogram.sort();
    format!("0/{num_nodes} nodes are available: {}.", histogram.join(", "))
}

impl Framework {
    pub fn new(profile: Profile) -> Framework {
        Framework { plugins: plugins::build(&profile), profile, run: Vec::new() }
    }

    pub fn last_run(&self) -> &[bool] {
        &self.run
    }

    /// Runs PreFilter; an error is the pod's rejection on every node.
    fn pre_filter(&mut self, cx: &Cycle) -> Result<(), Rejection> {
        self.run.clear();
        for r in &mut self.plugins {
            let run = r.filter && r.plugin.pre_filter(cx)?;
            self.run.push(run);
        }
        Ok(())
    }

    /// Runs the filters that PreFilter did not skip, in order; the first rejection wins.
    fn filter_once(&self, run: &[bool], cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        for (r, _) in self.plugins.iter().zip(run).filter(|(_, run)| **run) {
            r.plugin.filter(cx, node)?;
        }
        Ok(())
    }

    /// `RunFilterPluginsWithNominatedPods`: the pod must fit both with the pods nominated to
    /// the node that are at least as important added, and without them.
    pub fn filter(&self, run: &[bool], cx: &Cycle, node: &NodeInfo) -> Result<(), Rejection> {
        if cx.nominated.is_empty() {
            return self.filter_once(run, cx, node);
        }
        let nominated = cx.nominated.get(&node.name).into_iter().flatten();
        let mut ahead = nominated.filter(|p| p.priority >= cx.pod.priority && p.key != cx.pod.key).peekable();
        if ahead.peek().is_some() {
            let mut with = node.clone();
            for p in ahead {
                with.add_pod(p.clone());
            }
            self.filter_once(run, cx, &with)?;
        }
        self.filter_once(run, cx, node)
    }

    /// One cycle over `nodes` (from `start`, round robin). Returns the decision and how many
    /// nodes were processed, to move the start for the next cycle.
    pub fn schedule(&mut self, cx: &Cycle, start: usize, global_percentage: i64, rng: &mut crate::rng::Rng) -> (Decision, usize) {
        let all = cx.nodes.len();
        let mut decision = Decision {
            pod: cx.pod.key.clone(),
            node: None,
            message: None,
            plugins: Vec::new(),
            nodes: Vec::new(),
            scores: Vec::new(),
            pre_filter: None,
            preemption: None,
        };
        if all == 0 {
            decision.message = Some("no nodes available to schedule pods".to_string());
            return (decision, 0);
        }
        match self.pre_filter(cx) {
            Ok(()) => {}
            Err(rejection) => {
                decision.message = Some(format!("0/{all} nodes are available: {}.", rejection.reasons.join(", ")));
                decision.pre_filter = Some(rejection);
                return (decision, 0);
            }
        }
        // A pod nominated by an earlier preemption tries its node first (`evaluateNominatedNode`).
        let nominated = cx.pod.pod.status.as_ref().and_then(|s| s.nominated_node_name.as_deref());
        if let Some(index) = nominated.and_then(|n| cx.nodes.iter().position(|i| &*i.name == n)) {
            if let Some(node) = cx.nodes.get(index).filter(|n| self.filter(&self.run, cx, n).is_ok()) {
                decision.nodes.push(NodeVerdict { name: node.name.clone(), index, rejection: None, total: 0 });
                decision.node = Some(node.name.to_string());
                return (decision, 0);
            }
        }
        let percentage = self.profile.percentage_of_nodes_to_score.unwrap_or(global_percentage);
        let wanted = num_feasible_nodes_to_find(percentage, all);
        let mut feasible: Vec<&NodeInfo> = Vec::with_capacity(wanted.min(all));
        decision.nodes.reserve(wanted.min(all));
        let mut processed = 0;
        for i in 0..all {
            if feasible.len() >= wanted {
                break;
            }
            let index = (start + i) % all;
            let Some(node) = cx.nodes.get(index) else { continue };
            processed += 1;
            let rejection = self.filter(&self.run, cx, node).err();
            if rejection.is_none() {
                feasible.push(node);
            }
            decision.nodes.push(NodeVerdict { name: node.name.clone(), index, rejection, total: 0 });
        }
        if feasible.is_empty() {
            decision.message = Some(fit_error(all, decision.rejections().flat_map(|r| r.reasons.iter().map(String::as_str))));
            return (decision, processed);
        }
        if feasible.len() > 1 {
            self.score(cx, &feasible, &mut decision);
        }
        let chosen = select_host(&decision, rng);
        decision.node = chosen.map(|n| n.to_string());
        (decision, processed)
    }

    /// PreScore, Score, NormalizeScore and weights over the feasible nodes.
    fn score(&mut self, cx: &Cycle, feasible: &[&NodeInfo], decision: &mut Decision) {
        let scorers: Vec<usize> = (0..self.plugins.len()).filter(|i| self.plugins[*i].weight > 0).collect();
        let n = scorers.len();
        decision.scores = vec![PluginScore::default(); feasible.len() * n];
        let mut column = vec![0i64; feasible.len()];
        for (p, &i) in scorers.iter().enumerate() {
            let r = &mut self.plugins[i];
            decision.plugins.push((r.plugin.name(), r.weight));
            if !r.plugin.pre_score(cx, feasible) {
                continue;
            }
            for (slot, node) in column.iter_mut().zip(feasible) {
                *slot = r.plugin.score(cx, node);
            }
            for (slot, raw) in decision.scores.iter_mut().skip(p).step_by(n).zip(&column) {
                slot.raw = *raw;
            }
            r.plugin.normalize(feasible, &mut column);
            for (slot, normalized) in decision.scores.iter_mut().skip(p).step_by(n).zip(&column) {
                slot.normalized = *normalized;
            }
        }
        let weights: Vec<i64> = decision.plugins.iter().map(|(_, w)| *w).collect();
        for (f, verdict) in decision.nodes.iter_mut().filter(|v| v.rejection.is_none()).enumerate() {
            let scores = decision.scores.get(f * n..(f + 1) * n).unwrap_or(&[]);
            verdict.total = scores.iter().zip(&weights).map(|(s, w)| s.normalized.saturating_mul(*w)).fold(0, i64::saturating_add);
        }
    }
}

/// `selectHost`: the highest total wins; ties are broken by reservoir sampling with the
/// cluster's RNG, so every tied node is equally likely.
fn select_host<'a>(decision: &'a Decision, rng: &mut Rng) -> Option<&'a str> {
    let mut best: Option<&NodeVerdict> = None;
    let mut ties = 0u64;
    for v in decision.nodes.iter().filter(|v| v.rejection.is_none()) {
        match best {
            Some(b) if v.total < b.total => {}
            Some(b) if v.total == b.total => {
                ties += 1;
                if rng.below(ties) == 0 {
                    best = Some(v);
                }
            }
            _ => {
                best = Some(v);
                ties = 1;
            }
        }
    }
    best.map(|v| &*v.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_percentage_of_nodes_to_score() {
        let found: Vec<usize> = [50, 100, 500, 1000, 5000, 6000].iter().map(|n| num_feasible_nodes_to_find(0, *n)).collect();
        assert_eq!(found, [50, 100, 230, 420, 500, 300]);
    }

    #[test]
    fn fit_error_sorts_its_histogram_as_strings() {
        let reasons = [
            "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }",
            "Insufficient cpu",
            "Insufficient cpu",
            "Insufficient cpu",
            "Insufficient memory",
        ];
        assert_eq!(
            fit_error(4, reasons.into_iter()),
            "0/4 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu."
        );
    }
}
