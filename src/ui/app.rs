//! The page: header, timeline, the cluster diagram in the centre, the manifest editor, the
//! console and the inspector, or the panels a link asks for (`session::link`).
//! It owns the one [`UiState`], the wall-clock timer that drives virtual time, and the saver
//! that keeps the session in the browser.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::{Interval, Timeout};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::lessons::{self, Lesson};
use crate::session::link::{Link, Panel};
use crate::session::{SavedSession, SavedTab, MAX_FILE_BYTES};
use crate::ui::console::Console;
use crate::ui::diagram::Diagram;
use crate::ui::editor::ManifestEditor;
use crate::ui::fatal;
use crate::ui::header::{self, Header};
use crate::ui::inspector::Inspector;
use crate::ui::lesson::LessonPanel;
use crate::ui::persist;
use crate::ui::share::ShareDialog;
use crate::ui::state::{Action, Start, UiState};
use crate::ui::timeline::Timeline;

/// Wall-clock milliseconds between two ticks of virtual time.
const TICK_MS: u32 = 100;
/// The most virtual time one tick may cover, in wall milliseconds: after the tab slept, time
/// resumes instead of leaping ahead by the whole absence.
const MAX_STEP_MS: f64 = 1000.0;
/// How often the saver looks for a changed session, in wall milliseconds.
const SAVE_EVERY_MS: u32 = 1000;
/// With a custom set of panels on a wide screen: the main column and the side column.
const MAIN: [Panel; 3] = [Panel::Timeline, Panel::Diagram, Panel::Console];
const SIDE: [Panel; 3] = [Panel::Lesson, Panel::Editor, Panel::Inspector];

/// The link this page was opened with.
fn read_link() -> Link {
    let location = web_sys::window().map(|w| w.location());
    let search = location.as_ref().and_then(|l| l.search().ok()).unwrap_or_default();
    let hash = location.as_ref().and_then(|l| l.hash().ok()).unwrap_or_default();
    Link::parse(&search, &hash)
}

