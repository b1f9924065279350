//! The timeline: play, pause, step and speed of virtual time, the virtual clock, a slider over
//! etcd's retained revisions (the diagram then draws the cluster as it was, read-only), and the
//! latest Kubernetes events.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::ui::state::{Action, Revisions, UiState};
use crate::ui::view::format_clock;

/// The speeds offered, in percent of real time.
const SPEEDS: [(u32, &str); 9] =
    [(25, "0.25×"), (50, "0.5×"), (100, "1×"), (200, "2×"), (400, "4×"), (800, "8×"), (1600, "16×"), (3200, "32×"), (6400, "64×")];
/// What the Step button lets pass, in virtual milliseconds.
const STEP_MS: u64 = 1000;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub now_ms: u64,
    pub playing: bool,
    pub speed_pct: u32,
    pub revisions: Revisions,
    pub events: Rc<Vec<String>>,
    pub dispatch: UseReducerDispatcher<UiState>,
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    let dispatch = &props.dispatch;
    let set_speed = dispatch.to_callback().reform(|e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        Action::SetSpeed(select.value().parse().unwrap_or(100))
    });
    let current = props.revisions.current;
    let scrub = dispatch.to_callback().reform(move |e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let revision = input.value().parse::<i64>().ok().filter(|&r| r < current);
        Action::ViewRevision(revision)
    });
    let shown = props.revisions.viewing.unwrap_or(current);
    let (icon, label) = if props.playing { ("❚❚", "Pause") } else { ("▶", "Play") };
    let playing = props.playing;

    html! {
        <section class="pane timeline" aria-label="Timeline">
            <div class="timebar">
                <button type="button" class={classes!("btn", "btn-play", playing.then_some("is-playing"))}
                    onclick={dispatch.to_callback().reform(move |_| Action::SetPlaying(!playing))}>
                    <span class="btn-icon" aria-hidden="true">{icon}</span>{label}
                </button>
                <button type="button" class="btn" title="Let one second of virtual time pass"
                    onclick={dispatch.to_callback().reform(|_| Action::Tick(STEP_MS))}>{"Step"}</button>
                <label class="speed">
                    <span>{"Speed"}</span>
                    <select aria-label="Speed" onchange={set_speed}>
                        { for SPEEDS.iter().map(|&(pct, name)| html! {
                            <option value={pct.to_string()} selected={pct == props.speed_pct}>{name}</option>
                        }) }
                    </select>
                </label>
                <div class="clock" title="Virtual time since the cluster started">
                    <span class="clock-label">{"virtual time"}</span>
                    <time aria-label="Virtual clock">{format_clock(props.now_ms)}</time>
                </div>
                <label class="scrubber">
                    <span class="clock-label">
                        if props.revisions.viewing.is_some() {
                            {format!("revision {shown} of {current} · read-only")}
                        } else {
                            {format!("revision {current} · live")}
                        }
                    </span>
                    <input type="range" aria-label="Revision" min={props.revisions.oldest.to_string()}
                        max={current.to_string()} value={shown.to_string()} oninput={scrub} />
                </label>
                if props.revisions.viewing.is_some() {
                    <button type="button" class="btn btn-primary" onclick={dispatch.to_callback().reform(|_| Action::ViewRevision(None))}>
                        {"Back to live"}
                    </button>
                    <button type="button" class="btn" onclick={dispatch.to_callback().reform(|_| Action::Fork)}
                        title="Start a new live cluster from this revision: its etcd holds this state, and everything reconciles from it">
                        {"Continue from here"}
                    </button>
                }
            </div>
            <details class="events">
                <summary>{format!("Events ({})", props.events.len())}</summary>
                if props.events.is_empty() {
                    <p class="empty">{"No events yet."}</p>
                } else {
                    <ol class="event-list">
                        { for props.events.iter().map(|e| html! { <li>{e}</li> }) }
                    </ol>
                }
            </details>
        </section>
    }
}
