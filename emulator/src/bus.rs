//! The D-Bus glue: one connection, one ordered message loop, one ordered outgoing queue per
//! client. The protocol decisions are all in [`crate::protocol`].

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, mpsc};
use zbus::export::futures_core::Stream;
use zbus::message::{Flags, Type};
use zbus::{Connection, Message, MessageStream};

use crate::objects::{self, CLIENT_IFACE, CLIENT_PATH, Route, SKYPE_NAME};
use crate::protocol::{Action, AuthMode, Emulator};
use crate::transcript::Transcript;

/// Something to send to one client, in order.
enum Outgoing {
    /// A reply (method return or error) to one of its calls; `line` is its transcript text, if
    /// it is the return of an `Invoke`.
    Reply { msg: Message, line: Option<String> },
    /// A `Notify` call.
    Notify(String),
}

struct State {
    emu: Emulator,
    queues: HashMap<String, mpsc::UnboundedSender<Outgoing>>,
}

pub struct Shared {
    conn: Connection,
    state: Mutex<State>,
    transcript: Transcript,
    quit: Notify,
    last_activity: Mutex<Instant>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The next item of a stream, without a futures-util dependency.
async fn next<S: Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    poll_fn(|cx| Pin::new(&mut *s).poll_next(cx)).await
}

fn machine_id() -> String {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|| "0".repeat(32))
}

