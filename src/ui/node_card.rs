//! A worker node: its agents (kubelet, kube-proxy, container runtime) and the pods bound to it.

use yew::prelude::*;

use crate::ui::agent::Agent;
use crate::ui::pod_chip::PodChip;
use crate::ui::view::component_key;
use crate::{Component, NodeView};

#[derive(Properties, PartialEq)]
pub struct NodeCardProps {
    pub node: NodeView,
    /// The node's kubelet / kube-proxy sent or received a message just now.
    pub kubelet_active: bool,
    pub proxy_active: bool,
}

#[function_component(NodeCard)]
pub fn node_card(props: &NodeCardProps) -> Html {
    let node = &props.node;
    let ready = node.status == "Ready";
    let count = node.pods.len();

    html! {
        <article
            class={classes!("node", "card", (!ready).then_some("node--down"))}
            aria-label={format!("node {}", node.name)}
            data-node={node.name.clone()}
        >
            <header class="card-head">
                <h3 class="card-title">{&node.name}</h3>
                <span class="pod-count">{if count == 1 { "1 pod".to_string() } else { format!("{count} pods") }}</span>
                <span class={classes!("node-status", if ready { "is-ready" } else { "is-down" })}>
                    <span aria-hidden="true">{if ready { "●" } else { "○" }}</span>
                    {" "}{&node.status}
                </span>
            </header>
            <div class="agents">
                <Agent compact=true key_name={component_key(&Component::Kubelet(node.name.clone()))}
                    title="kubelet" note="kubelet: starts and watches this node's pods" active={props.kubelet_active} />
                <Agent compact=true key_name={component_key(&Component::KubeProxy(node.name.clone()))}
                    title="kube-proxy" note="kube-proxy: programs this node's Service rules" active={props.proxy_active} />
                <Agent compact=true key_name={format!("runtime:{}", node.name)}
                    title="runtime" note="container runtime (containerd): pulls images, runs containers" />
            </div>
            if node.pods.is_empty() {
                <p class="empty node-empty">{"no pods"}</p>
            } else {
                <ul class="pods node-pods" aria-label={format!("pods on {}", node.name)}>
                    { for node.pods.iter().map(|pod| html! { <PodChip key={pod.uid.clone()} pod={pod.clone()} /> }) }
                </ul>
            }
        </article>
    }
}