/// Drops the hash from the address bar (a scenario, once it is the kept session, would
/// otherwise replace it again on every reload).
fn forget_hash() {
    let Some(window) = web_sys::window() else { return };
    let location = window.location();
    let url = format!("{}{}", location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

/// The session as it is kept and exported.
fn saved_session(state: &UiState, tabs: Vec<SavedTab>, current_tab: usize) -> SavedSession {
    SavedSession { lesson: state.saved_lesson(), ..SavedSession::new(state.session_script(), state.history.to_vec(), tabs, current_tab) }
}

/// What the page tells the reader above the panels.
#[derive(Clone, PartialEq)]
struct Notice {
    id: u32,
    text: String,
    problem: bool,
}

/// The notices shown, newest last.
#[derive(PartialEq)]
struct Notices {
    list: Vec<Notice>,
    next_id: u32,
}

enum NoticeAction {
    /// A sentence, and whether it reports a problem.
    Add(String, bool),
    Dismiss(u32),
}

impl Reducible for Notices {
    type Action = NoticeAction;

    fn reduce(self: Rc<Self>, action: NoticeAction) -> Rc<Self> {
        let mut list = self.list.clone();
        let mut next_id = self.next_id;
        match action {
            NoticeAction::Add(text, problem) => {
                list.retain(|n| n.text != text);
                list.push(Notice { id: next_id, text, problem });
                next_id = next_id.wrapping_add(1);
            }
            NoticeAction::Dismiss(id) => list.retain(|n| n.id != id),
        }
        Rc::new(Notices { list, next_id })
    }
}

/// How the page starts, and what it could not use.
struct Opening {
    link: Link,
    /// The session is kept in localStorage (not in the embed view, nor for read-only links).
    keeps: bool,
    saved: Option<Rc<SavedSession>>,
    lesson: Option<Lesson>,
    notices: Vec<Notice>,
}

fn opening() -> Opening {
    let link = read_link();
    let keeps = !link.embed && !link.readonly;
    let mut notices: Vec<Notice> = link.notices.iter().map(|text| Notice { id: 0, text: text.clone(), problem: true }).collect();
    let lesson = link.lesson.as_deref().and_then(|id| {
        let found = lessons::find(id);
        if found.is_none() {
            notices.push(Notice { id: 0, text: format!("There is no lesson {id:?}: pick one from the list."), problem: true });
        }
        found
    });
    // A lesson link continues the kept session only if that session is in the same lesson.
    let same_lesson = |saved: &SavedSession| link.lesson.is_none() || saved.lesson.as_ref().map(|l| &l.id) == link.lesson.as_ref();
    let saved = match (keeps && link.scenario.is_none()).then(persist::load).flatten() {
        Some(Ok(saved)) if !same_lesson(&saved) => None,
        Some(Ok(saved)) => Some(Rc::new(saved)),
        Some(Err(e)) => {
            notices.push(Notice {
                id: 0,
                text: format!("The session kept in this browser could not be restored ({e}): starting with the default cluster."),
                problem: true,
            });
            None
        }
        None => None,
    };
    if keeps && link.scenario.is_some() {
        forget_hash();
    }
    for (i, notice) in notices.iter_mut().enumerate() {
        notice.id = u32::try_from(i).unwrap_or(u32::MAX);
    }
    Opening { link, keeps, saved, lesson, notices }
}

#[function_component(App)]
pub fn app() -> Html {
    let opening = use_memo((), |_| opening());
    let link = &opening.link;
    let state = {
        let opening = opening.clone();
        use_reducer(move || {
            let link = &opening.link;
            UiState::start(Start {
                saved: opening.saved.clone(),
                scenario: link.scenario.clone(),
                lesson: opening.lesson.clone(),
                readonly: link.readonly,
                speed_pct: link.speed_pct.unwrap_or(100),
                // The embed view waits for its reader unless the link says autoplay.
                playing: link.autoplay.unwrap_or(!link.embed),
            })
        })
    };
    let dispatch = state.dispatcher();
    let notices = use_reducer(|| Notices { list: opening.notices.clone(), next_id: 1000 });
    let notify = {
        let notices = notices.dispatcher();
        Callback::from(move |(text, problem): (String, bool)| notices.dispatch(NoticeAction::Add(text, problem)))
    };
    // The full page opens the lesson panel from the header (or when a lesson is under way).
    let lessons_open = use_state(|| false);
    let mut panels = link.panels();
    if !link.embed && link.panels.is_none() && !panels.contains(&Panel::Lesson) && (*lessons_open || state.lesson.is_some()) {
        panels.push(Panel::Lesson);
        panels.sort();
    }
    let show_share = use_state(|| false);
    // The editor's tabs as it last reported them, and a counter that remounts it on an import.
    let initial_tabs = use_state(|| Rc::new(opening.saved.as_ref().map(|s| (s.tabs.clone(), s.current_tab)).unwrap_or_default()));
    let editor_generation = use_state(|| 0_u32);
    let tabs = use_mut_ref(|| (Vec::<SavedTab>::new(), 0_usize));
    // The newest state, for the saver's timer.
    let latest = use_mut_ref(|| None::<UseReducerHandle<UiState>>);
    *latest.borrow_mut() = Some(state.clone());

    // The link's theme in the embed view (the header applies it on the full page).
    {
        let theme = link.theme;
        let embed = link.embed;
        use_effect_with((), move |_| {
            if embed {
                header::apply_theme(theme);
            }
        });
    }

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

    // Keep the session: at most once a second, only when it changed, and when the page goes
    // away; never after a panic (the state may be half-updated; the last good one stays kept).
    {
        let latest = latest.clone();
        let tabs = tabs.clone();
        let notify = notify.clone();
        let keeps = opening.keeps;
        use_effect_with((), move |_| {
            let last_written = RefCell::new(String::new());
            let warned = Cell::new(false);
            let save: Rc<dyn Fn()> = Rc::new(move || {
                if fatal::stopped() {
                    return;
                }
                let Some(state) = latest.borrow().clone() else { return };
                let (tabs, current) = tabs.borrow().clone();
                let json = saved_session(&state, tabs, current).to_json();
                if *last_written.borrow() == json {
                    return;
                }
                match persist::save(&json) {
                    Ok(()) => warned.set(false),
                    Err(e) if !warned.replace(true) => notify.emit((e, true)),
                    Err(_) => {}
                }
                *last_written.borrow_mut() = json;
            });
            let window = web_sys::window();
            let saver = keeps.then(|| {
                let tick = save.clone();
                let interval = Interval::new(SAVE_EVERY_MS, move || tick());
                let leaving = Closure::<dyn Fn()>::new(move || save());
                if let Some(window) = &window {
                    let _ = window.add_event_listener_with_callback("pagehide", leaving.as_ref().unchecked_ref());
                }
                (interval, leaving)
            });
            move || {
                if let (Some((_, leaving)), Some(window)) = (&saver, &window) {
                    let _ = window.remove_event_listener_with_callback("pagehide", leaving.as_ref().unchecked_ref());
                }
                drop(saver);
            }
        });
    }

    // `?panic-test`: fail on purpose once the page is up, so a test can see the error banner.
    // It can do no harm: the page stops, and the kept session is left as it was.
    {
        let panic_test = link.panic_test;
        use_effect_with((), move |_| {
            let timer =
                panic_test.then(|| Timeout::new(500, || panic!("panic-test: this page was asked to fail, to show the error banner")));
            move || drop(timer)
        });
    }

    let on_tabs = {
        let tabs = tabs.clone();
        Callback::from(move |kept: (Vec<SavedTab>, usize)| *tabs.borrow_mut() = kept)
    };
    let on_share = {
        let show_share = show_share.clone();
        Callback::from(move |()| show_share.set(true))
    };
    let on_close_share = {
        let show_share = show_share.clone();
        Callback::from(move |()| show_share.set(false))
    };
    let on_export = {
        let state = state.clone();
        let tabs = tabs.clone();
        let notify = notify.clone();
        Callback::from(move |()| {
            let (tabs, current) = tabs.borrow().clone();
            let json = saved_session(&state, tabs, current).to_json();
            if let Err(e) = persist::export(&json, "kubeglass-session.json") {
                notify.emit((e, true));
            }
        })
    };
    let restore = {
        let dispatch = dispatch.clone();
        let initial_tabs = initial_tabs.clone();
        let editor_generation = editor_generation.clone();
        move |saved: Option<SavedSession>| {
            let tabs = saved.as_ref().map(|s| (s.tabs.clone(), s.current_tab)).unwrap_or_default();
            initial_tabs.set(Rc::new(tabs));
            editor_generation.set(*editor_generation + 1);
            dispatch.dispatch(match saved {
                Some(saved) => Action::Restore(Rc::new(saved)),
                None => Action::Reset,
            });
        }
    };
    let on_import = {
        let notify = notify.clone();
        let restore = restore.clone();
        Callback::from(move |file: web_sys::File| {
            let name = file.name();
            let refuse = {
                let notify = notify.clone();
                let name = name.clone();
                move |e: String| notify.emit((format!("Could not import {name}: {e}. Nothing was changed."), true))
            };
            if file.size() > MAX_FILE_BYTES as f64 {
                return refuse(format!("the file is too large (at most {} KB)", MAX_FILE_BYTES / 1024));
            }
            let notify = notify.clone();
            let restore = restore.clone();
            persist::read(&file, move |text| match text.and_then(|t| SavedSession::from_json(&t)) {
                Ok(saved) => {
                    let commands = saved.script.lines().count();
                    restore(Some(saved));
                    notify.emit((format!("Imported {name} ({commands} lines of script replayed)."), false));
                }
                Err(e) => refuse(e),
            });
        })
    };
    let on_lessons = {
        let lessons_open = lessons_open.clone();
        let dispatch = dispatch.clone();
        let in_lesson = state.lesson.is_some();
        Callback::from(move |()| {
            if in_lesson {
                dispatch.dispatch(Action::CloseLesson);
                lessons_open.set(false);
            } else {
                lessons_open.set(!*lessons_open);
            }
        })
    };
    let on_reset = {
        let restore = restore.clone();
        Callback::from(move |()| restore(None))
    };
    let dismiss = {
        let notices = notices.dispatcher();
        move |id: u32| {
            let notices = notices.clone();
            Callback::from(move |_: MouseEvent| notices.dispatch(NoticeAction::Dismiss(id)))
        }
    };

    let shown = |panel: Panel| panels.contains(&panel);
    let custom = panels != Link::default().panels();
    let side = SIDE.iter().any(|p| shown(*p));
    let layout = classes!("workspace", custom.then_some("workspace--custom"), (custom && side).then_some("workspace--side"));
    let panel_names = panels.iter().map(|p| p.name()).collect::<Vec<_>>().join(" ");
    let view = |panel: Panel| -> Html {
        if !shown(panel) {
            return Html::default();
        }
        match panel {
            Panel::Timeline => html! {
                <Timeline
                    now_ms={state.now_ms}
                    playing={state.playing}
                    speed_pct={state.speed_pct}
                    revisions={state.revisions.clone()}
                    events={state.events.clone()}
                    dispatch={dispatch.clone()}
                />
            },
            Panel::Diagram => html! {
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
            },
            Panel::Lesson => html! { <LessonPanel progress={state.lesson.clone()} dispatch={dispatch.clone()} /> },
            Panel::Editor => html! {
                <ManifestEditor
                    key={*editor_generation}
                    last_apply={state.last_apply.clone()}
                    edit={state.edit.clone()}
                    dispatch={dispatch.clone()}
                    initial={(*initial_tabs).clone()}
                    on_tabs={on_tabs.clone()}
                />
            },
            Panel::Console => html! {
                <Console
                    entries={state.console.clone()}
                    history={state.history.clone()}
                    completer={state.completer()}
                    watching={state.watching()}
                    dispatch={dispatch.clone()}
                />
            },
            Panel::Inspector => html! {
                <Inspector target={state.target.clone()} inspection={state.inspection.clone()} dispatch={dispatch.clone()} />
            },
        }
    };

    html! {
        <div class={classes!("app", link.embed.then_some("app--embed"))}>
            if !link.embed {
                <Header theme={link.theme} on_share={on_share} keeps_session={opening.keeps} {on_export} {on_import} {on_reset}
                    {on_lessons} lessons_open={panels.contains(&Panel::Lesson)} />
            }
            if !notices.list.is_empty() {
                <div class="notices" role="status">
                    { for notices.list.iter().map(|n| html! {
                        <p key={n.id} class={classes!("notice", n.problem.then_some("notice--problem"))}>
                            <span>{&n.text}</span>
                            <button type="button" class="btn btn-small" onclick={dismiss(n.id)} aria-label="Dismiss this message">{"Dismiss"}</button>
                        </p>
                    }) }
                </div>
            }
            if state.readonly {
                <p class="readonly-note">{"Read-only: you can look around, but not change this cluster."}</p>
            }
            <main class={layout} data-panels={panel_names}>
                if custom && side {
                    <div class="workspace-main">{ for MAIN.iter().map(|p| view(*p)) }</div>
                    <div class="workspace-side">{ for SIDE.iter().map(|p| view(*p)) }</div>
                } else {
                    { for Panel::ALL.iter().map(|p| view(*p)) }
                }
            </main>
            if *show_share {
                <ShareDialog script={state.session_script()} panels={panels.clone()} theme={Some(header::current_theme())} lesson={link.lesson.clone()} on_close={on_close_share} />
            }
        </div>
    }
}
