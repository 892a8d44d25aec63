//! The Skype desktop API as a pure state machine: command parsing, per-client state, objects
//! (chats, chat members, chat messages), replies, notifications and error codes.
//!
//! Nothing here touches D-Bus, clocks or timers. Every entry point takes the caller's unique bus
//! name (the key of the per-connection authorisation) and, where it matters, the current Unix time,
//! and returns an ordered list of [`Action`]s that the D-Bus glue carries out in that order: the
//! reply to the caller's `Invoke`, `Notify` calls to clients, and timers to start.
//!
//! The authority for the behaviour is `SKYPE-API.md`; the points it leaves open and how they are
//! decided here are listed in `docs/skype-emulator.md`.

use std::collections::{BTreeMap, HashMap};

/// How long the emulator waits after an accepted `NAME` for a `PROTOCOL` command before it sends
/// the attach notifications on its own (SKYPE-API.md 2.4 recommends ~100 ms).
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

/// The error codes the emulator emits (SKYPE-API.md section 4, plus `3`).
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

/// The `USERSTATUS` values (SKYPE-API.md 3). The last two cannot be set.
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

/// Split off the first word: the text up to the first space, and everything after that ONE space
/// (verbatim). Without a space, the rest is empty.
fn split_word(s: &str) -> (&str, &str) {
    match s.find(' ') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// Split off the `#<digits>` command-id prefix: `("#3 ", "GET USERSTATUS")`.
pub fn split_prefix(command: &str) -> (&str, &str) {
    if let Some(rest) = command.strip_prefix('#') {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let after = &rest[digits..];
            if after.is_empty() {
                return (command, "");
            }
            if let Some(body) = after.strip_prefix(' ') {
                return (&command[..digits + 2], body);
            }
        }
    }
    ("", command)
}

/// Whether `h` looks like a Skype handle (letters, digits and `. _ - : + @`; no spaces or commas).
pub fn valid_handle(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 128
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-:+@".contains(&b))
}

/// FNV-1a, 64 bits: stable across runs and platforms.
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// The id of the dialog between `me` and `partner`.
pub fn dialog_id(me: &str, partner: &str) -> String {
    format!("#{me}/${partner};{:016x}", fnv1a(&["dialog", me, partner]))
}