impl Shared {
    pub fn new(conn: Connection, emu: Emulator, transcript: Transcript) -> Arc<Shared> {
        Arc::new(Shared {
            conn,
            state: Mutex::new(State {
                emu,
                queues: HashMap::new(),
            }),
            transcript,
            quit: Notify::new(),
            last_activity: Mutex::new(Instant::now()),
            tasks: Mutex::new(Vec::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn request_quit(&self) {
        self.quit.notify_one();
    }

    pub async fn quit_requested(&self) {
        self.quit.notified().await;
    }

    pub fn idle_for(&self) -> Duration {
        self.last_activity
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }

    /// The ordered outgoing queue of `client`, created (with its sending task) on first use.
    fn queue(self: &Arc<Self>, st: &mut State, client: &str) -> mpsc::UnboundedSender<Outgoing> {
        if let Some(q) = st.queues.get(client) {
            return q.clone();
        }
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        let shared = Arc::clone(self);
        let name = client.to_string();
        let task = tokio::spawn(async move {
            while let Some(item) = rx.recv().await {
                match item {
                    Outgoing::Reply { msg, line } => {
                        // Recorded before it is sent: the client's next command can only
                        // arrive (and be recorded) after it has this reply.
                        if let Some(l) = line {
                            shared.transcript.record('R', &name, &l);
                        }
                        let _ = shared.conn.send(&msg).await;
                    }
                    Outgoing::Notify(text) => {
                        let built = Message::method_call(CLIENT_PATH, "Notify")
                            .interface(CLIENT_IFACE)
                            .destination(name.as_str())
                            .with_flags(Flags::NO_REPLY_EXPECTED)
                            .build(&(text.as_str(),));
                        match built {
                            Ok(msg) => {
                                shared.transcript.record('N', &name, &text);
                                // Fire and forget: errors (client gone) are ignored.
                                let _ = shared.conn.send(&msg).await;
                            }
                            Err(e) => {
                                eprintln!("skypebus-skype-emulator: cannot build Notify: {e}")
                            }
                        }
                    }
                }
            }
        });
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
        st.queues.insert(client.to_string(), tx.clone());
        tx
    }

    fn push_reply(
        self: &Arc<Self>,
        st: &mut State,
        call: &Message,
        msg: Message,
        line: Option<String>,
    ) {
        let client = call
            .header()
            .sender()
            .map(|s| s.to_string())
            .unwrap_or_default();
        if call
            .primary_header()
            .flags()
            .contains(Flags::NO_REPLY_EXPECTED)
        {
            if let Some(l) = line {
                self.transcript.record('R', &client, &l);
            }
            return;
        }
        let _ = self.queue(st, &client).send(Outgoing::Reply { msg, line });
    }

    fn reply_value<B>(
        self: &Arc<Self>,
        st: &mut State,
        call: &Message,
        body: &B,
        line: Option<String>,
    ) where
        B: serde::Serialize + zbus::DynamicType,
    {
        match Message::method_return(&call.header()).build(body) {
            Ok(msg) => self.push_reply(st, call, msg, line),
            Err(e) => eprintln!("skypebus-skype-emulator: cannot build reply: {e}"),
        }
    }

    fn reply_error(self: &Arc<Self>, st: &mut State, call: &Message, name: &str, text: &str) {
        match Message::error(&call.header(), name).build(&(text,)) {
            Ok(msg) => self.push_reply(st, call, msg, None),
            Err(e) => eprintln!("skypebus-skype-emulator: cannot build error reply: {e}"),
        }
    }

    /// Carry out the protocol's actions in order. `call` is the `Invoke` being answered, if any.
    fn apply(self: &Arc<Self>, st: &mut State, call: Option<&Message>, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Reply(text) => {
                    if let Some(call) = call {
                        self.reply_value(st, call, &(text.as_str(),), Some(text.clone()));
                    }
                }
                Action::DeferReply { ticket, delay_ms } => {
                    let shared = Arc::clone(self);
                    let call = call.cloned();
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                        let mut st = shared.lock();
                        let actions = st.emu.finish_pending_name(ticket);
                        shared.apply(&mut st, call.as_ref(), actions);
                    });
                }
                Action::Notify { to, text } => {
                    let _ = self.queue(st, &to).send(Outgoing::Notify(text));
                }
                Action::HandshakeTimer {
                    client,
                    epoch,
                    delay_ms,
                } => {
                    let shared = Arc::clone(self);
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                        let mut st = shared.lock();
                        let actions = st.emu.handshake_timer(&client, epoch, now());
                        shared.apply(&mut st, None, actions);
                    });
                }
            }
        }
    }

    fn handle_call(self: &Arc<Self>, msg: &Message) {
        *self.last_activity.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        let header = msg.header();
        let path = header.path().map(|p| p.to_string()).unwrap_or_default();
        let iface = header.interface().map(|i| i.to_string());
        let member = header.member().map(|m| m.to_string()).unwrap_or_default();
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        // zbus shows a multi-argument body as a struct; the wire form has no parentheses.
        let signature = header.signature().to_string_no_parens();
        let route = objects::route(&path, iface.as_deref(), &member, &signature);
        let mut st = self.lock();
        match route {
            Route::Error(name, text) => self.reply_error(&mut st, msg, name, &text),
            Route::Ping => self.reply_value(&mut st, msg, &(), None),
            Route::GetMachineId => self.reply_value(&mut st, msg, &(machine_id(),), None),
            Route::Introspect(xml) => self.reply_value(&mut st, msg, &(xml,), None),
            Route::Invoke => match msg.body().deserialize::<String>() {
                Ok(command) => {
                    self.transcript.record('C', &sender, &command);
                    let actions = st.emu.invoke(&sender, &command, now());
                    self.apply(&mut st, Some(msg), actions);
                }
                Err(e) => self.reply_error(
                    &mut st,
                    msg,
                    "org.freedesktop.DBus.Error.InvalidArgs",
                    &e.to_string(),
                ),
            },
            Route::Control(method) => self.handle_control(&mut st, msg, method),
        }
    }

    fn handle_control(self: &Arc<Self>, st: &mut State, msg: &Message, method: &str) {
        const INVALID: &str = "org.freedesktop.DBus.Error.InvalidArgs";
        match method {
            "InjectMessage" => {
                let (from, body): (String, String) = match msg.body().deserialize() {
                    Ok(v) => v,
                    Err(e) => return self.reply_error(st, msg, INVALID, &e.to_string()),
                };
                match st.emu.inject_message(&from, &body, now()) {
                    Ok((id, actions)) => {
                        self.reply_value(st, msg, &(id.to_string(),), None);
                        self.apply(st, None, actions);
                    }
                    Err(e) => self.reply_error(st, msg, INVALID, &e),
                }
            }
            "SignIn" => {
                st.emu.sign_in();
                self.reply_value(st, msg, &(), None);
            }
            "SetAuthMode" => {
                let mode: String = msg.body().deserialize().unwrap_or_default();
                match AuthMode::parse(&mode) {
                    Some(m) => {
                        st.emu.set_auth_mode(m);
                        self.reply_value(st, msg, &(), None);
                    }
                    None => self.reply_error(
                        st,
                        msg,
                        INVALID,
                        &format!("unknown auth mode {mode:?} (accept, refuse, offline, pending)"),
                    ),
                }
            }
            "SetAuthDelayMs" => {
                let ms: u64 = msg.body().deserialize().unwrap_or_default();
                st.emu.set_auth_delay_ms(ms);
                self.reply_value(st, msg, &(), None);
            }
            "Clients" => {
                let clients = st.emu.authorised_client_names();
                self.reply_value(st, msg, &(clients,), None);
            }
            "Transcript" => {
                let lines = self.transcript.lines();
                self.reply_value(st, msg, &(lines,), None);
            }
            "Quit" => {
                self.reply_value(st, msg, &(), None);
                self.request_quit();
            }
            other => self.reply_error(
                st,
                msg,
                "org.freedesktop.DBus.Error.UnknownMethod",
                &format!("No such method '{other}'"),
            ),
        }
    }

    fn handle_signal(self: &Arc<Self>, msg: &Message) {
        let header = msg.header();
        let is_noc = header
            .interface()
            .is_some_and(|i| i == "org.freedesktop.DBus")
            && header.member().is_some_and(|m| m == "NameOwnerChanged");
        if !is_noc {
            return;
        }
        let Ok((name, _old, new)) = msg.body().deserialize::<(String, String, String)>() else {
            return;
        };
        if name.starts_with(':') && new.is_empty() {
            let mut st = self.lock();
            st.emu.forget_client(&name);
            // Dropping the sender ends the client's queue task once it has drained.
            st.queues.remove(&name);
        }
    }

    /// Wait until every client queue has been sent (bounded by `limit`).
    pub async fn drain(&self, limit: Duration) {
        self.lock().queues.clear();
        let tasks: Vec<_> =
            std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = tokio::time::timeout(limit, async {
            for t in tasks {
                let _ = t.await;
            }
        })
        .await;
    }
}

