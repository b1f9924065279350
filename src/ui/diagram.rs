//! The cluster diagram: the control plane on top, the Services and the worker nodes below it,
//! then the key and the latest messages. It only draws what the snapshot says; its menus send
//! commands to the console.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::cluster::ControlPlaneMember;
use crate::ui::control_plane::ControlPlane;
use crate::ui::export::Export;
use crate::ui::legend::Legend;
use crate::ui::message_strip::MessageStrip;
use crate::ui::node_card::NodeCard;
use crate::ui::services::Services;
use crate::ui::state::{Action, MessageView, Target, Traffic, UiState};
use crate::ui::traffic::ServiceView;
use crate::ui::view::{component_key, MessageGroup};
use crate::{Component, NodeView, Snapshot};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub snapshot: Rc<Snapshot>,
    pub recent: Rc<Vec<MessageView>>,
    pub active: Rc<Vec<String>>,
    /// The cluster at a past revision, drawn instead of `snapshot` while the timeline looks back.
    pub past: Option<Rc<Snapshot>>,
    pub hidden: Rc<Vec<MessageGroup>>,
    pub stepping: bool,
    pub services: Rc<Vec<ServiceView>>,
    pub traffic: Rc<Traffic>,
    /// The notice after "Continue from here".
    pub forked: Option<Rc<String>>,
    pub members: Rc<Vec<ControlPlaneMember>>,
    /// The virtual clock, for the exported picture's caption.
    pub clock: AttrValue,
    pub dispatch: UseReducerDispatcher<UiState>,
}

/// `sim node add worker-N` with the first N no node has.
fn add_node_command(nodes: &[NodeView]) -> String {
    let taken = |n: usize| nodes.iter().any(|node| node.name == format!("worker-{n}"));
    let n = (1..).find(|&n| !taken(n)).unwrap_or(1);
    format!("sim node add worker-{n}")
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let snapshot = props.past.as_ref().unwrap_or(&props.snapshot);
    // One callback for the diagram's life: pod chips compare props, so a new callback on every
    // render would redraw every chip whenever a message arrives.
    let on_inspect = {
        let dispatch = props.dispatch.clone();
        use_callback((), move |t: Target, _| dispatch.dispatch(Action::Inspect(Some(t))))
    };
    let on_run = {
        let dispatch = props.dispatch.clone();
        use_callback((), move |command: String, _| dispatch.dispatch(Action::Run(command)))
    };
    // Shared node views: a re-render for a message (the busy components) clones no pods, and a
    // node card whose node did not change compares equal and is not redrawn.
    let workers = use_memo(snapshot.clone(), |s| s.nodes.iter().filter(|n| !n.control_plane).cloned().map(Rc::new).collect::<Vec<_>>());
    let control = snapshot.nodes.iter().find(|n| n.control_plane);
    let add_node = {
        let command = add_node_command(&snapshot.nodes);
        let on_run = on_run.clone();
        Callback::from(move |_: MouseEvent| on_run.emit(command.clone()))
    };

    let owners = use_memo(snapshot.clone(), |s| {
        let mut owners: BTreeMap<String, usize> = BTreeMap::new();
        let all_pods = s.nodes.iter().flat_map(|n| n.pods.iter()).chain(s.unscheduled.iter());
        for owner in all_pods.filter_map(|p| p.owner.as_ref()) {
            *owners.entry(owner.clone()).or_default() += 1;
        }
        owners.into_iter().collect::<Vec<_>>()
    });

    html! {
        <section class="pane diagram" aria-label="Cluster diagram">
            <div class="diagram-head">
                <h2 class="pane-title">{"Cluster"}</h2>
                <Legend owners={(*owners).clone()} on_inspect={on_inspect.clone()} />
                <Export snapshot={snapshot.clone()} services={props.services.clone()} clock={props.clock.clone()} />
            </div>
            if let Some(note) = &props.forked {
                <p class="fork-banner" role="status">
                    <span>{note.as_str()}</span>
                    <button type="button" class="btn btn-small" aria-label="Dismiss the notice"
                        onclick={props.dispatch.to_callback().reform(|_| Action::DismissFork)}>{"OK"}</button>
                </p>
            }
            if props.past.is_some() {
                <p class="past-banner" role="status">{"The cluster as it was at an earlier revision (read-only). Use the timeline to go back to live."}</p>
            }
            <div class={classes!("diagram-body", props.past.is_some().then_some("is-past"))}>
                <ControlPlane
                    name={control.map_or_else(|| "control-plane".to_string(), |n| n.name.clone())}
                    status={control.map(|n| n.status.clone())}
                    pods={control.map(|n| n.pods.clone()).unwrap_or_default()}
                    waiting={snapshot.unscheduled.clone()}
                    active={props.active.clone()}
                    on_inspect={on_inspect.clone()}
                    on_run={on_run.clone()}
                    members={props.members.clone()}
                />
                <div class="bus" aria-hidden="true"><span>{"watch and API calls"}</span></div>
                if props.past.is_none() {
                    <Services services={props.services.clone()} traffic={props.traffic.clone()} on_inspect={on_inspect.clone()} />
                }
                if workers.is_empty() {
                    <p class="empty workers-empty">{"No worker nodes yet."}</p>
                } else {
                    <div class="workers">
                        { for workers.iter().map(|node| {
                            let busy = |c: Component| props.active.contains(&component_key(&c));
                            html! {
                                <NodeCard
                                    key={node.name.clone()}
                                    node={node.clone()}
                                    kubelet_active={busy(Component::Kubelet(node.name.clone()))}
                                    proxy_active={busy(Component::KubeProxy(node.name.clone()))}
                                    on_inspect={on_inspect.clone()}
                                    on_run={on_run.clone()}
                                />
                            }
                        }) }
                    </div>
                }
                if props.past.is_none() {
                    <button type="button" class="btn btn-small add-node" onclick={add_node}>{"+ Add a node"}</button>
                }
            </div>
            <footer class="diagram-foot">
                <MessageStrip recent={props.recent.clone()} hidden={props.hidden.clone()}
                    stepping={props.stepping} dispatch={props.dispatch.clone()} />
            </footer>
        </section>
    }
}
