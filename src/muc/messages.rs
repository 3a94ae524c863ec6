//! Messages to a room (§7.4 groupchat, §7.5 private messages, §11.1 bounced errors).

use bevy_ecs::prelude::*;
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::{MucUser, Role};
use xmpp_parsers::stanza_error::{DefinedCondition, StanzaError};

use super::archive::{Archive, ArchiveEntry, Retention, archivable};
use super::config::AllowPm;
use super::history::History;
use super::player::{GameRunning, Player, spectators_separated};
use super::presence::bounce;
use super::room::{OccupantInfo, Rooms};
use super::subject::{SubjectChanges, SubjectRequest, is_subject_change};
use crate::engine::route::MessageIn;
use crate::engine::{EngineBuilder, Feature, Now, Outbox, Phase, Service};
use crate::stanza::{errors, message_error};

/// Messages to a room's own JID that some feature handles instead of the chat (voice requests,
/// invitations, private game commands): each feature registers a predicate.
#[derive(Resource, Default)]
pub struct MessageClaims(Vec<fn(&Message) -> bool>);

impl MessageClaims {
    pub fn claimed(&self, m: &Message) -> bool {
        self.0.iter().any(|claims| claims(m))
    }
}

impl EngineBuilder {
    /// Declares that a feature handles the non-groupchat messages to a room that `claims`.
    pub fn claim_messages(&mut self, claims: fn(&Message) -> bool) -> &mut Self {
        self.world
            .get_resource_or_init::<MessageClaims>()
            .0
            .push(claims);
        self
    }
}

/// Groupchat messages a feature takes for itself this round instead of the chat (a game move
/// that must stay secret): they are not relayed. Keyed by room and sender, since a round holds
/// at most one stanza per sender; systems that withhold run before [`MessagesSet`].
#[derive(Resource, Default, Debug)]
pub struct Withheld(
    pub std::collections::HashSet<(xmpp_parsers::jid::BareJid, xmpp_parsers::jid::Jid)>,
);

/// The chat system, for features that act on messages after they were relayed.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessagesSet;

pub struct MessagesPlugin;

