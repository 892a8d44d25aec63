//! Chats and messages: `CHAT CREATE`, storing messages, the notifications about them, and
//! sending with `CHATMESSAGE` (protocol 5) and `MESSAGE` (protocol 1-4).

use super::errors::*;
use super::*;

impl Emulator {
    pub(super) fn cmd_chat(
        &mut self,
        client: &str,
        args: &str,
        now: u64,
    ) -> Result<String, SkypeError> {
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

    pub(super) fn ensure_dialog(&mut self, partner: &str, now: u64) -> String {
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
    pub(super) fn store_message(
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
    pub(super) fn message_event(&self, id: u64, sender: Option<&str>) -> Vec<Action> {
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

    /// Stores a message the user sends to `chat` (it is SENT at once) and queues its
    /// notifications into `after`; its id.
    fn send_own(
        &mut self,
        client: &str,
        chat: &str,
        text: &str,
        now: u64,
        origin: Origin,
        after: &mut Vec<Action>,
    ) -> u64 {
        let id = self.alloc_id();
        let me = self.config.user.clone();
        self.store_message(id, chat, &me, text, MsgStatus::Sent, now, origin);
        after.extend(self.message_event(id, Some(client)));
        id
    }

    pub(super) fn cmd_chatmessage(
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
        let id = self.send_own(client, &chat, text, now, Origin::ChatCommand, after);
        Ok(format!("CHATMESSAGE {id} STATUS SENDING"))
    }

    pub(super) fn cmd_message(
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
        let id = self.send_own(client, &chat, text, now, Origin::MessageCommand, after);
        let object = if self.legacy_view(client, id) {
            "MESSAGE"
        } else {
            "CHATMESSAGE"
        };
        Ok(format!("{object} {id} STATUS SENDING"))
    }
}
