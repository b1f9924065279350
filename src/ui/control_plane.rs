//! The control-plane node: API server, etcd, scheduler and controller manager, with the pods
//! that wait at the scheduler for a node. With several control-plane nodes, a table of what
//! runs on each and who leads.

use std::rc::Rc;

use yew::prelude::*;

use crate::cluster::ControlPlaneMember;
use crate::ui::actions::{component_actions, ActionMenu};
use crate::ui::agent::Agent;
use crate::ui::pod_chip::PodChip;
use crate::ui::state::Target;
use crate::PodView;

#[derive(Properties, PartialEq)]
pub struct ControlPlaneProps {
    /// The control-plane node's name (`control-plane` until the model reports one).
    pub name: String,
    /// Its STATUS, if the model reports the node.
    pub status: Option<String>,
    /// Pods bound to the control-plane node itself.
    pub pods: Vec<PodView>,
    /// Pods no scheduler has bound yet.
    pub waiting: Vec<PodView>,
    pub active: Rc<Vec<String>>,
    pub on_inspect: Callback<Target>,
    /// Every control-plane node with its processes' states and leaders
    /// (`Cluster::control_plane`); shown when there is more than one.
    pub members: Rc<Vec<ControlPlaneMember>>,
    /// Runs a command (stop or start a component) in the console.
    pub on_run: Callback<String>,
}

#[function_component(ControlPlane)]
pub fn control_plane(props: &ControlPlaneProps) -> Html {
    let is_active = |key: &str| props.active.iter().any(|k| k == key);
    let ready = props.status.as_deref() == Some("Ready");
    let inspect = |key: &'static str| {
        let target = Target::Component(key.to_string());
        Some(props.on_inspect.reform(move |_: MouseEvent| target.clone()))
    };
    let menu =
        |key: &str| html! { <ActionMenu subject={key.to_string()} actions={component_actions(key)} on_run={props.on_run.clone()} /> };
    let chip = |pod: &PodView| html! { <PodChip key={pod.uid.clone()} pod={pod.clone()} on_inspect={props.on_inspect.clone()} /> };

    html! {
        <article class="card control-plane" aria-label={format!("node {}", props.name)} data-node={props.name.clone()}>
            <header class="card-head">
                <h3 class="card-title">{&props.name}<span class="card-kind">{"control plane"}</span></h3>
                if let Some(status) = &props.status {
                    <span class={classes!("node-status", if ready { "is-ready" } else { "is-down" })}>
                        <span aria-hidden="true">{if ready { "●" } else { "○" }}</span>
                        {" "}{status}
                    </span>
                }
            </header>
            <div class="cp-grid">
                <Agent key_name="controller-manager" class="cp-cm" title="controller manager"
                    note="reconciles Deployments, ReplicaSets, …" active={is_active("controller-manager")} on_click={inspect("controller-manager")}>{menu("controller-manager")}</Agent>
                <Agent key_name="api-server" class="cp-api" title="API server"
                    note="the only door to etcd; validates, stores, notifies watchers" active={is_active("api-server")} on_click={inspect("api-server")}>{menu("api-server")}</Agent>
                <Agent key_name="etcd" class="cp-etcd" title="etcd"
                    note="the cluster's state" active={is_active("etcd")} on_click={inspect("etcd")} />
                <Agent key_name="scheduler" class="cp-sched" title="scheduler"
                    note="picks a node for each new pod" active={is_active("scheduler")} on_click={inspect("scheduler")}>{menu("scheduler")}</Agent>
            </div>
            if props.members.len() > 1 {
                <table class="cp-members" aria-label="Control-plane replicas">
                    <thead>
                        <tr><th>{"node"}</th><th>{"API server"}</th><th>{"etcd"}</th><th>{"scheduler"}</th><th>{"controller manager"}</th></tr>
                    </thead>
                    <tbody>
                        { for props.members.iter().map(|m| html! {
                            <tr key={m.node.clone()}>
                                <td>{&m.node}</td>
                                <td>{m.api_server.to_string()}</td>
                                <td>{format!("{} {}", m.etcd.0, m.etcd.1)}</td>
                                <td>{m.scheduler.to_string()}</td>
                                <td>{m.controller_manager.to_string()}</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            }
            <div class="queue" role="group" aria-label="Waiting at the scheduler" data-component="scheduler-queue">
                <span class="queue-label">{"waiting at the scheduler"}</span>
                if props.waiting.is_empty() {
                    <span class="queue-empty">{"none"}</span>
                } else {
                    <ul class="pods">
                        { for props.waiting.iter().map(chip) }
                    </ul>
                }
            </div>
            if !props.pods.is_empty() {
                <ul class="pods cp-pods" aria-label={format!("pods on {}", props.name)}>
                    { for props.pods.iter().map(chip) }
                </ul>
            }
        </article>
    }
}