/// Subscribe to `NameOwnerChanged` so departed clients are forgotten.
pub async fn watch_name_owners(conn: &Connection) -> zbus::Result<()> {
    conn.call_method(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        Some("org.freedesktop.DBus"),
        "AddMatch",
        &(
            "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',\
           member='NameOwnerChanged',path='/org/freedesktop/DBus'",
        ),
    )
    .await?;
    Ok(())
}

/// Who owns `name` now, if anyone.
pub async fn name_owner(conn: &Connection, name: &str) -> Option<String> {
    let reply = conn
        .call_method(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            Some("org.freedesktop.DBus"),
            "GetNameOwner",
            &(name,),
        )
        .await
        .ok()?;
    reply.body().deserialize::<String>().ok()
}

/// The message loop: runs until the stream ends (bus gone: returns `false`) or a quit is
/// requested (returns `true`).
pub async fn serve(shared: Arc<Shared>, mut stream: MessageStream) -> bool {
    loop {
        tokio::select! {
            item = next(&mut stream) => match item {
                Some(Ok(msg)) => match msg.message_type() {
                    Type::MethodCall => shared.handle_call(&msg),
                    Type::Signal => shared.handle_signal(&msg),
                    _ => {}
                },
                Some(Err(e)) => eprintln!("skypebus-skype-emulator: bad message: {e}"),
                None => {
                    return false;
                }
            },
            _ = shared.quit_requested() => return true,
        }
    }
}

/// The well-known name, for messages.
pub const NAME: &str = SKYPE_NAME;
