//! The Skype desktop API as a pure state machine: command parsing, per-client state, objects
//! (chats, chat members, chat messages), replies, notifications and error codes.
//!
//! Nothing here touches D-Bus, clocks or timers. Every entry point takes the caller's unique bus
//! name (the key of the per-connection authorisation) and, where it matters, the current Unix time,
//! and returns an ordered list of [`Action`]s that the D-Bus glue carries out in that order: the
//! reply to the caller's `Invoke`, `Notify` calls to clients, and timers to start.
//!
//! The authority for the behaviour is `docs/skype-protocol.md`; the points it leaves open and how
//! they are decided here are listed in `docs/skype-emulator.md`.

use std::collections::{BTreeMap, HashMap};

mod chat;
mod query;
mod text;

pub use text::{dialog_id, multichat_id, split_prefix, valid_handle};
use text::{fnv1a, split_word};

/// How long the emulator waits after an accepted `NAME` for a `PROTOCOL` command before it sends
/// the attach notifications on its own (`docs/skype-protocol.md` 2.4: about 100 ms).
pub const HANDSHAKE_FALLBACK_MS: u64 = 100;

/// The value of `GET SKYPEVERSION` (the last Skype for Linux that had the desktop API).
pub const SKYPE_VERSION: &str = "4.3.0.37";

/// What the emulated user answers when an application sends `NAME`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// `OK` at once (the user allowed the application earlier, with "remember").
    Accept,
    /// `ERROR 68`.
    Refuse,
    /// `CONNSTATUS OFFLINE` until the user signs in (control method `SignIn`), then `OK`.
    Offline,
    /// The `Invoke` of `NAME` does not return until the configured delay has passed, then `OK`.
    Pending,
}

impl AuthMode {
    pub fn parse(s: &str) -> Option<AuthMode> {
        match s.to_ascii_lowercase().as_str() {
            "accept" => Some(AuthMode::Accept),
            "refuse" => Some(AuthMode::Refuse),
            "offline" => Some(AuthMode::Offline),
            "pending" => Some(AuthMode::Pending),
            _ => None,
        }
    }
}

/// A friend of the emulated user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub handle: String,
    pub fullname: String,
}

/// Everything the command line can set about the emulated Skype.
#[derive(Clone, Debug)]
pub struct Config {
    /// The signed-in user's handle.
    pub user: String,
    /// The friends list, in the order `SEARCH FRIENDS` reports it.
    pub contacts: Vec<Contact>,
    /// The first object id handed out (chat messages, chat members and legacy messages share
    /// one counter).
    pub first_id: u64,
    /// The highest protocol version; `PROTOCOL n` answers `PROTOCOL min(n, protocol_max)`.
    pub protocol_max: u32,
    pub auth: AuthMode,
    /// How long a `NAME` blocks in [`AuthMode::Pending`].
    pub auth_delay_ms: u64,
    /// Refuse commands that do not exist at the client's negotiated protocol version.
    pub strict: bool,
    /// Incoming messages `(from, body)` injected once the first client has attached.
    pub inject_on_attach: Vec<(String, String)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            user: "alice".into(),
            contacts: vec![
                Contact {
                    handle: "echo123".into(),
                    fullname: "Echo / Sound Test Service".into(),
                },
                Contact {
                    handle: "bob".into(),
                    fullname: "Bob".into(),
                },
            ],
            first_id: 1,
            protocol_max: 8,
            auth: AuthMode::Accept,
            auth_delay_ms: 5000,
            strict: false,
            inject_on_attach: Vec::new(),
        }
    }
}

/// Something the D-Bus glue must do, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Return this string from the caller's `Invoke`.
    Reply(String),
    /// Do not return yet: after `delay_ms`, call [`Emulator::finish_pending_name`] with `ticket`
    /// and return what it gives (pending authorisation).
    DeferReply { ticket: u64, delay_ms: u64 },
    /// Call `com.Skype.API.Client.Notify(text)` on `/com/Skype/Client` of client `to`.
    Notify { to: String, text: String },
    /// After `delay_ms`, call [`Emulator::handshake_timer`] with `client` and `epoch`.
    HandshakeTimer {
        client: String,
        epoch: u64,
        delay_ms: u64,
    },
}

