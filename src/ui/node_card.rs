//! A worker node: its agents (kubelet, kube-proxy, container runtime) and the pods bound to it.
//! A crowded node draws one chip per owner with a count, until the reader expands it.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::prelude::*;

use crate::ui::actions::{node_actions, ActionMenu};
use crate::ui::agent::Agent;
use crate::ui::pod_chip::PodChip;
use crate::ui::state::Target;
use crate::ui::view::{component_key, owner_hue};
use crate::{Component, NodeView, PodView};

/// More pods than this on one node collapse into their owners.
pub const CROWDED: usize = 12;

#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    pub node: Rc<NodeView>,
    /// The node's kubelet / kube-proxy sent or received a message just now.
    pub kubelet_active: bool,
    pub proxy_active: bool,
    pub on_inspect: Callback<Target>,
    /// Runs a command (a fault or an operation) in the console.
    pub on_run: Callback<String>,
}

/// The pods of a node: every chip, or (when crowded and not expanded) one chip per owner.
#[derive(Properties, PartialEq)]
pub struct PodListProps {
    pub node: String,
    pub pods: Vec<PodView>,
    pub on_inspect: Callback<Target>,
}

#[function_component(PodList)]
pub fn pod_list(props: &PodListProps) -> Html {
    let expanded = use_state(|| false);
    let crowded = props.pods.len() > CROWDED;
    let toggle = {
        let expanded = expanded.clone();
        Callback::from(move |_: MouseEvent| expanded.set(!*expanded))
    };
    let label = format!("pods on {}", props.node);
    if !crowded || *expanded {
        return html! {
            <>
                <ul class="pods node-pods" aria-label={label}>
                    { for props.pods.iter().map(|pod| html! {
                        <PodChip key={pod.uid.clone()} pod={pod.clone()} on_inspect={props.on_inspect.clone()} />
                    }) }
                </ul>
                if crowded {
                    <button type="button" class="btn btn-small" onclick={toggle}>{"Group by owner"}</button>
                }
            </>
        };
    }
    let mut groups: BTreeMap<String, usize> = BTreeMap::new();
    for pod in &props.pods {
        *groups.entry(pod.owner.clone().unwrap_or_else(|| "bare pods".into())).or_default() += 1;
    }
    html! {
        <>
            <ul class="pods node-pods" aria-label={label}>
                { for groups.iter().map(|(owner, count)| html! {
                    <li key={owner.clone()} class="pod pod--running pod--group" style={format!("--owner-hue: {}", owner_hue(owner))}>
                        <span class="pod-glyph" aria-hidden="true">{"▦"}</span>
                        <span class="pod-name">{format!("{} ×{count}", owner.rsplit('/').next().unwrap_or(owner))}</span>
                    </li>
                }) }
            </ul>
            <button type="button" class="btn btn-small" onclick={toggle}>{format!("Show all {} pods", props.pods.len())}</button>
        </>
    }
}

#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let node = &props.node;
    let ready = node.status == "Ready";
    let count = node.pods.len();
    let target = Target::Object { kind: "node".into(), namespace: None, name: node.name.clone() };
    let inspect = |t: Target| props.on_inspect.reform(move |_: MouseEvent| t.clone());
    let agent = |c: Component| Target::Component(component_key(&c));

    html! {
        <article
            class={classes!("node", "card", (!ready).then_some("node--down"))}
            aria-label={format!("node {}", node.name)}
            data-node={node.name.clone()}
        >
            <header class="card-head">
                <h3 class="card-title"><button type="button" class="link" onclick={inspect(target)}>{&node.name}</button></h3>
                <span class="pod-count">{if count == 1 { "1 pod".to_string() } else { format!("{count} pods") }}</span>
                <span class={classes!("node-status", if ready { "is-ready" } else { "is-down" })}>
                    <span aria-hidden="true">{if ready { "●" } else { "○" }}</span>
                    {" "}{&node.status}
                </span>
                <ActionMenu subject={node.name.clone()} actions={node_actions(&node.name, ready)} on_run={props.on_run.clone()} />
            </header>
            <div class="agents">
                <Agent compact=true key_name={component_key(&Component::Kubelet(node.name.clone()))}
                    title="kubelet" note="kubelet: starts and watches this node's pods" active={props.kubelet_active}
                    on_click={inspect(agent(Component::Kubelet(node.name.clone())))} />
                <Agent compact=true key_name={component_key(&Component::KubeProxy(node.name.clone()))}
                    title="kube-proxy" note="kube-proxy: programs this node's Service rules" active={props.proxy_active}
                    on_click={inspect(agent(Component::KubeProxy(node.name.clone())))} />
                <Agent compact=true key_name={format!("runtime:{}", node.name)}
                    title="runtime" note="container runtime (containerd): pulls images, runs containers" />
            </div>
            if node.pods.is_empty() {
                <p class="empty node-empty">{"no pods"}</p>
            } else {
                <PodList node={node.name.clone()} pods={node.pods.clone()} on_inspect={props.on_inspect.clone()} />
            }
        </article>
    }
}
