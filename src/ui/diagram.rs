//! The cluster diagram: the control plane on top, the worker nodes below it, then the key and
//! the latest messages. It only draws what the snapshot says.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::ui::control_plane::ControlPlane;
use crate::ui::legend::Legend;
use crate::ui::message_strip::MessageStrip;
use crate::ui::node_card::NodeCard;
use crate::ui::state::MessageView;
use crate::ui::view::component_key;
use crate::{Component, Snapshot};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub snapshot: Rc<Snapshot>,
    pub recent: Rc<Vec<MessageView>>,
    pub active: Rc<Vec<String>>,
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let snapshot = &props.snapshot;
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
                <Legend owners={owners.into_iter().collect::<Vec<_>>()} />
            </div>
            <div class="diagram-body">
                <ControlPlane
                    name={control.map_or_else(|| "control-plane".to_string(), |n| n.name.clone())}
                    status={control.map(|n| n.status.clone())}
                    pods={control.map(|n| n.pods.clone()).unwrap_or_default()}
                    waiting={snapshot.unscheduled.clone()}
                    active={props.active.clone()}
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
                                />
                            }
                        }) }
                    </div>
                }
            </div>
            <footer class="diagram-foot">
                <MessageStrip recent={props.recent.clone()} />
            </footer>
        </section>
    }
}