impl Feature for MessagesPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<MessageClaims>();
        engine.world.init_resource::<Withheld>();
        engine.add_systems(
            messages
                .in_set(Phase::Messages)
                .in_set(MessagesSet)
                .before(SubjectChanges),
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn messages(
    mut inbound: MessageReader<MessageIn>,
    mut rooms: Rooms,
    running: Query<(), With<GameRunning>>,
    claims: Res<MessageClaims>,
    mut withheld: ResMut<Withheld>,
    players: Query<(), With<Player>>,
    mut logs: Query<(&mut History, &mut Archive)>,
    mut subjects: MessageWriter<SubjectRequest>,
    service: Res<Service>,
    now: Res<Now>,
    mut out: ResMut<Outbox>,
) {
    for MessageIn {
        from,
        room: room_jid,
        nick,
        message,
    } in inbound.read()
    {
        if nick.is_none()
            && !matches!(message.type_, MessageType::Groupchat | MessageType::Error)
            && claims.claimed(message)
        {
            continue;
        }
        let room = rooms.find(room_jid);
        let me = room.and_then(|r| rooms.occupant_by_sender(r, from));
        if message.type_ == MessageType::Error {
            if let (Some(room), Some(me)) = (room, me)
                && is_bounce(message)
            {
                bounce(&mut rooms, room, &me, &mut out);
            }
            continue;
        }
        let refuse = |err: StanzaError, out: &mut Outbox| out.send_opt(message_error(message, err));
        let Some(room) = room else {
            refuse(
                errors::item_not_found(&service.jid, Some("This room does not exist")),
                &mut out,
            );
            continue;
        };
        let Some(me) = me else {
            refuse(
                errors::not_acceptable(
                    &service.jid,
                    Some("Only occupants are allowed to send messages to the room"),
                ),
                &mut out,
            );
            continue;
        };
        match nick {
            None if message.type_ == MessageType::Groupchat => {
                if is_subject_change(message) {
                    subjects.write(SubjectRequest {
                        room,
                        occupant: me.entity,
                        message: message.clone(),
                    });
                    continue;
                }
                // (Empty but for a game's secret choice: no key is built otherwise.)
                if !withheld.0.is_empty() && withheld.0.remove(&(room_jid.clone(), from.clone())) {
                    continue;
                }
                if me.role == Role::Visitor || me.role == Role::None {
                    refuse(
                        errors::forbidden(
                            &service.jid,
                            Some("Visitors are not allowed to send messages in this room"),
                        ),
                        &mut out,
                    );
                    continue;
                }
                // palaver's game rooms: spectators' chat does not reach the players.
                let spectator = rooms
                    .config(room)
                    .is_some_and(|c| spectators_separated(c, running.contains(room)))
                    && !players.contains(me.entity);
                let (Some(room_jid), Some(config), Ok((mut history, mut archive))) = (
                    rooms.jid(room).cloned(),
                    rooms.config(room).cloned(),
                    logs.get_mut(room),
                ) else {
                    continue;
                };
                let (seq, stanza_id) = archive.next_id(&rooms.key, &room_jid, now.0);
                let relay = Relay {
                    stanza_id: &stanza_id,
                    hide_from_players: spectator,
                };
                let reflected = reflect(&rooms, room, &me, message, relay, &players, &mut out);
                if !message.bodies.is_empty() {
                    history.record(&reflected, now.0, config.history_length, spectator);
                }
                if config.archiving && archivable(&reflected) {
                    let entry = ArchiveEntry {
                        seq,
                        id: stanza_id,
                        at: now.0,
                        publisher: me.jid.to_bare(),
                        occupant_id: me.occupant_id.clone(),
                        spectator,
                        retracted: false,
                        message: reflected.clone(),
                    };
                    archive.record(entry, Retention::of(&config, &service.settings, now.0));
                }
                // XEP-0424: a sender retracting its own message leaves a tombstone.
                super::moderation::self_retraction(
                    (&mut *archive, &mut *history),
                    &room_jid,
                    &me,
                    &reflected,
                    now.0,
                );
            }
            None => refuse(
                errors::bad_request(
                    &service.jid,
                    Some("Only groupchat messages may be sent to the room itself"),
                ),
                &mut out,
            ),
            Some(_) if message.type_ == MessageType::Groupchat => refuse(
                errors::bad_request(
                    &service.jid,
                    Some("A private message must not be of type groupchat"),
                ),
                &mut out,
            ),
            Some(nick) => {
                let Some(to) = rooms.occupant_by_nick(room, nick) else {
                    refuse(
                        errors::item_not_found(&service.jid, Some("No occupant has that nickname")),
                        &mut out,
                    );
                    continue;
                };
                // The service's own occupants (a game's table) answer through their feature.
                if super::player::is_house(&to.jid.clone().into()) {
                    continue;
                }
                let allow = rooms.config(room).map_or(AllowPm::Anyone, |c| c.allow_pm);
                if !may_send_pm(allow, &me.role) {
                    refuse(
                        errors::forbidden(
                            &service.jid,
                            Some("Private messages are not allowed in this room"),
                        ),
                        &mut out,
                    );
                    continue;
                }
                let mut pm = message.clone();
                pm.from = Some(me.occupant_jid.clone().into());
                pm.payloads
                    .retain(|p| !super::occupant_id::is_occupant_id(p));
                pm.payloads
                    .push(super::occupant_id::element(&me.occupant_id));
                if !pm
                    .payloads
                    .iter()
                    .any(|p| p.is("x", xmpp_parsers::ns::MUC_USER))
                {
                    pm.payloads.push(MucUser::new().into());
                }
                // §7.2.8: to every session of the occupant, as RECOMMENDED.
                for pm in super::room::to_sessions(&to, pm) {
                    out.send(pm);
                }
            }
        }
    }
    if !withheld.0.is_empty() {
        withheld.0.clear();
    }
}

/// How a groupchat message is relayed: under which stanza-id, and whether players are spared it.
struct Relay<'a> {
    stanza_id: &'a str,
    hide_from_players: bool,
}