/// A failed command: its code and text. The reply is `ERROR <code> <text>` (`ERROR 68` is bare).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkypeError {
    pub code: u32,
    pub text: &'static str,
}

impl SkypeError {
    pub fn render(&self) -> String {
        if self.text.is_empty() {
            format!("ERROR {}", self.code)
        } else {
            format!("ERROR {} {}", self.code, self.text)
        }
    }
}

const fn err(code: u32, text: &'static str) -> SkypeError {
    SkypeError { code, text }
}

/// The error codes the emulator emits (`docs/skype-protocol.md` 4).
pub mod errors {
    use super::{SkypeError, err};
    pub const SYNTAX: SkypeError = err(1, "General syntax error");
    pub const UNKNOWN_COMMAND: SkypeError = err(2, "Unknown command");
    pub const SEARCH_UNKNOWN_WHAT: SkypeError = err(3, "SEARCH: unknown WHAT");
    pub const GET_INVALID_WHAT: SkypeError = err(7, "GET: invalid WHAT");
    pub const GET_INVALID_USER: SkypeError = err(8, "Invalid user handle");
    pub const UNKNOWN_USER: SkypeError = err(9, "Unknown user");
    pub const INVALID_PROP: SkypeError = err(10, "Invalid PROP");
    pub const SET_INVALID_WHAT: SkypeError = err(18, "SET: invalid WHAT");
    pub const MESSAGE_INVALID_USER: SkypeError = err(26, "Invalid user handle");
    pub const INVALID_VERSION: SkypeError = err(27, "Invalid version number");
    pub const UNKNOWN_USERSTATUS: SkypeError = err(28, "Unknown userstatus");
    pub const INVALID_MESSAGE_ID: SkypeError = err(30, "Invalid message id");
    pub const UNKNOWN_MESSAGE_ID: SkypeError = err(31, "Unknown message id");
    pub const EMPTY_MESSAGE: SkypeError = err(43, "cannot send empty message");
    pub const SEARCH_FRIENDS_TARGET: SkypeError = err(67, "Target not allowed with SEARCH FRIENDS");
    /// Bare, without text: clients compare `ERROR 68` literally.
    pub const ACCESS_DENIED: SkypeError = err(68, "");
    pub const INVALID_CHAT_NAME: SkypeError = err(105, "Invalid chat name");
    pub const CHAT_INVALID_PROP: SkypeError = err(106, "Invalid PROP");
    pub const NO_CHAT_FOUND: SkypeError = err(501, "CHAT: No chat found for given chat");
    pub const CHAT_CREATE_BAD_HANDLE: SkypeError = err(
        507,
        "CHAT: CREATE: invalid/missing user handle(s) as argument",
    );
    pub const UNKNOWN_CHAT: SkypeError = err(510, "Invalid/unknown chat name given");
}

use errors::*;

/// The `USERSTATUS` values (`docs/skype-protocol.md` 3). The last two cannot be set.
const SETTABLE_USERSTATUS: &[&str] = &[
    "ONLINE",
    "OFFLINE",
    "SKYPEME",
    "AWAY",
    "NA",
    "DND",
    "INVISIBLE",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MsgStatus {
    Sent,
    Received,
    Read,
}

impl MsgStatus {
    fn as_str(self) -> &'static str {
        match self {
            MsgStatus::Sent => "SENT",
            MsgStatus::Received => "RECEIVED",
            MsgStatus::Read => "READ",
        }
    }
}

/// How a message came to be; decides whether a protocol 1-2 client sees it as `MESSAGE` or
/// `CHATMESSAGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Sent with `CHATMESSAGE <chat> <text>`: always a CHATMESSAGE object.
    ChatCommand,
    /// Sent with the legacy `MESSAGE <handle> <text>`.
    MessageCommand,
    /// Injected as received from a contact.
    Incoming,
}

#[derive(Clone, Debug)]
struct ChatMessage {
    chat: String,
    from: String,
    body: String,
    status: MsgStatus,
    timestamp: u64,
    origin: Origin,
}

