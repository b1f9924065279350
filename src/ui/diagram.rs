//! The cluster diagram: the control plane on top, the worker nodes below it, then the key and
//! the latest messages. It only draws what the snapshot says.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::ui::control_plane::ControlPlane;
use crate::ui::legend::Legend;
use crate::ui::message_strip::MessageStrip;
use crate::ui::node_card::NodeCard;
use crate::ui::state::{Action, MessageView, Target, UiState};
use crate::ui::view::{component_key, MessageGroup};
use crate::{Component, Snapshot};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub snapshot: Rc<Snapshot>,
    pub recent: Rc<Vec<MessageView>>,
    pub active: Rc<Vec<String>>,
    /// The cluster at a past revision, drawn instead of `snapshot` while the timeline looks back.
    pub past: Option<Rc<Snapshot>>,
    pub hidden: Rc<Vec<MessageGroup>>,
    pub stepping: bool,
    pub dispatch: UseReducerDispatcher<UiState>,
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
    let control = snapshot.nodes.iter().find(|n| n.control_plane);
    let workers: Vec<_> = snapshot.nodes.iter().filter(|n| !n.control_plane).collect();

    let mut owners: BTreeMap<String, usize> = BTreeMap::new();
    let all_pods = snapshot.nodes.iter().flat_map(|n| n.pods.iter()).chain(snapshot.unscheduled.iter());
    for owner in all_pods.filter_map(|p| p.owner.as_ref()) {
        *owners.entry(owner.clone()).or_default() += 1;
    }

    html! {
        <section class="pane diagram" aria-label="Cluster diagram">
            <div class="diagram-head">
                <h2 class="pane-title">{"Cluster"}</h2>
                <Legend owners={owners.into_iter().collect::<Vec<_>>()} on_inspect={on_inspect.clone()} />
            </div>
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
                />
                <div class="bus" aria-hidden="true"><span>{"watch and API calls"}</span></div>
                if workers.is_empty() {
                    <p class="empty workers-empty">{"No worker nodes yet."}</p>
                } else {
                    <div class="workers">
                        { for workers.iter().map(|node| {
                            let busy = |c: Component| props.active.contains(&component_key(&c));
                            html! {
                                <NodeCard
                                    key={node.name.clone()}
                                    node={(*node).clone()}
                                    kubelet_active={busy(Component::Kubelet(node.name.clone()))}
                                    proxy_active={busy(Component::KubeProxy(node.name.clone()))}
                                    on_inspect={on_inspect.clone()}
                                />
                            }
                        }) }
                    </div>
                }
            </div>
            <footer class="diagram-foot">
                <MessageStrip recent={props.recent.clone()} hidden={props.hidden.clone()}
                    stepping={props.stepping} dispatch={props.dispatch.clone()} />
            </footer>
        </section>
    }
}