/// Sends a groupchat message to every occupant from the sender's occupant JID, keeping the
/// client's id (§7.4) and adding the room's stanza-id (XEP-0359) and the sender's occupant-id
/// (XEP-0421); returns the message as reflected (without `to`), for the history and archive.
fn reflect(
    rooms: &Rooms,
    room: Entity,
    me: &OccupantInfo,
    message: &Message,
    relay: Relay,
    players: &Query<(), With<Player>>,
    out: &mut Outbox,
) -> Message {
    let mut reflected = sanitized(message, rooms.jid(room));
    reflected.from = Some(me.occupant_jid.clone().into());
    reflected.to = None;
    if let Some(room_jid) = rooms.jid(room) {
        reflected
            .payloads
            .push(super::archive::stanza_id_element(relay.stanza_id, room_jid));
    }
    reflected
        .payloads
        .push(super::occupant_id::element(&me.occupant_id));
    if relay.hide_from_players {
        for o in rooms.occupants_of(room) {
            // The sender always gets its own reflection (clients rely on it, §7.4).
            if !players.contains(o.entity) || o.entity == me.entity {
                for m in super::room::to_sessions(&o, reflected.clone()) {
                    out.send(m);
                }
            }
        }
        return reflected;
    }
    for jid in rooms.real_jids(room) {
        let mut m = reflected.clone();
        m.to = Some(jid.clone().into());
        out.send(m);
    }
    reflected
}

/// A client's groupchat message as the room may relay it: what only the room may state is
/// dropped — an occupant-id (XEP-0421 §4), a stanza-id by the room (XEP-0359 §4), muc#user
/// (which MAM results would otherwise carry unchecked, XEP-0313 §9); everything else, the
/// clients' own payloads (corrections, reactions, replies, links, markup), passes untouched.
pub fn sanitized(message: &Message, room: Option<&xmpp_parsers::jid::BareJid>) -> Message {
    let mut m = message.clone();
    let ours = |p: &xmpp_parsers::minidom::Element| {
        super::occupant_id::is_occupant_id(p)
            || p.is("x", xmpp_parsers::ns::MUC_USER)
            || (p.is("stanza-id", xmpp_parsers::ns::SID)
                && room.is_some_and(|r| p.attr("by") == Some(r.as_str())))
    };
    m.payloads.retain(|p| !ours(p));
    m
}

fn may_send_pm(allow: AllowPm, role: &Role) -> bool {
    match allow {
        AllowPm::Anyone => true,
        AllowPm::Participants => matches!(role, Role::Participant | Role::Moderator),
        AllowPm::Moderators => *role == Role::Moderator,
        AllowPm::None => false,
    }
}

/// Error conditions that mean the user's session is gone rather than that one message failed.
fn is_bounce(m: &Message) -> bool {
    let Some(err) = m
        .payloads
        .iter()
        .find(|p| p.name() == "error")
        .and_then(|p| StanzaError::try_from(p.clone()).ok())
    else {
        // An error we cannot read tells us nothing reliable about the session.
        return false;
    };
    matches!(
        err.defined_condition,
        DefinedCondition::Gone { .. }
            | DefinedCondition::ItemNotFound
            | DefinedCondition::RecipientUnavailable
            | DefinedCondition::Redirect { .. }
            | DefinedCondition::RemoteServerNotFound
            | DefinedCondition::RemoteServerTimeout
            | DefinedCondition::ServiceUnavailable
    )
}

#[cfg(test)]
#[path = "tests/messages.rs"]
mod tests;
