//! One pod, drawn as a chip: coloured by its owner, shaped and marked by its status.

use yew::prelude::*;

use crate::ui::view::{owner_hue, short_pod_name, PodLook};
use crate::PodView;

#[derive(Properties, PartialEq)]
pub struct PodChipProps {
    pub pod: PodView,
}

#[function_component(PodChip)]
pub fn pod_chip(props: &PodChipProps) -> Html {
    let pod = &props.pod;
    let look = PodLook::of(&pod.status);
    let owner = pod.owner.as_deref();
    let style = owner.map(|o| format!("--owner-hue: {}", owner_hue(o)));
    let place = match &pod.node {
        Some(node) => format!("on {node}"),
        None => "not scheduled".to_string(),
    };
    let whose = owner.map(|o| format!(", owned by {o}")).unwrap_or_default();
    let title = format!("{}/{}: {} {place}{whose}", pod.namespace, pod.name, pod.status);

    html! {
        <li
            class={classes!("pod", look.class(), owner.is_none().then_some("pod--bare"))}
            style={style}
            aria-label={pod.name.clone()}
            title={title}
            data-status={pod.status.clone()}
        >
            <span class="pod-glyph" aria-hidden="true">{look.glyph()}</span>
            <span class="pod-name" aria-hidden="true">{short_pod_name(&pod.name, owner)}</span>
        </li>
    }
}
