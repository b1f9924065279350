//! The manifest editor: YAML with line numbers; Apply (or Ctrl+Enter) runs
//! `kubectl apply -f -` with the text as stdin and shows what kubectl said.

use std::rc::Rc;

use web_sys::{Element, HtmlTextAreaElement};
use yew::prelude::*;

use crate::ui::state::{Action, ConsoleEntry, UiState};
use crate::ui::view::is_error_output;

/// What the editor holds when the page opens: a small Deployment to apply straight away.
pub const EXAMPLE_MANIFEST: &str = include_str!("../../examples/web-deployment.yaml");

#[derive(Properties, PartialEq)]
pub struct ManifestEditorProps {
    /// The latest apply and its output.
    pub last_apply: Option<Rc<ConsoleEntry>>,
    pub dispatch: UseReducerDispatcher<UiState>,
}

#[function_component(ManifestEditor)]
pub fn manifest_editor(props: &ManifestEditorProps) -> Html {
    let text = use_state(|| EXAMPLE_MANIFEST.to_string());
    let gutter = use_node_ref();

    let apply = {
        let text = text.clone();
        let dispatch = props.dispatch.clone();
        Callback::from(move |()| dispatch.dispatch(Action::Apply((*text).clone())))
    };
    let on_click = apply.reform(|_: MouseEvent| ());
    let on_input = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            text.set(area.value());
        })
    };
    let on_keydown = {
        let apply = apply.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                apply.emit(());
            }
        })
    };
    // The gutter does not scroll by itself: it follows the text area.
    let on_scroll = {
        let gutter = gutter.clone();
        Callback::from(move |e: Event| {
            let area: Element = e.target_unchecked_into();
            if let Some(gutter) = gutter.cast::<Element>() {
                gutter.set_scroll_top(area.scroll_top());
            }
        })
    };

    let line_count = text.split('\n').count().max(1);
    let numbers: String = (1..=line_count).map(|n| format!("{n}\n")).collect();

    html! {
        <section class="pane editor" aria-label="Manifest editor">
            <div class="pane-head">
                <h2 class="pane-title">{"Manifest"}</h2>
                <span class="hint"><kbd>{"Ctrl"}</kbd>{"+"}<kbd>{"Enter"}</kbd>{" applies"}</span>
                <button type="button" class="btn btn-primary" onclick={on_click}>{"Apply"}</button>
            </div>
            <div class="code">
                <pre class="gutter" ref={gutter} aria-hidden="true">{numbers}</pre>
                <textarea
                    class="code-input"
                    aria-label="Manifest (YAML)"
                    value={(*text).clone()}
                    oninput={on_input}
                    onkeydown={on_keydown}
                    onscroll={on_scroll}
                    wrap="off"
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                />
            </div>
            <div class="apply-result" aria-live="polite">
                if let Some(entry) = &props.last_apply {
                    <pre
                        key={entry.id}
                        class={classes!("output", "flash", is_error_output(&entry.output).then_some("is-error"))}
                    >
                        <span class="prompt-line">{"$ kubectl apply -f -"}</span>
                        {"\n"}
                        {if entry.output.is_empty() { "(no output)" } else { entry.output.trim_end() }}
                    </pre>
                }
            </div>
        </section>
    }
}
