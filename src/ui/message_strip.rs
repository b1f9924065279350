//! The latest API calls and watch deliveries, one caption per line, newest last; which kinds of
//! message to show; and step mode, which reveals one message at a time so a reader can follow a
//! request hop by hop. New messages also travel as dots between the components' boxes.

use std::cell::Cell;
use std::rc::Rc;

use yew::prelude::*;

use crate::ui::motion;
use crate::ui::state::{Action, MessageView, UiState};
use crate::ui::view::{format_seconds, MessageGroup};

/// At most this many dots start at once (at 64× a burst would only be a blur).
const DOTS_AT_ONCE: usize = 4;

#[derive(Properties, PartialEq)]
pub struct MessageStripProps {
    pub recent: Rc<Vec<MessageView>>,
    pub hidden: Rc<Vec<MessageGroup>>,
    pub stepping: bool,
    pub dispatch: UseReducerDispatcher<UiState>,
}

#[function_component(MessageStrip)]
pub fn message_strip(props: &MessageStripProps) -> Html {
    // The newest message that has had its dot.
    let flown = use_mut_ref(|| Cell::new(0_u64));
    use_effect_with(props.recent.clone(), move |recent| {
        let last = flown.borrow().get();
        if !motion::reduced_motion() {
            let new: Vec<&MessageView> = recent.iter().filter(|m| m.seq >= last && last > 0).collect();
            for m in new.iter().rev().take(DOTS_AT_ONCE) {
                motion::fly(&m.from_key, &m.to_key);
            }
        }
        if let Some(m) = recent.last() {
            flown.borrow().set(m.seq + 1);
        }
    });
    let dispatch = &props.dispatch;

    html! {
        <div class="messages">
            <div class="message-controls">
                <h3 class="section-label">{"Messages"}</h3>
                <fieldset class="filter">
                    <legend class="visually-hidden">{"Show these messages"}</legend>
                    { for MessageGroup::ALL.iter().map(|&group| html! {
                        <label class="check">
                            <input type="checkbox" checked={!props.hidden.contains(&group)}
                                onchange={dispatch.to_callback().reform(move |_| Action::ToggleGroup(group))} />
                            {group.label()}
                        </label>
                    }) }
                </fieldset>
                <button type="button" class="btn btn-small" title="Pause and reveal the next message"
                    onclick={dispatch.to_callback().reform(|_| Action::StepMessage)}>{"Next message"}</button>
                if props.stepping {
                    <button type="button" class="btn btn-small" onclick={dispatch.to_callback().reform(|_| Action::EndStepping)}>
                        {"Show all"}
                    </button>
                }
            </div>
            if props.recent.is_empty() {
                <p class="empty">{"No API traffic yet. Apply a manifest or run a command."}</p>
            } else {
                <ol class="message-list" aria-label="Latest messages" aria-live="polite">
                    { for props.recent.iter().map(|m| html! {
                        <li key={m.seq} data-from={m.from_key.clone()} data-to={m.to_key.clone()}>
                            <span class="message-time">{format_seconds(m.time_ms)}</span>
                            <span class="message-caption">{&m.caption}</span>
                        </li>
                    }) }
                </ol>
            }
        </div>
    }
}
