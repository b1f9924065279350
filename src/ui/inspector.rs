//! The inspector: what `kubectl describe` and `kubectl get -o yaml` say about the object the
//! reader clicked (pod, node, owner), its events, or a component's latest messages.

use std::rc::Rc;

use yew::prelude::*;

use crate::ui::explain::Scheduling;
use crate::ui::state::{Action, Inspection, Target, UiState};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Details,
    Events,
    Yaml,
    /// A pod's scheduling decision.
    Scheduling,
}

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub target: Option<Target>,
    pub inspection: Rc<Inspection>,
    pub dispatch: UseReducerDispatcher<UiState>,
}

#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let tab = use_state(|| Tab::Details);
    let Some(target) = props.target.clone() else {
        return html! {
            <section class="pane inspector" aria-label="Inspector">
                <div class="pane-head"><h2 class="pane-title">{"Inspector"}</h2></div>
                <p class="inspector-hint">{"Click a pod, a node, a component or an owner in the legend to see its details, events and YAML."}</p>
            </section>
        };
    };
    let is_object = matches!(target, Target::Object { .. });
    let is_pod = matches!(&target, Target::Object { kind, .. } if kind == "pod");
    let shown = match *tab {
        Tab::Scheduling if !is_pod => Tab::Details,
        _ if !is_object => Tab::Details,
        tab => tab,
    };
    let tab_button = |which: Tab, name: &'static str| {
        let tab = tab.clone();
        html! {
            <button type="button" role="tab" aria-selected={(shown == which).to_string()}
                class={classes!("tab", (shown == which).then_some("is-current"))}
                onclick={move |_: MouseEvent| tab.set(which)}>{name}</button>
        }
    };
    let i = &props.inspection;
    let body = match shown {
        Tab::Details => html! { <pre class="output">{i.details.trim_end()}</pre> },
        Tab::Events if i.events.is_empty() => html! { <p class="empty">{"No events about it."}</p> },
        Tab::Events => html! { <pre class="output">{i.events.join("\n")}</pre> },
        Tab::Yaml => html! { <pre class="output">{i.yaml.trim_end()}</pre> },
        Tab::Scheduling => html! { <Scheduling explanation={i.explanation.clone()} /> },
    };

    html! {
        <section class="pane inspector" aria-label="Inspector">
            <div class="pane-head">
                <h2 class="pane-title">{"Inspector"}</h2>
                <span class="inspector-title">{&i.title}</span>
                <button type="button" class="btn btn-small" title="Read it again"
                    onclick={props.dispatch.to_callback().reform(move |_| Action::Inspect(Some(target.clone())))}>{"Refresh"}</button>
                <button type="button" class="btn btn-small" aria-label="Close the inspector"
                    onclick={props.dispatch.to_callback().reform(|_| Action::Inspect(None))}>{"×"}</button>
            </div>
            if is_object {
                <div class="tabs" role="tablist">
                    {tab_button(Tab::Details, "Details")}
                    {tab_button(Tab::Events, "Events")}
                    {tab_button(Tab::Yaml, "YAML")}
                    if is_pod { {tab_button(Tab::Scheduling, "Scheduling")} }
                </div>
            }
            <div class="inspector-body">{body}</div>
        </section>
    }
}
