//! A box for one component of the cluster (API server, scheduler, kubelet, ...). It carries the
//! component's key in `data-component` so that message animations can find it.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AgentProps {
    /// The `data-component` key, see `view::component_key`.
    pub key_name: String,
    pub title: AttrValue,
    /// A few words on what the component does.
    pub note: AttrValue,
    /// Sent or received a message just now.
    #[prop_or_default]
    pub active: bool,
    /// Drawn as a small pill (the node agents); the note becomes its tooltip.
    #[prop_or_default]
    pub compact: bool,
    #[prop_or_default]
    pub class: Classes,
    #[prop_or_default]
    pub children: Html,
    /// Opens the component in the inspector.
    #[prop_or_default]
    pub on_click: Option<Callback<MouseEvent>>,
}

#[function_component(Agent)]
pub fn agent(props: &AgentProps) -> Html {
    let class = classes!("agent", props.compact.then_some("agent--pill"), props.class.clone(), props.active.then_some("is-active"));
    if props.compact {
        return match props.on_click.clone() {
            Some(onclick) => html! {
                <button type="button" class={class} data-component={props.key_name.clone()} title={props.note.clone()} {onclick}>
                    {&props.title}
                </button>
            },
            None => html! {
                <span class={class} data-component={props.key_name.clone()} title={props.note.clone()}>
                    {&props.title}
                </span>
            },
        };
    }
    html! {
        <div class={class} data-component={props.key_name.clone()}>
            <div class="agent-title">
                if let Some(onclick) = props.on_click.clone() {
                    <button type="button" class="link" {onclick}>{&props.title}</button>
                } else {
                    {&props.title}
                }
            </div>
            <div class="agent-note">{&props.note}</div>
            { props.children.clone() }
        </div>
    }
}
