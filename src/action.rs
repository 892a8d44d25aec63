//! What a spoke asks the hub to do. The spokes (`crate::signal`, `crate::serve`,
//! `crate::driver`) are functions over their own registry; they neither lock nor send, and
//! return [`Action`]s that `crate::hub` applies once it has them: queue an event, send a
//! message (outside its lock), count a refusal. So each spoke is testable without a bus.

use zbus::Message;

use crate::event::Event;

/// One thing for the hub to do.
#[derive(Debug)]
pub enum Action {
    /// Send this message (a reply, an error reply, a `PropertiesChanged` signal).
    Send(Message),
    /// Queue this event for `next_event`.
    Queue(Event),
    /// A call was refused for the limit on unanswered calls (counted in the statistics).
    Refused,
}
