//! The latest API calls and watch deliveries, one caption per line, newest last.

use std::rc::Rc;

use yew::prelude::*;

use crate::ui::state::MessageView;
use crate::ui::view::format_seconds;

#[derive(Properties, PartialEq)]
pub struct MessageStripProps {
    pub recent: Rc<Vec<MessageView>>,
}

#[function_component(MessageStrip)]
pub fn message_strip(props: &MessageStripProps) -> Html {
    html! {
        <div class="messages">
            <h3 class="section-label">{"Latest messages"}</h3>
            if props.recent.is_empty() {
                <p class="empty">{"No API traffic yet. Apply a manifest or run a command."}</p>
            } else {
                <ol class="message-list" aria-label="Latest messages">
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
