//! Message moderation (XEP-0425, version 1) and retraction (XEP-0424, version 1): a moderator
//! retracts any message by its stanza-id; an occupant may retract its own. The room tells
//! everyone (a moderator's retraction comes from the room, carrying who did it), and its archive
//! and history keep a tombstone in place of the message: its id, sender and occupant-id, no
//! content.

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::message::{Lang, Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::muc::user::Role;
use xmpp_parsers::ns;

use super::archive::{Archive, Retention, room_message, stanza_id_of};
use super::history::History;
use super::room::{OccupantInfo, Rooms};
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Now, Outbox, Phase, Service};
use crate::stanza::errors;

/// XEP-0425 version 1.
pub const MODERATE: &str = "urn:xmpp:message-moderate:1";
/// XEP-0424 version 1.
pub const RETRACT: &str = "urn:xmpp:message-retract:1";
/// XEP-0428.
const FALLBACK: &str = "urn:xmpp:fallback:0";

pub struct ModerationPlugin;

impl Feature for ModerationPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, MODERATE);
        engine.add_systems(moderate.in_set(Phase::Iq));
    }
}

/// A moderator's request, once read: the stanza-id and the reason.
struct Request {
    id: String,
    reason: Option<String>,
}

fn read(payload: &Element) -> Option<Request> {
    if !payload.is("moderate", MODERATE) || !payload.has_child("retract", RETRACT) {
        return None;
    }
    let id = payload.attr("id").filter(|i| !i.is_empty())?.to_owned();
    let reason = payload
        .get_child("reason", MODERATE)
        .map(Element::text)
        .filter(|r| !r.trim().is_empty());
    Some(Request { id, reason })
}

fn moderate(
    mut iqs: MessageReader<IqIn>,
    rooms: Rooms,
    mut logs: Query<(&mut Archive, &mut History)>,
    service: Res<Service>,
    now: Res<Now>,
    mut out: ResMut<Outbox>,
) {
    for iq in iqs.read().filter(|iq| iq.ns == MODERATE) {
        let IqTarget::Room(room_jid) = &iq.target else {
            continue;
        };
        let Some(room) = rooms.find(room_jid) else {
            out.send(iq.error(errors::item_not_found(
                &service.jid,
                Some("This room does not exist"),
            )));
            continue;
        };
        let Some(request) = read(&iq.payload).filter(|_| iq.set) else {
            out.send(iq.error(errors::bad_request(
                &service.jid,
                Some("A moderation request is a set with <moderate id=…><retract/></moderate>"),
            )));
            continue;
        };
        let moderator = rooms
            .occupant_by_sender(room, &iq.from)
            .filter(|o| o.role == Role::Moderator);
        let Some(moderator) = moderator else {
            out.send(iq.error(errors::forbidden(
                &service.jid,
                Some("Only moderators may retract other occupants' messages"),
            )));
            continue;
        };
        let (Some(config), Ok((mut archive, mut history))) =
            (rooms.config(room).cloned(), logs.get_mut(room))
        else {
            continue;
        };
        let moderated = moderated_element(&moderator);
        let retracted =
            retracted_element(now.0, Some(moderated.clone()), request.reason.as_deref());
        let in_archive = archive
            .entries
            .iter()
            .find(|e| e.id == request.id)
            .map(|e| tombstone(&e.message, retracted.clone()));
        let found_in_archive = match in_archive {
            Some(t) => {
                history.replace(room_jid, &request.id, &t);
                archive.retract(&request.id, t).is_some()
            }
            None => false,
        };
        let found_in_history = !found_in_archive && {
            let original = history
                .0
                .iter()
                .find(|e| stanza_id_of(&e.message, room_jid).as_deref() == Some(&request.id))
                .map(|e| e.message.clone());
            original.is_some_and(|m| {
                history.replace(room_jid, &request.id, &tombstone(&m, retracted.clone()))
            })
        };
        if !found_in_archive && !found_in_history {
            out.send(iq.error(errors::item_not_found(
                &service.jid,
                Some("No message of this room has that id"),
            )));
            continue;
        }
        // The room tells everyone, itself the sender; the announcement is archived too, so
        // that a client catching up learns of it.
        let mut announcement = Message::groupchat(None);
        announcement.from = Some(room_jid.clone().into());
        announcement.id = Some(xmpp_parsers::message::Id(format!("retract-{}", request.id)));
        announcement.payloads.push(retract_element(
            &request.id,
            moderated,
            request.reason.as_deref(),
        ));
        announcement.bodies.insert(
            Lang::default(),
            format!("{} retracted a message.", moderator.nick),
        );
        announcement.payloads.push(
            Element::builder("fallback", FALLBACK)
                .attr(xml_ncname!("for").to_owned(), RETRACT)
                .build(),
        );
        let bounds = config
            .archiving
            .then(|| Retention::of(&config, &service.settings, now.0));
        let announcement = room_message(
            &mut archive,
            &rooms.key,
            room_jid,
            bounds,
            now.0,
            announcement,
        );
        for jid in rooms.real_jids(room) {
            let mut m = announcement.clone();
            m.to = Some(jid.clone().into());
            out.send(m);
        }
        out.send(iq.reply(None));
    }
}