#[derive(Clone, Debug)]
struct Chat {
    /// `Some(partner)` for a dialog.
    partner: Option<String>,
    /// Members other than the user, sorted.
    others: Vec<String>,
    /// CHATMEMBER objects: (id, handle, role), the user first.
    member_objects: Vec<(u64, String, &'static str)>,
    timestamp: u64,
    activity: u64,
    messages: Vec<u64>,
    topic: String,
}

#[derive(Clone, Debug, Default)]
struct Client {
    authorised: bool,
    /// Negotiated protocol; 1 until the client sends `PROTOCOL`.
    protocol: u32,
    /// The attach notifications are still to be sent.
    handshake_due: bool,
    /// Bumped at each accepted NAME, so a stale fallback timer does nothing.
    epoch: u64,
}

/// A `NAME` waiting for the emulated user's answer.
#[derive(Clone, Debug)]
struct PendingName {
    client: String,
    prefix: String,
}

/// The emulated Skype.
pub struct Emulator {
    config: Config,
    auth: AuthMode,
    signed_in: bool,
    next_id: u64,
    user_status: String,
    clients: HashMap<String, Client>,
    /// Clients in the order they were first seen, so broadcasts are deterministic.
    client_order: Vec<String>,
    chats: BTreeMap<String, Chat>,
    /// Chats in creation order (for SEARCH CHATS).
    chat_order: Vec<String>,
    messages: BTreeMap<u64, ChatMessage>,
    /// Users who are not friends but became known (chat partners, senders of injected messages).
    strangers: Vec<String>,
    pending: HashMap<u64, PendingName>,
    next_ticket: u64,
    empty_multichats: u64,
    inject_on_attach: Vec<(String, String)>,
}

impl Emulator {
    pub fn new(config: Config) -> Emulator {
        let auth = config.auth;
        Emulator {
            auth,
            signed_in: auth != AuthMode::Offline,
            next_id: config.first_id.max(1),
            user_status: "ONLINE".into(),
            clients: HashMap::new(),
            client_order: Vec::new(),
            chats: BTreeMap::new(),
            chat_order: Vec::new(),
            messages: BTreeMap::new(),
            strangers: Vec::new(),
            pending: HashMap::new(),
            next_ticket: 1,
            empty_multichats: 0,
            inject_on_attach: config.inject_on_attach.clone(),
            config,
        }
    }

    /// Change what later `NAME`s get. `offline` also signs the user out (a later `SignIn` or a
    /// mode change signs in again); clients already attached stay attached.
    pub fn set_auth_mode(&mut self, mode: AuthMode) {
        self.auth = mode;
        self.signed_in = mode != AuthMode::Offline;
    }

    pub fn set_auth_delay_ms(&mut self, ms: u64) {
        self.config.auth_delay_ms = ms;
    }

    /// The user signs in: in offline mode, later `NAME`s get `OK`.
    pub fn sign_in(&mut self) {
        self.signed_in = true;
        if self.auth == AuthMode::Offline {
            self.auth = AuthMode::Accept;
        }
    }

    pub fn is_authorised(&self, client: &str) -> bool {
        self.clients.get(client).is_some_and(|c| c.authorised)
    }

    /// The unique names of the attached clients, in the order they were first seen.
    pub fn authorised_client_names(&self) -> Vec<String> {
        self.authorised_clients()
    }

    /// The client's unique name went away: forget its authorisation and state.
    pub fn forget_client(&mut self, client: &str) -> bool {
        self.client_order.retain(|c| c != client);
        self.clients.remove(client).is_some()
    }

    fn alloc_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn client_mut(&mut self, client: &str) -> &mut Client {
        if !self.clients.contains_key(client) {
            self.client_order.push(client.to_string());
        }
        self.clients.entry(client.to_string()).or_insert(Client {
            protocol: 1,
            ..Client::default()
        })
    }

    fn authorised_clients(&self) -> Vec<String> {
        self.client_order
            .iter()
            .filter(|c| self.is_authorised(c))
            .cloned()
            .collect()
    }

