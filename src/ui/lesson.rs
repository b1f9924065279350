//! The lesson panel: the lesson's prose and steps with progress. Each step checks itself
//! whenever the cluster changes (whatever changed it: the console, the editor or the
//! diagram); "Show me" runs the step's solution through the console. Without a lesson it lists
//! the lessons to start.
//!
//! Lesson prose is Markdown, drawn as text nodes: paragraphs, lists, fenced code, `code` and
//! **bold**. Nothing in a lesson is ever parsed as HTML.

use std::rc::Rc;

use yew::prelude::*;

use crate::lessons::{self, Progress};
use crate::ui::state::{Action, UiState};

#[derive(Properties, PartialEq)]
pub struct LessonPanelProps {
    pub progress: Option<Rc<Progress>>,
    pub dispatch: UseReducerDispatcher<UiState>,
}

/// `code` and **bold** within one line of prose.
fn inline(text: &str) -> Html {
    let mut nodes: Vec<Html> = Vec::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            nodes.push(html! { <code>{part}</code> });
            continue;
        }
        for (j, piece) in part.split("**").enumerate() {
            if j % 2 == 1 {
                nodes.push(html! { <strong>{piece}</strong> });
            } else if !piece.is_empty() {
                nodes.push(html! { {piece} });
            }
        }
    }
    html! { <>{ for nodes }</> }
}

/// A Markdown text as blocks: headings, paragraphs, `- ` lists and fenced code.
fn markdown(text: &str) -> Html {
    let mut blocks: Vec<Html> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut items: Vec<&str> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    let flush = |paragraph: &mut Vec<&str>, items: &mut Vec<&str>, blocks: &mut Vec<Html>| {
        if !paragraph.is_empty() {
            blocks.push(html! { <p>{inline(&paragraph.join(" "))}</p> });
            paragraph.clear();
        }
        if !items.is_empty() {
            blocks.push(html! { <ul>{ for items.iter().map(|i| html! { <li>{inline(i)}</li> }) }</ul> });
            items.clear();
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(lines) = code.as_mut() {
            if trimmed.starts_with("```") {
                blocks.push(html! { <pre>{lines.join("\n")}</pre> });
                code = None;
            } else {
                lines.push(line);
            }
        } else if trimmed.starts_with("```") {
            flush(&mut paragraph, &mut items, &mut blocks);
            code = Some(Vec::new());
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut items, &mut blocks);
        } else if let Some(heading) = trimmed.strip_prefix('#') {
            flush(&mut paragraph, &mut items, &mut blocks);
            blocks.push(html! { <h4>{inline(heading.trim_start_matches('#').trim())}</h4> });
        } else if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            if !paragraph.is_empty() {
                flush(&mut paragraph, &mut Vec::new(), &mut blocks);
            }
            items.push(item);
        } else {
            paragraph.push(trimmed);
        }
    }
    if let Some(lines) = code {
        blocks.push(html! { <pre>{lines.join("\n")}</pre> });
    }
    flush(&mut paragraph, &mut items, &mut blocks);
    html! { <div class="lesson-prose">{ for blocks }</div> }
}

#[function_component(LessonPanel)]
pub fn lesson_panel(props: &LessonPanelProps) -> Html {
    let dispatch = props.dispatch.clone();
    let Some(progress) = props.progress.as_ref() else {
        let lessons = lessons::catalogue();
        return html! {
            <section class="pane lesson" aria-labelledby="lesson-title">
                <div class="pane-head"><h2 class="pane-title" id="lesson-title">{"Lessons"}</h2></div>
                <div class="lesson-body">
                    <p>{"Pick a lesson: it starts on a fresh cluster, and each step checks itself as you work."}</p>
                    <ol class="lesson-steps">
                        { for lessons.into_iter().map(|lesson| {
                            let start = {
                                let dispatch = dispatch.clone();
                                let id = lesson.id.clone();
                                Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::StartLesson(id.clone())))
                            };
                            html! {
                                <li class="lesson-step" key={lesson.id.clone()}>
                                    <div class="lesson-step-head">{&lesson.title}</div>
                                    <p>{&lesson.summary}</p>
                                    <button type="button" class="btn btn-small btn-primary" onclick={start}
                                        aria-label={format!("Start the lesson: {}", lesson.title)}>{"Start"}</button>
                                </li>
                            }
                        }) }
                    </ol>
                </div>
            </section>
        };
    };

    let lesson = progress.lesson();
    let total = lesson.steps.len();
    let done = progress.step().min(total);
    let show_me = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::ShowMe))
    };
    let close = {
        let dispatch = dispatch.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::CloseLesson))
    };
    let restart = {
        let dispatch = dispatch.clone();
        let id = lesson.id.clone();
        Callback::from(move |_: MouseEvent| dispatch.dispatch(Action::StartLesson(id.clone())))
    };
    let steps = lesson.steps.iter().enumerate().map(|(i, step)| {
        let state = if i < done { "done" } else if i == done { "current" } else { "next" };
        let mark = if i < done { "✓".to_string() } else { (i + 1).to_string() };
        let status = match state {
            "done" => "done",
            "current" => "in progress",
            _ => "to do",
        };
        html! {
            <li key={i} class={classes!("lesson-step", format!("lesson-step--{state}"))} aria-current={(state == "current").then_some("step")}>
                <div class="lesson-step-head">
                    <span class="lesson-mark" aria-hidden="true">{mark}</span>
                    <span>{&step.title}</span>
                    <span class="visually-hidden">{format!(" ({status})")}</span>
                </div>
                if state == "current" {
                    {markdown(&step.instructions)}
                    <ul class="lesson-checks">
                        { for progress.results().iter().map(|r| html! {
                            <li class="lesson-check">{format!("{} {}", if r.passed { "✓" } else { "○" }, r.description)}</li>
                        }) }
                    </ul>
                    <div class="lesson-step-actions">
                        <button type="button" class="btn btn-small" onclick={show_me.clone()}
                            aria-label={format!("Show me: run the solution of “{}” in the console", step.title)}>{"Show me"}</button>
                    </div>
                }
            </li>
        }
    });

    html! {
        <section class="pane lesson" aria-labelledby="lesson-title">
            <div class="pane-head">
                <h2 class="pane-title" id="lesson-title">{"Lesson"}</h2>
                <button type="button" class="btn btn-small" onclick={restart} title="Start this lesson again on a fresh cluster">{"Restart"}</button>
                <button type="button" class="btn btn-small" onclick={close} title="Leave the lesson; the cluster stays">{"Close"}</button>
            </div>
            <div class="lesson-body">
                <h3>{&lesson.title}</h3>
                <div class="lesson-progress">
                    <progress max={total.to_string()} value={done.to_string()} aria-label="Lesson progress"></progress>
                    <span>{format!("{done} of {total} steps")}</span>
                </div>
                if done == 0 {
                    {markdown(&lesson.intro)}
                }
                <ol class="lesson-steps">{ for steps }</ol>
                if progress.is_complete() {
                    <div class="lesson-done" role="status">{"Lesson complete: every step checked out."}</div>
                    {markdown(&lesson.outro)}
                }
            </div>
        </section>
    }
}
