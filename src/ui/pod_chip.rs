//! One pod, drawn as a chip: coloured by its owner, shaped and marked by its status. A change
//! of status pulses the mark; a chip that moved (bound, or replaced elsewhere) glides there.

use web_sys::Element;
use yew::prelude::*;

use crate::ui::motion;
use crate::ui::state::Target;
use crate::ui::view::{owner_hue, short_pod_name, PodLook};
use crate::PodView;

#[derive(Properties, PartialEq)]
pub struct PodChipProps {
    pub pod: PodView,
    pub on_inspect: Callback<Target>,
}

#[function_component(PodChip)]
pub fn pod_chip(props: &PodChipProps) -> Html {
    let pod = &props.pod;
    let chip = use_node_ref();
    let mounted = use_mut_ref(|| false);
    {
        let chip = chip.clone();
        let uid = pod.uid.clone();
        use_effect(move || {
            if let Some(el) = chip.cast::<Element>() {
                let first = !mounted.replace(true);
                motion::glide(&uid, &el, first);
            }
        });
    }
    let look = PodLook::of(&pod.status);
    let owner = pod.owner.as_deref();
    let style = owner.map(|o| format!("--owner-hue: {}", owner_hue(o)));
    let place = match &pod.node {
        Some(node) => format!("on {node}"),
        None => "not scheduled".to_string(),
    };
    let whose = owner.map(|o| format!(", owned by {o}")).unwrap_or_default();
    let title = format!("{}/{}: {} {place}{whose}", pod.namespace, pod.name, pod.status);
    let target = Target::Object { kind: "pod".into(), namespace: Some(pod.namespace.clone()), name: pod.name.clone() };
    let onclick = props.on_inspect.reform({
        let target = target.clone();
        move |_: MouseEvent| target.clone()
    });
    let on_inspect = props.on_inspect.clone();
    let onkeydown = move |e: KeyboardEvent| {
        if matches!(e.key().as_str(), "Enter" | " ") {
            e.prevent_default();
            on_inspect.emit(target.clone());
        }
    };

    html! {
        <li
            ref={chip}
            class={classes!("pod", look.class(), owner.is_none().then_some("pod--bare"))}
            style={style}
            aria-label={pod.name.clone()}
            data-pod={pod.name.clone()}
            title={title}
            data-status={pod.status.clone()}
            tabindex="0"
            {onclick}
            {onkeydown}
        >
            <span class="pod-glyph" aria-hidden="true">{look.glyph()}</span>
            <span class="pod-name" aria-hidden="true">{short_pod_name(&pod.name, owner)}</span>
        </li>
    }
}
