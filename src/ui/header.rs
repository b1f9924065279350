//! The top bar: the name, play/pause and speed of virtual time, and the virtual clock.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::ui::state::{Action, UiState};
use crate::ui::view::format_clock;

/// The speeds offered, in percent of real time.
const SPEEDS: [(u32, &str); 5] = [(50, "0.5×"), (100, "1×"), (200, "2×"), (500, "5×"), (1000, "10×")];

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub now_ms: u64,
    pub playing: bool,
    pub speed_pct: u32,
    pub dispatch: UseReducerDispatcher<UiState>,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    let toggle = {
        let dispatch = props.dispatch.clone();
        let playing = props.playing;
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::SetPlaying(!playing)))
    };
    let set_speed = {
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(pct) = select.value().parse() {
                dispatch.dispatch(Action::SetSpeed(pct));
            }
        })
    };
    let (icon, label) = if props.playing { ("❚❚", "Pause") } else { ("▶", "Play") };

    html! {
        <header class="topbar">
            <div class="brand">
                <svg class="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
                    // A heptagon, as in Kubernetes' wheel, seen through glass.
                    <polygon points="12,2 20.2,6 22.2,14.8 16.6,22 7.4,22 1.8,14.8 3.8,6" />
                    <path d="M6 15 L12 6 L15 10" />
                </svg>
                <h1>{"kubeglass"}</h1>
                <span class="brand-tag">{"a Kubernetes cluster you can see through"}</span>
            </div>
            <div class="timebar" role="group" aria-label="Virtual time">
                <button
                    type="button"
                    class={classes!("btn", "btn-play", props.playing.then_some("is-playing"))}
                    onclick={toggle}
                    aria-label={format!("{label} virtual time")}
                    title={format!("{label} virtual time")}
                >
                    <span class="btn-icon" aria-hidden="true">{icon}</span>
                    <span>{label}</span>
                </button>
                <label class="speed">
                    <span class="speed-label">{"speed"}</span>
                    <select onchange={set_speed}>
                        { for SPEEDS.iter().map(|&(pct, name)| html! {
                            <option value={pct.to_string()} selected={pct == props.speed_pct}>{name}</option>
                        }) }
                    </select>
                </label>
                <div class="clock" title="Virtual time since the cluster started">
                    <span class="clock-label">{"virtual time"}</span>
                    <time aria-label="Virtual clock" aria-live="off">{format_clock(props.now_ms)}</time>
                </div>
            </div>
        </header>
    }
}
