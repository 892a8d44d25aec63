//! The property commands: `GET` (user, chat, chat member and message properties), `SET` (user
//! status, `SEEN` on messages) and `SEARCH` (friends, chats, chat messages).

use super::errors::*;
use super::*;

impl Emulator {
    pub(super) fn cmd_get(&mut self, client: &str, args: &str) -> Result<String, SkypeError> {
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

    pub(super) fn cmd_set(
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

    pub(super) fn cmd_search(&self, client: &str, args: &str) -> Result<String, SkypeError> {
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
}

fn join_ids(ids: impl Iterator<Item = u64>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
