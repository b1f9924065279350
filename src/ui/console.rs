//! The console: one line of the command language at a time (`kubectl ...`, `sim ...`), with
//! history on ArrowUp/ArrowDown, Tab completion, `--watch` streaming (Ctrl+C stops it) and a
//! Copy button on every output. Output is shown as a terminal would.

use std::rc::Rc;

use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use crate::ui::state::{Action, Completer, ConsoleEntry, UiState};
use crate::ui::view::is_error_output;

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub entries: Rc<Vec<ConsoleEntry>>,
    pub history: Rc<Vec<String>>,
    pub dispatch: UseReducerDispatcher<UiState>,
    pub completer: Completer,
    /// A `--watch` is streaming into the last entry.
    pub watching: bool,
}

/// Puts `text` on the clipboard (the browser may refuse; the output stays selectable).
fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

#[function_component(Console)]
pub fn console(props: &ConsoleProps) -> Html {
    let line = use_state(String::new);
    // Where ArrowUp/ArrowDown are in the history (None: at the line being typed), and that line.
    let cursor = use_state(|| None::<usize>);
    let draft = use_state(String::new);
    let scroller = use_node_ref();
    // What Tab offered last time, when it could not decide.
    let candidates = use_state(Vec::<String>::new);

    // Keep the newest output in view.
    {
        let scroller = scroller.clone();
        let last_len = props.entries.last().map_or(0, |e| e.output.len());
        use_effect_with((props.entries.len(), last_len), move |_| {
            if let Some(el) = scroller.cast::<Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    let on_input = {
        let line = line.clone();
        let cursor = cursor.clone();
        let candidates = candidates.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            line.set(input.value());
            cursor.set(None);
            candidates.set(Vec::new());
        })
    };
    let on_keydown = {
        let line = line.clone();
        let cursor = cursor.clone();
        let draft = draft.clone();
        let history = props.history.clone();
        let dispatch = props.dispatch.clone();
        let completer = props.completer.clone();
        let candidates = candidates.clone();
        let watching = props.watching;
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                dispatch.dispatch(Action::Run((*line).clone()));
                line.set(String::new());
                cursor.set(None);
                candidates.set(Vec::new());
            }
            // Tab completes; with nothing left to complete it moves focus on, as usual.
            "Tab" if !e.shift_key() => {
                let (completed, options) = completer.complete(&line);
                if completed != *line || !options.is_empty() {
                    e.prevent_default();
                    line.set(completed);
                    candidates.set(options);
                }
            }
            "c" if e.ctrl_key() && watching => {
                e.prevent_default();
                dispatch.dispatch(Action::StopWatch);
            }
            "ArrowUp" if !history.is_empty() => {
                e.prevent_default();
                let next = match *cursor {
                    None => {
                        draft.set((*line).clone());
                        history.len() - 1
                    }
                    Some(i) => i.saturating_sub(1),
                };
                cursor.set(Some(next));
                line.set(history[next].clone());
            }
            "ArrowDown" => {
                if let Some(i) = *cursor {
                    e.prevent_default();
                    if i + 1 < history.len() {
                        cursor.set(Some(i + 1));
                        line.set(history[i + 1].clone());
                    } else {
                        cursor.set(None);
                        line.set((*draft).clone());
                    }
                }
            }
            "l" if e.ctrl_key() => {
                e.prevent_default();
                dispatch.dispatch(Action::ClearConsole);
            }
            _ => {}
        })
    };

    html! {
        <section class="pane console" aria-label="Console" data-component="kubectl">
            <div class="pane-head">
                <h2 class="pane-title">{"Console"}</h2>
                <span class="hint">{"↑↓ history · "}<kbd>{"Tab"}</kbd>{" completes · "}<kbd>{"Ctrl"}</kbd>{"+"}<kbd>{"L"}</kbd>{" clears"}</span>
                if props.watching {
                    <button type="button" class="btn btn-small" onclick={props.dispatch.to_callback().reform(|_| Action::StopWatch)}>
                        {"Stop watch"}
                    </button>
                }
            </div>
            <div class="terminal" ref={scroller}>
                if props.entries.is_empty() {
                    <p class="terminal-hint">
                        {"Try "}<code>{"kubectl get nodes"}</code>{", "}<code>{"kubectl get pods -o wide"}</code>
                        {" or "}<code>{"sim wait 30s"}</code>{"."}
                    </p>
                }
                { for props.entries.iter().map(|entry| html! {
                    <div key={entry.id} class="entry">
                        <pre class="prompt-line">
                            <span class="prompt" aria-hidden="true">{"$ "}</span>{&entry.command}
                            if let Some(note) = &entry.stdin_note {
                                <span class="stdin-note">{format!("  # {note}")}</span>
                            }
                        </pre>
                        if !entry.output.is_empty() {
                            <div class="output-box">
                                <pre class={classes!("output", is_error_output(&entry.output).then_some("is-error"))}>
                                    {entry.output.trim_end()}
                                </pre>
                                <button type="button" class="copy" aria-label="Copy output" title="Copy output"
                                    onclick={let text = entry.output.clone(); move |_: MouseEvent| copy(&text)}>
                                    {"Copy"}
                                </button>
                            </div>
                        }
                    </div>
                }) }
            </div>
            if !candidates.is_empty() {
                <p class="candidates" aria-live="polite">{candidates.join("  ")}</p>
            }
            <div class="command-line">
                <span class="prompt" aria-hidden="true">{"$"}</span>
                <input
                    type="text"
                    aria-label="Command"
                    placeholder="kubectl get pods -o wide"
                    value={(*line).clone()}
                    oninput={on_input}
                    onkeydown={on_keydown}
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                />
            </div>
        </section>
    }
}
