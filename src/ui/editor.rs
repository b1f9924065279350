//! The manifest editor: tabs of multi-document YAML with line numbers, highlighting and the
//! manifest reader's errors marked at their line while typing. Apply (or Ctrl+Enter) runs
//! `kubectl apply -f -` with the text as stdin; Diff runs `kubectl diff -f -` first. A tab that
//! `kubectl edit` opened saves by running that command again with the text as stdin.

use std::rc::Rc;

use web_sys::{Element, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api::manifest::{self, ManifestError};
use crate::session::SavedTab as EditorTab;
use crate::ui::state::{Action, ConsoleEntry, EditRequest, UiState};
use crate::ui::view::{highlight_yaml, is_error_output, YamlToken};

/// What the editor holds when the page opens: a small Deployment to apply straight away.
pub const EXAMPLE_MANIFEST: &str = include_str!("../../examples/web-deployment.yaml");
/// At most this many tabs; the oldest closable one goes first.
const MAX_TABS: usize = 8;

#[derive(Properties, PartialEq)]
pub struct ManifestEditorProps {
    /// The latest apply and its output.
    pub last_apply: Option<Rc<ConsoleEntry>>,
    pub edit: Option<Rc<EditRequest>>,
    pub dispatch: UseReducerDispatcher<UiState>,
    /// The tabs to open with (a restored session's) and which one is open; none: the example.
    #[prop_or_default]
    pub initial: Rc<(Vec<EditorTab>, usize)>,
    /// Told the tabs and the open one whenever they change (the page keeps them).
    #[prop_or_default]
    pub on_tabs: Callback<(Vec<EditorTab>, usize)>,
}

/// The first problem the manifest reader finds, with its line when it has one.
fn first_error(text: &str) -> Option<(Option<usize>, String)> {
    manifest::parse(text).into_iter().find_map(|doc| match doc {
        Ok(_) => None,
        Err(e @ ManifestError::Syntax { line, .. }) => Some((Some(line), e.render("STDIN"))),
        Err(e) => Some((None, e.render("STDIN"))),
    })
}

#[function_component(ManifestEditor)]
pub fn manifest_editor(props: &ManifestEditorProps) -> Html {
    let tabs = use_state(|| match props.initial.0.as_slice() {
        [] => vec![EditorTab { title: "manifest 1".into(), text: EXAMPLE_MANIFEST.into(), edit: None }],
        kept => kept.iter().take(MAX_TABS).cloned().collect(),
    });
    let current = use_state(|| props.initial.1);
    {
        let on_tabs = props.on_tabs.clone();
        use_effect_with(((*tabs).clone(), *current), move |(tabs, current)| on_tabs.emit((tabs.clone(), *current)));
    }
    let gutter = use_node_ref();
    let painted = use_node_ref();

    // `kubectl edit` in the console opens the object in a new tab.
    {
        let tabs = tabs.clone();
        let current = current.clone();
        use_effect_with(props.edit.clone(), move |edit| {
            if let Some(edit) = edit {
                let mut next = (*tabs).clone();
                let object = edit.command.split_whitespace().skip(2).collect::<Vec<_>>().join(" ");
                next.push(EditorTab { title: format!("edit {object}"), text: edit.yaml.clone(), edit: Some(edit.command.clone()) });
                if next.len() > MAX_TABS {
                    next.remove(1);
                }
                current.set(next.len() - 1);
                tabs.set(next);
            }
        });
    }

    let index = (*current).min(tabs.len().saturating_sub(1));
    let tab = tabs.get(index).cloned().unwrap_or(EditorTab { title: String::new(), text: String::new(), edit: None });
    let text = tab.text.clone();

    let apply = {
        let dispatch = props.dispatch.clone();
        let text = text.clone();
        let edit = tab.edit.clone();
        Callback::from(move |()| match &edit {
            Some(command) => dispatch.dispatch(Action::SaveEdit { command: command.clone(), text: text.clone() }),
            None => dispatch.dispatch(Action::Apply(text.clone())),
        })
    };
    let diff = {
        let dispatch = props.dispatch.clone();
        let text = text.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::Diff(text.clone())))
    };
    let on_input = {
        let tabs = tabs.clone();
        Callback::from(move |e: InputEvent| {
            let area: HtmlTextAreaElement = e.target_unchecked_into();
            let mut next = (*tabs).clone();
            if let Some(t) = next.get_mut(index) {
                t.text = area.value();
            }
            tabs.set(next);
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
    // The gutter and the highlighted copy do not scroll by themselves: they follow the text.
    let on_scroll = {
        let gutter = gutter.clone();
        let painted = painted.clone();
        Callback::from(move |e: Event| {
            let area: Element = e.target_unchecked_into();
            if let Some(gutter) = gutter.cast::<Element>() {
                gutter.set_scroll_top(area.scroll_top());
            }
            if let Some(painted) = painted.cast::<Element>() {
                painted.set_scroll_top(area.scroll_top());
                painted.set_scroll_left(area.scroll_left());
            }
        })
    };
    let new_tab = {
        let tabs = tabs.clone();
        let current = current.clone();
        Callback::from(move |_: MouseEvent| {
            let mut next = (*tabs).clone();
            if next.len() < MAX_TABS {
                next.push(EditorTab { title: format!("manifest {}", next.len() + 1), text: String::new(), edit: None });
                current.set(next.len() - 1);
                tabs.set(next);
            }
        })
    };

    let error = first_error(&text);
    let error_line = error.as_ref().and_then(|(line, _)| *line);
    let line_count = text.split('\n').count().max(1);
    let numbers = (1..=line_count).map(|n| {
        let bad = Some(n) == error_line;
        html! { <span class={classes!(bad.then_some("is-error"))}>{format!("{}{n}\n", if bad { "▶ " } else { "" })}</span> }
    });
    let painted_lines = text.split('\n').enumerate().map(|(i, line)| {
        let bad = Some(i + 1) == error_line;
        let spans = highlight_yaml(line).into_iter().map(|(token, part)| match token {
            YamlToken::Plain => html! { {part} },
            other => html! { <span class={other.class()}>{part}</span> },
        });
        html! { <span class={classes!("line", bad.then_some("line--error"))}>{for spans}{"\n"}</span> }
    });
    let save_label = if tab.edit.is_some() { "Save" } else { "Apply" };

    html! {
        <section class="pane editor" aria-label="Manifest editor">
            <div class="pane-head">
                <h2 class="pane-title">{"Manifest"}</h2>
                <span class="hint"><kbd>{"Ctrl"}</kbd>{"+"}<kbd>{"Enter"}</kbd>{if tab.edit.is_some() { " saves" } else { " applies" }}</span>
                if tab.edit.is_none() {
                    <button type="button" class="btn" onclick={diff} title="kubectl diff: what Apply would change">{"Diff"}</button>
                }
                <button type="button" class="btn btn-primary" onclick={apply.reform(|_: MouseEvent| ())}>{save_label}</button>
            </div>
            <div class="tabs" role="tablist" aria-label="Manifests">
                { for tabs.iter().enumerate().map(|(i, t)| {
                    let current = current.clone();
                    html! {
                        <button type="button" role="tab" aria-selected={(i == index).to_string()}
                            class={classes!("tab", (i == index).then_some("is-current"))}
                            onclick={move |_: MouseEvent| current.set(i)}>{&t.title}</button>
                    }
                }) }
                <button type="button" class="tab tab-new" aria-label="New manifest tab" onclick={new_tab}>{"+"}</button>
            </div>
            <div class="code">
                <pre class="gutter" ref={gutter} aria-hidden="true">{for numbers}</pre>
                <div class="code-stack">
                    <pre class="code-paint" ref={painted} aria-hidden="true">{for painted_lines}</pre>
                    <textarea
                        key={index}
                        class="code-input"
                        aria-label="Manifest (YAML)"
                        aria-invalid={error.is_some().to_string()}
                        value={text.clone()}
                        oninput={on_input}
                        onkeydown={on_keydown}
                        onscroll={on_scroll}
                        wrap="off"
                        spellcheck="false"
                        autocomplete="off"
                        autocapitalize="off"
                    />
                </div>
            </div>
            if let Some((_, message)) = &error {
                <p class="editor-error" role="status">{message}</p>
            }
            <div class="apply-result" aria-live="polite">
                if let Some(entry) = &props.last_apply {
                    <pre
                        key={entry.id}
                        class={classes!("output", "flash", is_error_output(&entry.output).then_some("is-error"))}
                    >
                        <span class="prompt-line">{format!("$ {}", entry.command)}</span>
                        {"\n"}
                        {if entry.output.is_empty() { "(no output)" } else { entry.output.trim_end() }}
                    </pre>
                }
            </div>
        </section>
    }
}