/// The id of the multichat of `me` with `others` (sorted, without `me`).
pub fn multichat_id(me: &str, others: &[String]) -> String {
    let mut parts: Vec<&str> = vec!["multichat", me];
    parts.extend(others.iter().map(String::as_str));
    format!("#{me}/${:016x}", fnv1a(&parts))
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

    fn cmd_get(&mut self, client: &str, args: &str) -> Result<String, SkypeError> {
        let (what, rest) = split_word(args);
        match what.to_ascii_uppercase().as_str() {
            "CURRENTUSERHANDLE" => Ok(format!("CURRENTUSERHANDLE {}", self.config.user)),
            "USERSTATUS" => Ok(format!("USERSTATUS {}", self.user_status)),
            "CONNSTATUS" => Ok("CONNSTATUS ONLINE".into()),
            "SKYPEVERSION" => Ok(format!("SKYPEVERSION {SKYPE_VERSION}")),
            "USER" => self.get_user(rest),
            "CHAT" if self.gate(client, 3) => self.get_chat(rest),
            "CHATMESSAGE" if self.gate(client, 3) => self.get_message(rest, "CHATMESSAGE"),
            "CHATMEMBER" if self.gate(client, 7) => self.get_chatmember(rest),
            "MESSAGE" => self.get_message(rest, "MESSAGE"),
            _ => Err(GET_INVALID_WHAT),
        }
    }

    fn get_user(&self, args: &str) -> Result<String, SkypeError> {
        let (handle, prop) = split_word(args);
        if !valid_handle(handle) {
            return Err(GET_INVALID_USER);
        }
        let handle = handle.to_ascii_lowercase();
        let Some(fullname) = self.fullname_of(&handle) else {
            return Err(UNKNOWN_USER);
        };
        let is_me = handle == self.config.user;
        let is_friend = self.config.contacts.iter().any(|c| c.handle == handle);
        let prop_uc = prop.trim_end().to_ascii_uppercase();
        let value = match prop_uc.as_str() {
            "HANDLE" => handle.clone(),
            "FULLNAME" => fullname,
            "DISPLAYNAME" | "MOOD_TEXT" | "ABOUT" | "LANGUAGE" | "COUNTRY" | "CITY" => {
                String::new()
            }
            "ONLINESTATUS" if is_me => self.user_status.clone(),
            "ONLINESTATUS" if is_friend => "ONLINE".into(),
            "ONLINESTATUS" => "UNKNOWN".into(),
            // 3: added to the contact list; 1: never been in it.
            "BUDDYSTATUS" => if is_friend { "3" } else { "1" }.into(),
            "ISAUTHORIZED" => if is_friend || is_me { "TRUE" } else { "FALSE" }.into(),
            "ISBLOCKED" => "FALSE".into(),
            _ => return Err(INVALID_PROP),
        };
        Ok(format!("USER {handle} {prop_uc} {value}"))
    }

    fn get_chat(&self, args: &str) -> Result<String, SkypeError> {
        let (id, prop) = split_word(args);
        if id.is_empty() || !id.starts_with('#') {
            return Err(INVALID_CHAT_NAME);
        }
        let Some(chat) = self.chats.get(id) else {
            return Err(NO_CHAT_FOUND);
        };
        let me = &self.config.user;
        let prop_uc = prop.trim_end().to_ascii_uppercase();
        let members = || {
            std::iter::once(me.clone())
                .chain(chat.others.iter().cloned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let value = match prop_uc.as_str() {
            "NAME" => id.to_string(),
            "STATUS" => if chat.partner.is_some() {
                "DIALOG"
            } else {
                "MULTI_SUBSCRIBED"
            }
            .into(),
            "TYPE" => if chat.partner.is_some() {
                "DIALOG"
            } else {
                "MULTICHAT"
            }
            .into(),
            "MEMBERS" | "ACTIVEMEMBERS" => members(),
            "POSTERS" => {
                let mut posters: Vec<String> = Vec::new();
                for m in &chat.messages {
                    let from = &self.messages[m].from;
                    if !posters.contains(from) {
                        posters.push(from.clone());
                    }
                }
                posters.join(" ")
            }
            "FRIENDLYNAME" => chat
                .others
                .iter()
                .map(|h| self.fullname_of(h).unwrap_or_else(|| h.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            "DIALOG_PARTNER" => chat.partner.clone().unwrap_or_default(),
            "ADDER" => String::new(),
            "TIMESTAMP" => chat.timestamp.to_string(),
            "ACTIVITY_TIMESTAMP" => chat.activity.to_string(),
            "TOPIC" => chat.topic.clone(),
            "MYSTATUS" => "SUBSCRIBED".into(),
            "MYROLE" => chat.member_objects[0].2.into(),
            "CHATMESSAGES" | "RECENTCHATMESSAGES" => join_ids(chat.messages.iter().copied()),
            "MEMBEROBJECTS" => join_ids(chat.member_objects.iter().map(|m| m.0)),
            _ => return Err(CHAT_INVALID_PROP),
        };
        Ok(format!("CHAT {id} {prop_uc} {value}"))
    }

    fn get_chatmember(&self, args: &str) -> Result<String, SkypeError> {
        let (id, prop) = split_word(args);
        let id: u64 = id.parse().map_err(|_| INVALID_MESSAGE_ID)?;
        let found = self.chats.iter().find_map(|(name, chat)| {
            chat.member_objects
                .iter()
                .find(|m| m.0 == id)
                .map(|m| (name.clone(), m.1.clone(), m.2))
        });
        let Some((chatname, handle, role)) = found else {
            return Err(UNKNOWN_MESSAGE_ID);
        };
        let prop_uc = prop.trim_end().to_ascii_uppercase();
        let value = match prop_uc.as_str() {
            "CHATNAME" => chatname,
            "IDENTITY" => handle,
            "ROLE" => role.into(),
            "IS_ACTIVE" => "TRUE".into(),
            _ => return Err(INVALID_PROP),
        };
        Ok(format!("CHATMEMBER {id} {prop_uc} {value}"))
    }

    /// `GET CHATMESSAGE <id> <PROP>` and the legacy `GET MESSAGE <id> <PROP>`.
    fn get_message(&self, args: &str, object: &str) -> Result<String, SkypeError> {
        let (id_text, prop) = split_word(args);
        let id: u64 = id_text.parse().map_err(|_| INVALID_MESSAGE_ID)?;
        let Some(m) = self.messages.get(&id) else {
            return Err(UNKNOWN_MESSAGE_ID);
        };
        let prop_uc = prop.trim_end().to_ascii_uppercase();
        let outgoing = m.from == self.config.user;
        let partner = self
            .chats
            .get(&m.chat)
            .and_then(|c| c.partner.clone())
            .unwrap_or_default();
        let value = match (object, prop_uc.as_str()) {
            (_, "BODY") => m.body.clone(),
            (_, "STATUS") => m.status.as_str().into(),
            (_, "TIMESTAMP") => m.timestamp.to_string(),
            ("CHATMESSAGE", "FROM_HANDLE") => m.from.clone(),
            ("CHATMESSAGE", "FROM_DISPNAME") => self.fullname_of(&m.from).unwrap_or_default(),
            ("CHATMESSAGE", "TYPE") => "SAID".into(),
            ("CHATMESSAGE", "CHATNAME") => m.chat.clone(),
            ("CHATMESSAGE", "LEAVEREASON" | "EDITED_BY") => String::new(),
            ("CHATMESSAGE", "EDITED_TIMESTAMP") => "0".into(),
            ("CHATMESSAGE", "IS_EDITABLE") => if outgoing { "TRUE" } else { "FALSE" }.into(),
            ("MESSAGE", "PARTNER_HANDLE") => {
                if outgoing {
                    partner
                } else {
                    m.from.clone()
                }
            }
            ("MESSAGE", "PARTNER_DISPNAME") => {
                let h = if outgoing { partner } else { m.from.clone() };
                self.fullname_of(&h).unwrap_or_default()
            }
            ("MESSAGE", "TYPE") => "TEXT".into(),
            ("MESSAGE", "FAILUREREASON") => "0".into(),
            _ => return Err(INVALID_PROP),
        };
        Ok(format!("{object} {id} {prop_uc} {value}"))
    }

    fn cmd_set(
        &mut self,
        client: &str,
        args: &str,
        after: &mut Vec<Action>,
    ) -> Result<String, SkypeError> {
        let (what, rest) = split_word(args);
        match what.to_ascii_uppercase().as_str() {
            "USERSTATUS" => {
                let status = rest.trim().to_ascii_uppercase();
                let known = SETTABLE_USERSTATUS.contains(&status.as_str());
                if !known || (status == "SKYPEME" && !self.gate(client, 2)) {
                    return Err(UNKNOWN_USERSTATUS);
                }
                self.user_status = status.clone();
                for to in self.authorised_clients() {
                    after.push(Action::Notify {
                        to,
                        text: format!("USERSTATUS {status}"),
                    });
                }
                Ok(format!("USERSTATUS {status}"))
            }
            "CHATMESSAGE" if self.gate(client, 3) => {
                self.set_seen(client, rest, "CHATMESSAGE", after)
            }
            "MESSAGE" => self.set_seen(client, rest, "MESSAGE", after),
            _ => Err(SET_INVALID_WHAT),
        }
    }

    /// `SET CHATMESSAGE <id> SEEN` (and legacy `SET MESSAGE <id> SEEN`): a received message
    /// becomes READ; the other attached clients are told.
    fn set_seen(
        &mut self,
        client: &str,
        args: &str,
        object: &str,
        after: &mut Vec<Action>,
    ) -> Result<String, SkypeError> {
        let (id_text, prop) = split_word(args);
        let id: u64 = id_text.parse().map_err(|_| INVALID_MESSAGE_ID)?;
        let Some(m) = self.messages.get_mut(&id) else {
            return Err(UNKNOWN_MESSAGE_ID);
        };
        if !prop.trim_end().eq_ignore_ascii_case("SEEN") {
            return Err(INVALID_PROP);
        }
        if m.status == MsgStatus::Received {
            m.status = MsgStatus::Read;
            let others: Vec<Action> = self
                .message_event(id, None)
                .into_iter()
                .filter(|a| !matches!(a, Action::Notify { to, .. } if to == client))
                .filter(|a| !matches!(a, Action::Notify { text, .. } if text.starts_with("CHAT ")))
                .collect();
            after.extend(others);
        }
        let status = self.messages[&id].status.as_str();
        Ok(format!("{object} {id} STATUS {status}"))
    }

    fn cmd_search(&self, client: &str, args: &str) -> Result<String, SkypeError> {
        let (what, target) = split_word(args);
        let target = target.trim();
        match what.to_ascii_uppercase().as_str() {
            "FRIENDS" => {
                if !target.is_empty() {
                    return Err(SEARCH_FRIENDS_TARGET);
                }
                let list: Vec<&str> = self
                    .config
                    .contacts
                    .iter()
                    .map(|c| c.handle.as_str())
                    .collect();
                Ok(format!("USERS {}", list.join(", ")))
            }
            "CHATS" | "ACTIVECHATS" | "RECENTCHATS" if self.gate(client, 3) => {
                Ok(format!("CHATS {}", self.chat_order.join(", ")))
            }
            "MISSEDCHATMESSAGES" if self.gate(client, 3) => {
                let ids = self
                    .messages
                    .iter()
                    .filter(|(_, m)| m.status == MsgStatus::Received)
                    .map(|(id, _)| *id);
                Ok(format!("CHATMESSAGES {}", join_ids(ids)))
            }
            _ => Err(SEARCH_UNKNOWN_WHAT),
        }
    }

    fn cmd_chat(&mut self, client: &str, args: &str, now: u64) -> Result<String, SkypeError> {
        let (sub, rest) = split_word(args);
        if !sub.eq_ignore_ascii_case("CREATE") {
            return Err(UNKNOWN_COMMAND);
        }
        let me = self.config.user.clone();
        let mut others: Vec<String> = Vec::new();
        if !rest.trim().is_empty() {
            for h in rest.split(',') {
                let h = h.trim().to_ascii_lowercase();
                if !valid_handle(&h) || h == me {
                    return Err(CHAT_CREATE_BAD_HANDLE);
                }
                if !others.contains(&h) {
                    others.push(h);
                }
            }
        }
        others.sort();
        let id = match others.len() {
            0 => {
                if self.protocol_of(client) < 7 {
                    return Err(CHAT_CREATE_BAD_HANDLE);
                }
                // A blank multichat is new every time; its id is still deterministic.
                self.empty_multichats += 1;
                let n = self.empty_multichats.to_string();
                let id = format!("#{me}/${:016x}", fnv1a(&["blank", &me, &n]));
                self.add_chat(&id, None, Vec::new(), now);
                id
            }
            1 => {
                let partner = others.remove(0);
                self.remember_user(&partner);
                self.ensure_dialog(&partner, now)
            }
            _ => {
                let id = multichat_id(&me, &others);
                if !self.chats.contains_key(&id) {
                    for h in &others {
                        self.remember_user(h);
                    }
                    self.add_chat(&id, None, others, now);
                }
                id
            }
        };
        let status = if self.chats[&id].partner.is_some() {
            "DIALOG"
        } else {
            "MULTI_SUBSCRIBED"
        };
        Ok(format!("CHAT {id} STATUS {status}"))
    }

    fn add_chat(&mut self, id: &str, partner: Option<String>, others: Vec<String>, now: u64) {
        let me = self.config.user.clone();
        let my_role = if partner.is_some() { "USER" } else { "CREATOR" };
        let mut member_objects = vec![(self.alloc_id(), me, my_role)];
        for h in &others {
            member_objects.push((self.alloc_id(), h.clone(), "USER"));
        }
        self.chats.insert(
            id.to_string(),
            Chat {
                partner,
                others,
                member_objects,
                timestamp: now,
                activity: now,
                messages: Vec::new(),
                topic: String::new(),
            },
        );
        self.chat_order.push(id.to_string());
    }

    fn ensure_dialog(&mut self, partner: &str, now: u64) -> String {
        let id = dialog_id(&self.config.user, partner);
        if !self.chats.contains_key(&id) {
            self.add_chat(
                &id,
                Some(partner.to_string()),
                vec![partner.to_string()],
                now,
            );
        }
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn store_message(
        &mut self,
        id: u64,
        chat: &str,
        from: &str,
        body: &str,
        status: MsgStatus,
        now: u64,
        origin: Origin,
    ) {
        self.messages.insert(
            id,
            ChatMessage {
                chat: chat.to_string(),
                from: from.to_string(),
                body: body.to_string(),
                status,
                timestamp: now,
                origin,
            },
        );
        if let Some(c) = self.chats.get_mut(chat) {
            c.messages.push(id);
            c.activity = now;
        }
    }

    /// Whether `recipient` sees message `id` as a legacy MESSAGE object.
    fn legacy_view(&self, recipient: &str, id: u64) -> bool {
        self.messages[&id].origin != Origin::ChatCommand && self.protocol_of(recipient) < 3
    }

    /// Notifications of message `id`'s current status to every attached client (the sender
    /// first, if given): `CHAT <chat> ACTIVITY_TIMESTAMP <ts>` then `CHATMESSAGE <id> STATUS <s>`,
    /// or just `MESSAGE <id> STATUS <s>` for a client that sees it as a legacy message.
    fn message_event(&self, id: u64, sender: Option<&str>) -> Vec<Action> {
        let m = &self.messages[&id];
        let mut recipients = self.authorised_clients();
        if let Some(s) = sender {
            recipients.retain(|c| c != s);
            recipients.insert(0, s.to_string());
        }
        let mut actions = Vec::new();
        for to in recipients {
            if self.legacy_view(&to, id) {
                actions.push(Action::Notify {
                    to,
                    text: format!("MESSAGE {id} STATUS {}", m.status.as_str()),
                });
            } else {
                let activity = self.chats.get(&m.chat).map_or(m.timestamp, |c| c.activity);
                actions.push(Action::Notify {
                    to: to.clone(),
                    text: format!("CHAT {} ACTIVITY_TIMESTAMP {activity}", m.chat),
                });
                actions.push(Action::Notify {
                    to,
                    text: format!("CHATMESSAGE {id} STATUS {}", m.status.as_str()),
                });
            }
        }
        actions
    }

    fn cmd_chatmessage(
        &mut self,
        client: &str,
        args: &str,
        now: u64,
        after: &mut Vec<Action>,
    ) -> Result<String, SkypeError> {
        let (chat, text) = split_word(args);
        if chat.is_empty() {
            return Err(UNKNOWN_CHAT);
        }
        if text.is_empty() {
            return Err(EMPTY_MESSAGE);
        }
        if !self.chats.contains_key(chat) {
            return Err(UNKNOWN_CHAT);
        }
        let chat = chat.to_string();
        let id = self.alloc_id();
        let me = self.config.user.clone();
        self.store_message(
            id,
            &chat,
            &me,
            text,
            MsgStatus::Sent,
            now,
            Origin::ChatCommand,
        );
        after.extend(self.message_event(id, Some(client)));
        Ok(format!("CHATMESSAGE {id} STATUS SENDING"))
    }

    fn cmd_message(
        &mut self,
        client: &str,
        args: &str,
        now: u64,
        after: &mut Vec<Action>,
    ) -> Result<String, SkypeError> {
        let (handle, text) = split_word(args);
        let handle = handle.to_ascii_lowercase();
        if !valid_handle(&handle) || handle == self.config.user {
            return Err(MESSAGE_INVALID_USER);
        }
        if text.is_empty() {
            return Err(EMPTY_MESSAGE);
        }
        self.remember_user(&handle);
        let chat = self.ensure_dialog(&handle, now);
        let id = self.alloc_id();
        let me = self.config.user.clone();
        self.store_message(
            id,
            &chat,
            &me,
            text,
            MsgStatus::Sent,
            now,
            Origin::MessageCommand,
        );
        after.extend(self.message_event(id, Some(client)));
        let object = if self.legacy_view(client, id) {
            "MESSAGE"
        } else {
            "CHATMESSAGE"
        };
        Ok(format!("{object} {id} STATUS SENDING"))
    }
}

fn join_ids(ids: impl Iterator<Item = u64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
