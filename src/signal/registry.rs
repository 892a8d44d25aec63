//! The subscriptions of one connection and the dispatcher's matching. Pure functions over the
//! registry (and the owner table they read): `crate::hub` keeps the registry behind its lock,
//! adds and removes the bus' match rules, and applies the [`Action`]s returned here.

use zbus::Message;

use super::rule::{MatchRule, SignalHeader, string_args};
use crate::action::Action;
use crate::driver::Table;
use crate::error::{Error, Result};
use crate::event::Event;
use crate::json::DecodeOptions;

/// A subscription.
#[derive(Debug)]
struct Subscription {
    id: u64,
    rule: MatchRule,
    opts: DecodeOptions,
}

/// What removing a subscription leaves for the bus.
#[derive(Debug, PartialEq, Eq)]
pub struct Removed {
    /// The subscription's rule in the bus' text form (for `RemoveMatch`).
    pub bus_rule: String,
    /// The well-known sender it named (its owner tracking loses a reference).
    pub sender: Option<String>,
}

/// The subscriptions of one connection.
#[derive(Debug, Default)]
pub struct Registry {
    subs: Vec<Subscription>,
    next_id: u64,
}

impl Registry {
    /// How many subscriptions exist.
    pub fn subscription_count(&self) -> usize {
        self.subs.len()
    }

    /// Adds a subscription; returns its id (1, 2, ...). Matching starts at once.
    pub fn add(&mut self, rule: MatchRule, opts: DecodeOptions) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.subs.push(Subscription { id, rule, opts });
        id
    }

    /// Removes subscription `id`.
    pub fn remove(&mut self, id: u64) -> Result<Removed> {
        let pos = self.subs.iter().position(|s| s.id == id).ok_or_else(|| {
            Error::invalid_request(format!(
                "no subscription {id} on this connection (never made, or already removed)"
            ))
        })?;
        let sub = self.subs.remove(pos);
        Ok(Removed {
            bus_rule: sub.rule.to_bus_rule(),
            sender: sub.rule.tracked_sender().map(str::to_owned),
        })
    }

    /// Matches an incoming signal against every subscription (well-known senders through
    /// `owners`): the event to queue, once for all matching subscriptions (with the value
    /// options of the oldest one), if any matched.
    pub fn on_signal(&self, owners: &Table, msg: &Message) -> Option<Action> {
        if self.subs.is_empty() {
            return None;
        }
        let header = msg.header();
        let h = SignalHeader {
            sender: header.sender().map(|s| s.as_str()),
            path: header.path().map(|s| s.as_str()),
            interface: header.interface().map(|s| s.as_str()),
            member: header.member().map(|s| s.as_str()),
            destination: header.destination().map(|s| s.as_str()),
        };
        let mut ids = Vec::new();
        let mut opts = None;
        let mut args: Option<Vec<Option<(char, String)>>> = None;
        for sub in &self.subs {
            if !sub.rule.matches_header(&h, owners) {
                continue;
            }
            if !sub.rule.args.is_empty() {
                let a = args.get_or_insert_with(|| string_args(msg));
                if !sub.rule.matches_args(a) {
                    continue;
                }
            }
            ids.push(sub.id);
            opts.get_or_insert(sub.opts);
        }
        (!ids.is_empty()).then(|| {
            Action::Queue(Event::Signal {
                msg: msg.clone(),
                subscriptions: ids,
                opts: opts.unwrap_or_default(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signal as received: with the sender the bus fills in.
    fn signal(sender: &str, member: &str, arg0: &str) -> Message {
        Message::signal("/org/example/Obj", "org.example.If", member)
            .sender(sender)
            .build(&(arg0,))
            .unwrap()
    }

    fn rule(json: &str) -> (MatchRule, DecodeOptions) {
        MatchRule::parse(json).unwrap()
    }

    fn ids(action: Option<Action>) -> Vec<u64> {
        match action {
            Some(Action::Queue(Event::Signal { subscriptions, .. })) => subscriptions,
            None => Vec::new(),
            Some(other) => panic!("unexpected action {other:?}"),
        }
    }

    #[test]
    fn a_signal_is_queued_once_for_every_matching_subscription() {
        let mut reg = Registry::default();
        let owners = Table::default();
        let (r, o) = rule(r#"{"member": "Changed"}"#);
        let a = reg.add(r, o);
        let (r, o) = rule(r#"{"interface": "org.example.If", "arg0": "x"}"#);
        let b = reg.add(r, o);
        let (r, o) = rule(r#"{"member": "Other"}"#);
        reg.add(r, o);
        assert_eq!(
            ids(reg.on_signal(&owners, &signal(":1.5", "Changed", "x"))),
            [a, b]
        );
        assert_eq!(
            ids(reg.on_signal(&owners, &signal(":1.5", "Changed", "y"))),
            [a]
        );
        assert_eq!(
            ids(reg.on_signal(&owners, &signal(":1.5", "Gone", "y"))),
            Vec::<u64>::new()
        );
    }

    #[test]
    fn a_well_known_sender_matches_its_current_owner_only() {
        let mut reg = Registry::default();
        let (r, o) = rule(r#"{"sender": "org.example.Svc"}"#);
        let id = reg.add(r, o);
        let mut owners = Table::default();
        assert!(reg.on_signal(&owners, &signal(":1.7", "M", "x")).is_none());
        owners.set_owner("org.example.Svc", Some(":1.7"));
        assert_eq!(ids(reg.on_signal(&owners, &signal(":1.7", "M", "x"))), [id]);
        assert!(reg.on_signal(&owners, &signal(":1.8", "M", "x")).is_none());
    }

    #[test]
    fn removing_gives_the_bus_rule_and_the_tracked_sender() {
        let mut reg = Registry::default();
        let (r, o) = rule(r#"{"sender": "org.example.Svc", "member": "M"}"#);
        let id = reg.add(r, o);
        let removed = reg.remove(id).unwrap();
        assert_eq!(
            removed,
            Removed {
                bus_rule: "type='signal',sender='org.example.Svc',member='M'".into(),
                sender: Some("org.example.Svc".into()),
            }
        );
        assert_eq!(reg.subscription_count(), 0);
        let e = reg.remove(id).unwrap_err();
        assert_eq!(e.kind, crate::error::Kind::InvalidRequest);
        let owners = Table::default();
        assert!(reg.on_signal(&owners, &signal(":1.5", "M", "x")).is_none());
    }
}