    fn protocol_of(&self, client: &str) -> u32 {
        self.clients.get(client).map_or(1, |c| c.protocol)
    }

    fn fullname_of(&self, handle: &str) -> Option<String> {
        if handle == self.config.user {
            return Some(self.config.user.clone());
        }
        if let Some(c) = self.config.contacts.iter().find(|c| c.handle == handle) {
            return Some(c.fullname.clone());
        }
        if self.strangers.iter().any(|s| s == handle) {
            return Some(handle.to_string());
        }
        None
    }

    fn remember_user(&mut self, handle: &str) {
        if self.fullname_of(handle).is_none() {
            self.strangers.push(handle.to_string());
        }
    }

    // ----- entry points -------------------------------------------------------------------

    /// Handle one `Invoke(command)` from `client` at Unix time `now`.
    pub fn invoke(&mut self, client: &str, command: &str, now: u64) -> Vec<Action> {
        let (prefix, body) = split_prefix(command);
        // A bare `#4` still gets `#4 ` on its reply.
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !prefix.ends_with(' ') {
            prefix.push(' ');
        }
        let (keyword, args) = split_word(body);
        let keyword_uc = keyword.to_ascii_uppercase();

        if keyword_uc == "NAME" {
            return self.cmd_name(client, &prefix, args);
        }
        if !self.is_authorised(client) {
            return vec![Action::Reply(format!("{prefix}{}", ACCESS_DENIED.render()))];
        }

        let mut actions = Vec::new();
        let due = self.clients.get(client).is_some_and(|c| c.handshake_due);
        if due && keyword_uc != "PROTOCOL" {
            // A command other than PROTOCOL came first: the attach notifications go out now,
            // before this command's reply.
            actions.extend(self.flush_handshake(client, now));
        }

        let mut after = Vec::new();
        let result = self.dispatch(client, &keyword_uc, args, now, &mut after);
        let reply = match result {
            Ok(text) => text,
            Err(e) => e.render(),
        };
        actions.push(Action::Reply(format!("{prefix}{reply}")));
        actions.extend(after);
        if due && keyword_uc == "PROTOCOL" {
            actions.extend(self.flush_handshake(client, now));
        }
        actions
    }

    /// The pending `NAME` identified by `ticket` gets its answer (the user accepted).
    pub fn finish_pending_name(&mut self, ticket: u64) -> Vec<Action> {
        let Some(p) = self.pending.remove(&ticket) else {
            return Vec::new();
        };
        self.accept_name(&p.client, &p.prefix)
    }

    /// The ~100 ms fallback after an accepted `NAME` without `PROTOCOL`.
    pub fn handshake_timer(&mut self, client: &str, epoch: u64, now: u64) -> Vec<Action> {
        match self.clients.get(client) {
            Some(c) if c.authorised && c.handshake_due && c.epoch == epoch => {
                self.flush_handshake(client, now)
            }
            _ => Vec::new(),
        }
    }

    /// A message from `from` arrives: stored in the dialog with `from` with STATUS RECEIVED, and
    /// every attached client is notified. Returns the message id and the notifications.
    pub fn inject_message(
        &mut self,
        from: &str,
        body: &str,
        now: u64,
    ) -> Result<(u64, Vec<Action>), String> {
        let from = from.to_ascii_lowercase();
        if !valid_handle(&from) {
            return Err(format!("invalid handle {from:?}"));
        }
        if from == self.config.user {
            return Err("a message from the user to themselves cannot be received".into());
        }
        if body.is_empty() {
            return Err("empty message body".into());
        }
        self.remember_user(&from);
        let chat = self.ensure_dialog(&from, now);
        let id = self.alloc_id();
        self.store_message(
            id,
            &chat,
            &from,
            body,
            MsgStatus::Received,
            now,
            Origin::Incoming,
        );
        let actions = self.message_event(id, None);
        Ok((id, actions))
    }

    // ----- handshake ----------------------------------------------------------------------

