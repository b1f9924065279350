//! The scheduler's reasoning for a pod, as the inspector shows it: its latest decision (the same
//! data as `sim explain pod NAME -o json`) turned into sentences and a table. Why this node (the
//! highest total, plugin by plugin), and why not each other node (the filter plugin that
//! rejected it and its reasons, or how far behind its score was).

use yew::prelude::*;

use crate::scheduler::Decision;

/// One node the scheduler looked at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRow {
    pub node: String,
    pub chosen: bool,
    /// The filter plugin that rejected the node and its reasons; `None`: the node passed.
    pub rejected: Option<(String, String)>,
    /// Each score plugin's normalized score and weighted score (normalized × weight).
    pub scores: Vec<(i64, i64)>,
    pub total: i64,
}

/// The scheduler's latest decision for one pod, ready to draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// One sentence: where the pod went and why, or why it could not go anywhere.
    pub headline: String,
    /// Preemption and PreFilter notes, when they happened.
    pub notes: Vec<String>,
    /// The score plugins with their weights, in the order of `NodeRow::scores`.
    pub plugins: Vec<(String, i64)>,
    /// The chosen node first, then the other feasible nodes by score, then the rejected ones.
    pub rows: Vec<NodeRow>,
}

impl Explanation {
    pub fn of(d: &Decision) -> Explanation {
        let mut feasible = 0;
        let mut rows: Vec<NodeRow> = d
            .nodes
            .iter()
            .map(|v| {
                let chosen = d.node.as_deref() == Some(&*v.name);
                let node = v.name.to_string();
                match &v.rejection {
                    Some(r) => {
                        NodeRow { node, chosen, rejected: Some((r.plugin.to_string(), r.reasons.join(", "))), scores: Vec::new(), total: 0 }
                    }
                    None => {
                        let scores =
                            d.plugins.iter().zip(d.scores_of(feasible)).map(|((_, w), s)| (s.normalized, s.normalized.saturating_mul(*w)));
                        feasible += 1;
                        NodeRow { node, chosen, rejected: None, scores: scores.collect(), total: v.total }
                    }
                }
            })
            .collect();
        rows.sort_by_key(|r| (!r.chosen, r.rejected.is_some(), std::cmp::Reverse(r.total)));
        let pod = format!("{}/{}", d.pod.namespace, d.pod.name);
        let headline = match (&d.node, rows.iter().find(|r| !r.chosen && r.rejected.is_none())) {
            (Some(node), _) if d.plugins.is_empty() => format!("{pod} went to {node}: the only node that passed every filter."),
            (Some(node), Some(next)) => {
                let total = rows.first().map_or(0, |r| r.total);
                if next.total == total {
                    format!("{pod} went to {node}: the highest total score, {total}, tied with {} (the scheduler picks one of the best at random).", next.node)
                } else {
                    format!("{pod} went to {node}: the highest total score, {total} ({} next with {}).", next.node, next.total)
                }
            }
            (Some(node), None) => format!("{pod} went to {node}."),
            (None, _) => format!("{pod} could not be scheduled: {}", d.message.as_deref().unwrap_or("no node fits.")),
        };
        let mut notes = Vec::new();
        if let Some((node, victims)) = &d.preemption {
            let names: Vec<String> = victims.iter().map(|k| format!("{}/{}", k.namespace, k.name)).collect();
            notes.push(format!("Preemption nominated it to {node}, evicting {}.", names.join(", ")));
        }
        if let Some(r) = &d.pre_filter {
            notes.push(format!("PreFilter {} rejected the pod on every node: {}", r.plugin, r.reasons.join(", ")));
        }
        let plugins = d.plugins.iter().map(|(p, w)| (p.to_string(), *w)).collect();
        Explanation { headline, notes, plugins, rows }
    }
}

#[derive(Properties, PartialEq)]
pub struct SchedulingProps {
    pub explanation: Option<Explanation>,
}

/// Why this node, why not the others: a sentence, then one row per node with each filter's
/// verdict or each score plugin's weighted score.
#[function_component(Scheduling)]
pub fn scheduling(props: &SchedulingProps) -> Html {
    let Some(e) = &props.explanation else {
        return html! { <p class="empty">{"The scheduler has not tried this pod (yet): a pod bound by name or by a DaemonSet has no decision."}</p> };
    };
    let best = e.rows.iter().find(|r| r.chosen).map(|r| r.total);
    html! {
        <div class="explain">
            <p class="explain-headline">{&e.headline}</p>
            { for e.notes.iter().map(|n| html! { <p class="explain-note">{n}</p> }) }
            <div class="explain-scroll">
                <table class="explain-table">
                    <caption class="visually-hidden">{"The scheduler's verdict for each node"}</caption>
                    <thead>
                        <tr>
                            <th scope="col">{"Node"}</th>
                            <th scope="col">{"Verdict"}</th>
                            { for e.plugins.iter().map(|(p, w)| html! {
                                <th scope="col" class="num" title={format!("{p}: normalized score (0–100) × weight {w}")}>
                                    {p}<span class="muted">{format!(" ×{w}")}</span>
                                </th>
                            }) }
                            if !e.plugins.is_empty() { <th scope="col" class="num">{"Total"}</th> }
                        </tr>
                    </thead>
                    <tbody>
                        { for e.rows.iter().map(|r| row(r, e.plugins.len(), best)) }
                    </tbody>
                </table>
            </div>
        </div>
    }
}

fn row(r: &NodeRow, plugins: usize, best: Option<i64>) -> Html {
    let verdict = match (&r.rejected, r.chosen, best) {
        (Some((plugin, reasons)), _, _) => {
            html! { <><span class="explain-bad" aria-hidden="true">{"✕ "}</span>{format!("filtered out by {plugin}: {reasons}")}</> }
        }
        (None, true, _) => html! { <><span class="explain-ok" aria-hidden="true">{"★ "}</span>{"chosen"}</> },
        (None, false, Some(best)) => html! { <>{format!("passed; {} points behind", best.saturating_sub(r.total))}</> },
        (None, false, None) => html! { <>{"passed"}</> },
    };
    let cells = if r.rejected.is_some() {
        html! { if plugins > 0 { <td colspan={(plugins + 1).to_string()} class="muted">{"not scored"}</td> } }
    } else {
        html! {
            <>
                { for r.scores.iter().map(|(normalized, weighted)| html! {
                    <td class="num" title={format!("normalized {normalized}")}>{weighted}</td>
                }) }
                if plugins > 0 { <td class="num total">{r.total}</td> }
            </>
        }
    };
    html! {
        <tr class={classes!(r.chosen.then_some("is-chosen"), r.rejected.is_some().then_some("is-rejected"))}>
            <th scope="row">{&r.node}</th>
            <td class="verdict">{verdict}</td>
            {cells}
        </tr>
    }
}
