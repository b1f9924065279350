//! The key to the diagram: which colour is which owner, and which shape is which status.

use yew::prelude::*;

use crate::ui::state::Target;
use crate::ui::view::{owner_hue, PodLook};

#[derive(Properties, PartialEq)]
pub struct LegendProps {
    /// Owners present in the cluster (e.g. `Deployment/web`) with their pod counts, sorted.
    pub owners: Vec<(String, usize)>,
    pub on_inspect: Callback<Target>,
}

/// An owner such as `Deployment/web` as the inspector's target (in the default namespace,
/// where the editor and the console create things unless told otherwise).
fn owner_target(owner: &str) -> Target {
    let (kind, name) = owner.split_once('/').unwrap_or(("pod", owner));
    Target::Object { kind: kind.to_lowercase(), namespace: None, name: name.to_string() }
}

const LOOKS: [(PodLook, &str); 5] = [
    (PodLook::Pending, "Pending"),
    (PodLook::Creating, "Creating"),
    (PodLook::Running, "Running"),
    (PodLook::Terminating, "Terminating"),
    (PodLook::Failing, "Failing"),
];

#[function_component(Legend)]
pub fn legend(props: &LegendProps) -> Html {
    html! {
        <div class="legend" role="group" aria-label="Legend">
            <ul class="legend-owners" aria-label="Owners">
                { for props.owners.iter().map(|(owner, count)| html! {
                    <li key={owner.clone()} class="legend-owner" style={format!("--owner-hue: {}", owner_hue(owner))}>
                        <button type="button" class="link" onclick={props.on_inspect.reform({
                            let target = owner_target(owner);
                            move |_: MouseEvent| target.clone()
                        })}>
                            <span class="swatch" aria-hidden="true"></span>
                            {owner}<span class="muted">{format!(" ×{count}")}</span>
                        </button>
                    </li>
                }) }
            </ul>
            <ul class="legend-looks" aria-label="Pod status">
                { for LOOKS.iter().map(|&(look, name)| html! {
                    <li key={name}>
                        <span class={classes!("pod", "pod--sample", look.class())} aria-hidden="true">
                            <span class="pod-glyph">{look.glyph()}</span>
                        </span>
                        {name}
                    </li>
                }) }
            </ul>
        </div>
    }
}
