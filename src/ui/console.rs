//! The console: one line of the command language at a time (`kubectl ...`, `sim ...`), with
//! history on ArrowUp/ArrowDown. Output is shown as a terminal would.

use std::rc::Rc;

use web_sys::{Element, HtmlInputElement};
use yew::prelude::*;

use crate::ui::state::{Action, ConsoleEntry, UiState};
use crate::ui::view::is_error_output;

#[derive(Properties, PartialEq)]
pub struct ConsoleProps {
    pub entries: Rc<Vec<ConsoleEntry>>,
    pub history: Rc<Vec<String>>,
    pub dispatch: UseReducerDispatcher<UiState>,
}

#[function_component(Console)]
pub fn console(props: &ConsoleProps) -> Html {
    let line = use_state(String::new);
    // Where ArrowUp/ArrowDown are in the history (None: at the line being typed), and that line.
    let cursor = use_state(|| None::<usize>);
    let draft = use_state(String::new);
    let scroller = use_node_ref();

    // Keep the newest output in view.
    {
        let scroller = scroller.clone();
        use_effect_with(props.entries.len(), move |_| {
            if let Some(el) = scroller.cast::<Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    let on_input = {
        let line = line.clone();
        let cursor = cursor.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            line.set(input.value());
            cursor.set(None);
        })
    };
    let on_keydown = {
        let line = line.clone();
        let cursor = cursor.clone();
        let draft = draft.clone();
        let history = props.history.clone();
        let dispatch = props.dispatch.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Enter" => {
                e.prevent_default();
                dispatch.dispatch(Action::Run((*line).clone()));
                line.set(String::new());
                cursor.set(None);
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
        <section class="pane console" aria-label="Console">
            <div class="pane-head">
                <h2 class="pane-title">{"Console"}</h2>
                <span class="hint">{"kubectl and sim commands · ↑↓ history · "}<kbd>{"Ctrl"}</kbd>{"+"}<kbd>{"L"}</kbd>{" clears"}</span>
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
                            <pre class={classes!("output", is_error_output(&entry.output).then_some("is-error"))}>
                                {entry.output.trim_end()}
                            </pre>
                        }
                    </div>
                }) }
            </div>
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
