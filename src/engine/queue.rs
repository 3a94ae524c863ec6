//! The inbound queue: one queue per sender, served in turn, each bounded.
//!
//! A sender pipelining thousands of stanzas fills its own queue only; everyone else's stanzas
//! keep their turn, so one flooder cannot slow the rest of the service. A sender's own stanzas
//! keep their order. Rounds are taken here too: a round holds at most one stanza per sender and
//! per room, so that no system has to see the deferred effects of another stanza to the same room.

use std::collections::{HashMap, HashSet, VecDeque};

use bevy_ecs::prelude::Resource;

use crate::stanza::Inbound;

/// Leaves (unavailable presences to a room) that are queued, by (room, leaver): what the room
/// sends to a leaver after it asked to leave is never read, and a thousand sessions closing at
/// once must not each be told of the other 999 leaving.
#[derive(Resource, Debug, Default)]
pub struct PendingLeaves(pub HashMap<(String, String), u32>);

impl PendingLeaves {
    pub fn contains(&self, room: &str, occupant: &str) -> bool {
        !self.0.is_empty() && self.0.contains_key(&(room.to_owned(), occupant.to_owned()))
    }
}

/// The room (bare JID, as text) and sender of a leave, when `inbound` is one.
fn leave_key(inbound: &Inbound) -> Option<(String, String)> {
    let Inbound::Stanza(stanza) = inbound else {
        return None;
    };
    let xmpp_parsers::stanza::Stanza::Presence(p) = stanza.as_ref() else {
        return None;
    };
    if p.type_ != xmpp_parsers::presence::Type::Unavailable {
        return None;
    }
    let to = p.to.as_ref()?;
    to.node()?;
    Some((to.to_bare().to_string(), p.from.as_ref()?.to_string()))
}

/// Where a stanza goes, for the one-per-room rule: its `to` without the resource.
fn room_key(inbound: &Inbound) -> Option<String> {
    let (_, to) = inbound.addresses();
    to.map(|t| match t.split_once('/') {
        Some((bare, _)) => bare.to_owned(),
        None => t,
    })
}

#[derive(Default)]
pub struct InboundQueue {
    queues: HashMap<String, VecDeque<Inbound>>,
    /// Senders with something queued, in the order they are served.
    ring: VecDeque<String>,
    len: usize,
}

impl InboundQueue {
    /// Queued stanzas of `sender`.
    pub fn queued_from(&self, sender: &str) -> usize {
        self.queues.get(sender).map_or(0, VecDeque::len)
    }

    pub fn push(&mut self, sender: String, inbound: Inbound, leaves: &mut PendingLeaves) {
        if let Some(key) = leave_key(&inbound) {
            *leaves.0.entry(key).or_default() += 1;
        }
        let queue = self.queues.entry(sender.clone()).or_default();
        if queue.is_empty() {
            self.ring.push_back(sender);
        }
        queue.push_back(inbound);
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Up to `budget` stanzas, at most one per sender and per room, senders in turn.
    pub fn take_round(&mut self, budget: usize, leaves: &mut PendingLeaves) -> Vec<Inbound> {
        let mut round = Vec::new();
        let mut rooms = HashSet::new();
        // Senders passed over because their room was taken keep their place ahead of those
        // served; the served go to the back.
        let mut skipped = Vec::new();
        let mut served = Vec::new();
        while round.len() < budget {
            let Some(sender) = self.ring.pop_front() else {
                break;
            };
            let Some(queue) = self.queues.get_mut(&sender) else {
                continue;
            };
            let room = queue.front().and_then(room_key);
            if room.as_ref().is_some_and(|r| rooms.contains(r)) {
                skipped.push(sender);
                continue;
            }
            if let Some(inbound) = queue.pop_front() {
                if let Some(key) = leave_key(&inbound)
                    && let Some(n) = leaves.0.get_mut(&key)
                {
                    *n -= 1;
                    if *n == 0 {
                        leaves.0.remove(&key);
                    }
                }
                self.len -= 1;
                round.push(inbound);
            }
            rooms.extend(room);
            if queue.is_empty() {
                self.queues.remove(&sender);
            } else {
                served.push(sender);
            }
        }
        for sender in skipped.into_iter().rev() {
            self.ring.push_front(sender);
        }
        self.ring.extend(served);
        if self.len == 0 {
            // After a burst the maps would keep their capacity.
            self.queues = HashMap::new();
            self.ring = VecDeque::new();
        }
        round
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(from: &str, to: &str, id: &str) -> Inbound {
        Inbound::from_xml(&format!(
            "<message xmlns='jabber:component:accept' from='{from}' to='{to}' id='{id}' type='groupchat'/>"
        ))
        .expect("xml")
    }

    fn ids(round: &[Inbound]) -> Vec<String> {
        round
            .iter()
            .map(|i| match i {
                Inbound::Stanza(s) => match s.as_ref() {
                    xmpp_parsers::stanza::Stanza::Message(m) => {
                        m.id.as_ref().map(|i| i.0.clone()).unwrap_or_default()
                    }
                    _ => String::new(),
                },
                Inbound::Invalid(_) => String::new(),
            })
            .collect()
    }

    #[test]
    fn senders_take_turns_and_rooms_appear_once_per_round() {
        let mut q = InboundQueue::default();
        let mut leaves = PendingLeaves::default();
        for n in 0..3 {
            q.push(
                "flood@x/r".into(),
                msg("flood@x/r", "a@muc", &format!("f{n}")),
                &mut leaves,
            );
        }
        q.push(
            "calm@x/r".into(),
            msg("calm@x/r", "b@muc", "c0"),
            &mut leaves,
        );
        q.push(
            "third@x/r".into(),
            msg("third@x/r", "a@muc", "t0"),
            &mut leaves,
        );
        // The calm sender is served in the first round although it came after the flood.
        assert_eq!(ids(&q.take_round(10, &mut leaves)), ["f0", "c0"]);
        assert_eq!(ids(&q.take_round(10, &mut leaves)), ["t0"]);
        assert_eq!(ids(&q.take_round(10, &mut leaves)), ["f1"]);
        assert_eq!(ids(&q.take_round(10, &mut leaves)), ["f2"]);
        assert!(q.is_empty());
    }

    #[test]
    fn queued_leaves_are_known_until_taken() {
        let mut q = InboundQueue::default();
        let mut leaves = PendingLeaves::default();
        let leave = Inbound::from_xml(
            "<presence xmlns='jabber:component:accept' type='unavailable' from='u@x/r' to='a@muc/U'/>",
        )
        .expect("xml");
        q.push("u@x/r".into(), leave, &mut leaves);
        assert!(leaves.contains("a@muc", "u@x/r"));
        assert!(!leaves.contains("b@muc", "u@x/r"));
        q.take_round(10, &mut leaves);
        assert!(!leaves.contains("a@muc", "u@x/r"));
    }
}
