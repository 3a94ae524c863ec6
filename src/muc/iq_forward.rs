//! IQs to occupants (§17.4, §6.6): a request an occupant sends to another occupant's room JID is
//! relayed to that user's real JID under a fresh id, and the reply relayed back under the
//! original one, so that neither side learns the other's real JID. vCard requests go to the
//! bare JID, where the user's server answers them (avatars in MUC, XEP-0153).

use std::collections::{HashMap, VecDeque};

use bevy_ecs::prelude::*;
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, Jid};

use super::room::{Rooms, occupant_jid};
use crate::engine::route::OccupantIq;
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, iq_error};

/// Requests awaiting their reply are forgotten past this many (the oldest first).
const MAX_PENDING: usize = 10_000;

pub struct IqForwardPlugin;

impl Feature for IqForwardPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.forward_occupant_iqs();
        engine.world.init_resource::<PendingIqs>();
        engine.add_systems(forward.in_set(Phase::Iq));
    }
}

/// A relayed request.
#[derive(Debug, Clone)]
struct Pending {
    asker: Jid,
    asker_id: String,
    asker_nick: String,
    room: BareJid,
    target_nick: String,
    /// Where the request went; the reply must come from there (or, for a bare JID, its user).
    target: Jid,
}

#[derive(Resource, Debug, Default)]
pub struct PendingIqs {
    next: u64,
    by_id: HashMap<String, Pending>,
    order: VecDeque<String>,
}

impl PendingIqs {
    fn insert(&mut self, pending: Pending) -> String {
        self.next += 1;
        let id = format!("palaver-fwd-{}", self.next);
        self.by_id.insert(id.clone(), pending);
        self.order.push_back(id.clone());
        while self.order.len() > MAX_PENDING {
            if let Some(old) = self.order.pop_front() {
                self.by_id.remove(&old);
            }
        }
        id
    }
}

fn forward(
    mut iqs: MessageReader<OccupantIq>,
    rooms: Rooms,
    mut pending: ResMut<PendingIqs>,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    for OccupantIq { room, nick, iq } in iqs.read() {
        match iq {
            Iq::Get { .. } | Iq::Set { .. } => {
                request(&rooms, &mut pending, &service, room, nick, iq, &mut out);
            }
            Iq::Result { .. } | Iq::Error { .. } => reply(&mut pending, room, nick, iq, &mut out),
        }
    }
}

fn request(
    rooms: &Rooms,
    pending: &mut PendingIqs,
    service: &Service,
    room_jid: &BareJid,
    nick: &str,
    iq: &Iq,
    out: &mut Outbox,
) {
    let refuse = |text: &'static str, out: &mut Outbox, not_found: bool| {
        let err = if not_found {
            errors::item_not_found(&service.jid, Some(text))
        } else {
            errors::not_acceptable(&service.jid, Some(text))
        };
        out.send_opt(iq_error(iq, err));
    };
    let Some(room) = rooms.find(room_jid) else {
        return refuse("This room does not exist", out, true);
    };
    let Some(from) = iq.from() else { return };
    let Some(asker) = rooms.occupant_by_sender(room, from) else {
        // §6.6: disco from outside is a bad request; any other IQ is not acceptable.
        let disco = iq_payload(iq).is_some_and(|p| {
            p.is("query", xmpp_parsers::ns::DISCO_INFO)
                || p.is("query", xmpp_parsers::ns::DISCO_ITEMS)
        });
        if disco {
            out.send_opt(iq_error(
                iq,
                errors::bad_request(
                    &service.jid,
                    Some("Only occupants may query other occupants"),
                ),
            ));
            return;
        }
        return refuse("Only occupants may send IQs to occupants", out, false);
    };
    let Some(target) = rooms.occupant_by_nick(room, nick) else {
        return refuse("No occupant has that nickname", out, true);
    };
    if super::player::is_house(&target.jid.clone().into()) {
        // A game's table or the computer: nobody behind it to ask.
        out.send_opt(iq_error(
            iq,
            errors::service_unavailable(&service.jid, Some("This occupant is played by the room")),
        ));
        return;
    }
    let (id, payload, set) = match iq {
        Iq::Get { id, payload, .. } => (id, payload, false),
        Iq::Set { id, payload, .. } => (id, payload, true),
        _ => return,
    };
    let to: Jid = if payload.is("vCard", "vcard-temp") {
        target.jid.to_bare().into()
    } else {
        target.jid.clone().into()
    };
    let new_id = pending.insert(Pending {
        asker: from.clone(),
        asker_id: id.clone(),
        asker_nick: asker.nick.clone(),
        room: room_jid.clone(),
        target_nick: target.nick.clone(),
        target: to.clone(),
    });
    let from = Some(Jid::from(asker.occupant_jid));
    let to = Some(to);
    let payload = payload.clone();
    out.send(if set {
        Iq::Set {
            from,
            to,
            id: new_id,
            payload,
        }
    } else {
        Iq::Get {
            from,
            to,
            id: new_id,
            payload,
        }
    });
}

fn iq_payload(iq: &Iq) -> Option<&xmpp_parsers::minidom::Element> {
    match iq {
        Iq::Get { payload, .. } | Iq::Set { payload, .. } => Some(payload),
        Iq::Result { .. } | Iq::Error { .. } => None,
    }
}

fn reply(pending: &mut PendingIqs, room: &BareJid, nick: &str, iq: &Iq, out: &mut Outbox) {
    let Some(entry) = pending.by_id.get(iq.id()) else {
        return;
    };
    let from_target = iq.from().is_some_and(|f| {
        f == &entry.target
            || (entry.target.resource().is_none() && f.to_bare() == entry.target.to_bare())
    });
    // Only the user asked may answer, and only to the asker's own room JID.
    if !from_target || &entry.room != room || !super::nick::same(&entry.asker_nick, nick) {
        return;
    }
    let Some(entry) = pending.by_id.remove(iq.id()) else {
        return;
    };
    let Some(target_occupant) = occupant_jid(&entry.room, &entry.target_nick) else {
        return;
    };
    let from = Some(Jid::from(target_occupant));
    let to = Some(entry.asker);
    out.send(match iq {
        Iq::Result { payload, .. } => Iq::Result {
            from,
            to,
            id: entry.asker_id,
            payload: payload.clone(),
        },
        Iq::Error { error, payload, .. } => Iq::Error {
            from,
            to,
            id: entry.asker_id,
            error: error.clone(),
            payload: payload.clone(),
        },
        _ => return,
    });
}

#[cfg(test)]
#[path = "tests/iq_forward.rs"]
mod tests;