    fn cmd_name(&mut self, client: &str, prefix: &str, app: &str) -> Vec<Action> {
        if app.trim().is_empty() {
            return vec![Action::Reply(format!("{prefix}{}", SYNTAX.render()))];
        }
        match self.auth {
            AuthMode::Accept => self.accept_name(client, prefix),
            AuthMode::Refuse => {
                let c = self.client_mut(client);
                c.authorised = false;
                c.handshake_due = false;
                vec![Action::Reply(format!("{prefix}{}", ACCESS_DENIED.render()))]
            }
            AuthMode::Offline if !self.signed_in => {
                let c = self.client_mut(client);
                c.authorised = false;
                c.handshake_due = false;
                vec![Action::Reply(format!("{prefix}CONNSTATUS OFFLINE"))]
            }
            AuthMode::Offline => self.accept_name(client, prefix),
            AuthMode::Pending => {
                self.client_mut(client);
                let ticket = self.next_ticket;
                self.next_ticket += 1;
                self.pending.insert(
                    ticket,
                    PendingName {
                        client: client.to_string(),
                        prefix: prefix.to_string(),
                    },
                );
                vec![Action::DeferReply {
                    ticket,
                    delay_ms: self.config.auth_delay_ms,
                }]
            }
        }
    }

    fn accept_name(&mut self, client: &str, prefix: &str) -> Vec<Action> {
        let c = self.client_mut(client);
        c.authorised = true;
        c.handshake_due = true;
        c.epoch += 1;
        let epoch = c.epoch;
        vec![
            Action::Reply(format!("{prefix}OK")),
            Action::HandshakeTimer {
                client: client.to_string(),
                epoch,
                delay_ms: HANDSHAKE_FALLBACK_MS,
            },
        ]
    }

    fn flush_handshake(&mut self, client: &str, now: u64) -> Vec<Action> {
        let Some(c) = self.clients.get_mut(client) else {
            return Vec::new();
        };
        c.handshake_due = false;
        let to = client.to_string();
        let mut actions = vec![
            Action::Notify {
                to: to.clone(),
                text: "CONNSTATUS ONLINE".into(),
            },
            Action::Notify {
                to: to.clone(),
                text: format!("CURRENTUSERHANDLE {}", self.config.user),
            },
            Action::Notify {
                to,
                text: format!("USERSTATUS {}", self.user_status),
            },
        ];
        for (from, body) in std::mem::take(&mut self.inject_on_attach) {
            if let Ok((_, more)) = self.inject_message(&from, &body, now) {
                actions.extend(more);
            }
        }
        actions
    }

    // ----- commands -----------------------------------------------------------------------

    fn gate(&self, client: &str, min: u32) -> bool {
        !self.config.strict || self.protocol_of(client) >= min
    }

    fn dispatch(
        &mut self,
        client: &str,
        keyword: &str,
        args: &str,
        now: u64,
        after: &mut Vec<Action>,
    ) -> Result<String, SkypeError> {
        match keyword {
            "" => Err(SYNTAX),
            "PROTOCOL" => self.cmd_protocol(client, args),
            "PING" => Ok("PONG".into()),
            "GET" => self.cmd_get(client, args),
            "SET" => self.cmd_set(client, args, after),
            "SEARCH" => self.cmd_search(client, args),
            "CHAT" if self.gate(client, 5) => self.cmd_chat(client, args, now),
            "CHATMESSAGE" if self.gate(client, 5) => self.cmd_chatmessage(client, args, now, after),
            "MESSAGE" => self.cmd_message(client, args, now, after),
            _ => Err(UNKNOWN_COMMAND),
        }
    }

    fn cmd_protocol(&mut self, client: &str, args: &str) -> Result<String, SkypeError> {
        let arg = args.trim();
        if arg.is_empty() || !arg.bytes().all(|b| b.is_ascii_digit()) {
            return Err(INVALID_VERSION);
        }
        // Any run of digits is a number; a huge one just means "the highest you have".
        let n: u32 = arg.parse().unwrap_or(u32::MAX);
        if n == 0 {
            return Err(INVALID_VERSION);
        }
        let m = n.min(self.config.protocol_max);
        self.client_mut(client).protocol = m;
        Ok(format!("PROTOCOL {m}"))
    }
}

#[cfg(test)]
mod tests;
