//! The page: header, timeline, the cluster diagram in the centre, the manifest editor, the
//! console and the inspector.
//! It owns the one [`UiState`] and the wall-clock timer that drives virtual time.

use std::cell::Cell;
use std::rc::Rc;

use gloo::timers::callback::Interval;
use yew::prelude::*;

use crate::ui::console::Console;
use crate::ui::diagram::Diagram;
use crate::ui::editor::ManifestEditor;
use crate::ui::fatal;
use crate::ui::header::Header;
use crate::ui::inspector::Inspector;
use crate::ui::state::{Action, UiState};
use crate::ui::timeline::Timeline;

/// Wall-clock milliseconds between two ticks of virtual time.
const TICK_MS: u32 = 100;
/// The most virtual time one tick may cover, in wall milliseconds: after the tab slept, time
/// resumes instead of leaping ahead by the whole absence.
const MAX_STEP_MS: f64 = 1000.0;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(UiState::new);
    let dispatch = state.dispatcher();

    // While playing, advance virtual time by the wall time that really passed, times the speed.
    // The Interval is an RAII handle: the effect's cleanup drops it, which cancels it.
    {
        let dispatch = dispatch.clone();
        use_effect_with((state.playing, state.speed_pct), move |&(playing, speed_pct)| {
            let timer = playing.then(|| {
                let last = Rc::new(Cell::new(js_sys::Date::now()));
                let carry = Cell::new(0.0_f64);
                Interval::new(TICK_MS, move || {
                    if fatal::stopped() {
                        return;
                    }
                    let now = js_sys::Date::now();
                    let wall = (now - last.replace(now)).clamp(0.0, MAX_STEP_MS);
                    let virtual_ms = wall * f64::from(speed_pct) / 100.0 + carry.get();
                    let whole = virtual_ms.floor();
                    carry.set(virtual_ms - whole);
                    dispatch.dispatch(Action::Tick(whole as u64));
                })
            });
            move || drop(timer)
        });
    }

    html! {
        <div class="app">
            <Header />
            <main class="workspace">
                <Timeline
                    now_ms={state.now_ms}
                    playing={state.playing}
                    speed_pct={state.speed_pct}
                    revisions={state.revisions.clone()}
                    events={state.events.clone()}
                    dispatch={dispatch.clone()}
                />
                <Diagram
                    snapshot={state.snapshot.clone()}
                    recent={state.recent.clone()}
                    active={state.active.clone()}
                    past={state.past.clone()}
                    hidden={state.hidden.clone()}
                    stepping={state.stepped_to.is_some()}
                    services={state.services.clone()}
                    traffic={state.traffic.clone()}
                    forked={state.forked.clone()}
                    members={state.members.clone()}
                    clock={crate::ui::view::format_clock(state.now_ms)}
                    dispatch={dispatch.clone()}
                />
                <ManifestEditor last_apply={state.last_apply.clone()} edit={state.edit.clone()} dispatch={dispatch.clone()} />
                <Console
                    entries={state.console.clone()}
                    history={state.history.clone()}
                    completer={state.completer()}
                    watching={state.watching()}
                    dispatch={dispatch.clone()}
                />
                <Inspector target={state.target.clone()} inspection={state.inspection.clone()} dispatch={dispatch} />
            </main>
        </div>
    }
}