/// XEP-0424: an occupant's groupchat message that retracts one of its own leaves a tombstone in
/// place of that one (the retraction itself was relayed and archived like any message).
pub fn self_retraction(
    (archive, history): (&mut Archive, &mut History),
    room: &BareJid,
    me: &OccupantInfo,
    relayed: &Message,
    now: DateTime<Utc>,
) {
    let Some(id) = relayed
        .payloads
        .iter()
        .find(|p| p.is("retract", RETRACT))
        .and_then(|p| p.attr("id"))
    else {
        return;
    };
    let own = archive
        .entries
        .iter()
        .find(|e| e.id == id && !e.retracted && e.occupant_id == me.occupant_id)
        .map(|e| e.message.clone())
        .or_else(|| {
            history
                .0
                .iter()
                .find(|e| stanza_id_of(&e.message, room).as_deref() == Some(id))
                .filter(|e| occupant_id_of(&e.message).as_deref() == Some(&me.occupant_id))
                .map(|e| e.message.clone())
        });
    let Some(original) = own else {
        return;
    };
    let t = tombstone(&original, retracted_element(now, None, None));
    history.replace(room, id, &t);
    archive.retract(id, t);
}

fn occupant_id_of(m: &Message) -> Option<String> {
    m.payloads
        .iter()
        .find(|p| super::occupant_id::is_occupant_id(p))
        .and_then(|p| p.attr("id").map(str::to_owned))
}

/// `<moderated by='room/nick'><occupant-id/></moderated>`: who retracted.
fn moderated_element(moderator: &OccupantInfo) -> Element {
    Element::builder("moderated", MODERATE)
        .attr(
            xml_ncname!("by").to_owned(),
            moderator.occupant_jid.to_string(),
        )
        .append(super::occupant_id::element(&moderator.occupant_id))
        .build()
}

/// The announcement's `<retract id><moderated/><reason/></retract>`.
fn retract_element(id: &str, moderated: Element, reason: Option<&str>) -> Element {
    let mut e = Element::builder("retract", RETRACT)
        .attr(xml_ncname!("id").to_owned(), id)
        .append(moderated)
        .build();
    if let Some(reason) = reason {
        e.append_child(Element::builder("reason", RETRACT).append(reason).build());
    }
    e
}

/// The tombstone's `<retracted stamp>` (with who moderated and why, for a moderation).
fn retracted_element(
    at: DateTime<Utc>,
    moderated: Option<Element>,
    reason: Option<&str>,
) -> Element {
    let mut e = Element::builder("retracted", RETRACT)
        .attr(
            xml_ncname!("stamp").to_owned(),
            at.fixed_offset().to_rfc3339(),
        )
        .build();
    if let Some(m) = moderated {
        e.append_child(m);
    }
    if let Some(reason) = reason {
        e.append_child(Element::builder("reason", RETRACT).append(reason).build());
    }
    e
}

/// What stays of a retracted message: who sent it, its ids, and `retracted`; no content.
fn tombstone(original: &Message, retracted: Element) -> Message {
    let mut m = Message::new(None);
    m.type_ = MessageType::Groupchat;
    m.from = original.from.clone();
    m.id = original.id.clone();
    m.payloads = original
        .payloads
        .iter()
        .filter(|p| p.is("stanza-id", ns::SID) || super::occupant_id::is_occupant_id(p))
        .cloned()
        .collect();
    m.payloads.push(retracted);
    m
}

#[cfg(test)]
#[path = "tests/moderation.rs"]
mod tests;
