//! Presence to a room (§7.2, §7.6, §7.7, §7.14, §7.2.18, §11.1): classifies each presence as a
//! join, resynchronisation, nick change, status change or exit, and carries out all but joins.

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::FullJid;
use xmpp_parsers::muc::Muc;
use xmpp_parsers::muc::user::{Affiliation, Item, MucUser, Role, Status};
use xmpp_parsers::presence::{Presence, Type as PresenceType};

use super::config::NickChange;
use super::join::{JoinRequest, JoinRequests, stored_presence};
use super::room::{OccupantInfo, Rooms, muc_user, occupant_jid};
use crate::engine::route::PresenceIn;
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, presence_error};

/// What an occupant's presence asks for, once classified; `session` is the full JID it came
/// from (an occupant may have several, §7.2.8).
#[derive(Message, Debug, Clone)]
pub enum OccupancyChange {
    /// §7.14: the session leaves (the occupant with its last session).
    Leave {
        occupant: Entity,
        session: FullJid,
        presence: Presence,
    },
    /// §7.6: the session asks for a new nick.
    Nick {
        occupant: Entity,
        session: FullJid,
        new: FullJid,
        /// The room enforced the nickname into another form than asked (status 210).
        modified: bool,
        presence: Presence,
    },
    /// §7.7: new availability or status.
    Status {
        occupant: Entity,
        session: FullJid,
        presence: Presence,
    },
    /// §11.1: the user's server bounced a stanza; the session is gone.
    Bounced { occupant: Entity, session: FullJid },
}

pub struct PresencePlugin;

impl Feature for PresencePlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.add_message::<OccupancyChange>();
        engine.add_systems(classify.in_set(Phase::Presence));
        engine.add_systems(occupancy.in_set(Phase::Occupancy));
        engine.on_shutdown(farewell);
    }
}

fn classify(
    mut presences: MessageReader<PresenceIn>,
    rooms: Rooms,
    service: Res<Service>,
    mut requests: ResMut<JoinRequests>,
    mut changes: MessageWriter<OccupancyChange>,
    mut out: ResMut<Outbox>,
) {
    for PresenceIn {
        from,
        room: room_jid,
        nick,
        presence,
    } in presences.read()
    {
        let room = rooms.find(room_jid);
        let me = room.and_then(|r| rooms.occupant_by_jid(r, from));
        let muc = muc_element(presence);
        match (&presence.type_, me) {
            (PresenceType::Error, Some(me)) => {
                changes.write(OccupancyChange::Bounced {
                    occupant: me.entity,
                    session: from.clone(),
                });
            }
            (PresenceType::Unavailable, Some(me)) => {
                changes.write(OccupancyChange::Leave {
                    occupant: me.entity,
                    session: from.clone(),
                    presence: presence.clone(),
                });
            }
            (PresenceType::None, me) => {
                let Some(nick) = nick else {
                    out.send_opt(presence_error(
                        presence,
                        errors::jid_malformed(&service.jid, Some("A room nickname is required")),
                    ));
                    continue;
                };
                let enforced = match super::nick::occupant_jid(room_jid, nick) {
                    Ok(target) => target,
                    Err(bad) if me.is_some() || muc.is_some() => {
                        let err = match bad {
                            super::nick::BadNick::Empty => {
                                errors::jid_malformed(&service.jid, Some(bad.text()))
                            }
                            _ => errors::not_acceptable(&service.jid, Some(bad.text())),
                        };
                        out.send_opt(presence_error(presence, err));
                        continue;
                    }
                    Err(_) => {
                        if let Some(target) = occupant_jid(room_jid, nick) {
                            let id = rooms.key.occupant_id(room_jid, &from.to_bare());
                            out.send(not_joined(&target, from, &id));
                        }
                        continue;
                    }
                };
                let modified = enforced.resource().as_str() != nick.as_str();
                let target = enforced;
                match (me, muc) {
                    (Some(me), _) if target.resource().as_str() != me.nick => {
                        // A join element to another nick from an occupant is a nick change too.
                        changes.write(OccupancyChange::Nick {
                            occupant: me.entity,
                            session: from.clone(),
                            new: target,
                            modified,
                            presence: presence.clone(),
                        });
                    }
                    (Some(me), Some(muc)) => requests.0.push(JoinRequest {
                        from: from.clone(),
                        occupant_jid: target,
                        room,
                        presence: presence.clone(),
                        muc,
                        affiliation: me.affiliation.clone(),
                        role: me.role.clone(),
                        resync: Some(me.entity),
                        refusal: None,
                        nick_modified: modified,
                        session_of: None,
                        player: None,
                    }),
                    (Some(me), None) => {
                        changes.write(OccupancyChange::Status {
                            occupant: me.entity,
                            session: from.clone(),
                            presence: presence.clone(),
                        });
                    }
                    (None, Some(muc)) => {
                        // §7.2.8: the nick its user already holds makes this a new session of
                        // that occupant.
                        let session_of = room
                            .and_then(|r| rooms.occupant_by_nick(r, target.resource().as_str()))
                            .filter(|o| o.jid.to_bare() == from.to_bare())
                            .map(|o| o.entity);
                        requests.0.push(JoinRequest {
                            from: from.clone(),
                            occupant_jid: target,
                            room,
                            presence: presence.clone(),
                            muc,
                            affiliation: Affiliation::None,
                            role: Role::None,
                            resync: None,
                            refusal: None,
                            nick_modified: modified,
                            session_of,
                            player: None,
                        });
                    }
                    (None, None) => {
                        let id = rooms.key.occupant_id(room_jid, &from.to_bare());
                        out.send(not_joined(&target, from, &id));
                    }
                }
            }
            // Unavailable or errors from non-occupants, probes and subscriptions: nothing to do.
            _ => {}
        }
    }
}

/// The join element of a presence, if it has one; a malformed one counts as a plain one.
fn muc_element(p: &Presence) -> Option<Muc> {
    let el = p
        .payloads
        .iter()
        .find(|e| e.is("x", xmpp_parsers::ns::MUC))?;
    Some(Muc::try_from(el.clone()).unwrap_or_default())
}

/// §7.2.18: presence without the join element from someone not in the room: they believe they
/// are an occupant (groupchat 1.0 or a lost session); tell them they are not.
fn not_joined(occupant: &FullJid, to: &FullJid, occupant_id: &str) -> Presence {
    let mut p = Presence::new(PresenceType::Unavailable);
    p.from = Some(occupant.clone().into());
    p.to = Some(to.clone().into());
    p.payloads.push(muc_user(
        vec![
            Status::SelfPresence,
            Status::Kicked,
            Status::ServiceErrorKick,
        ],
        vec![Item::new(Affiliation::None, Role::None)],
    ));
    p.payloads.push(super::occupant_id::element(occupant_id));
    p
}

fn occupancy(
    mut changes: MessageReader<OccupancyChange>,
    mut rooms: Rooms,
    room_of: Query<&super::room::InRoom>,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    for change in changes.read() {
        let (entity, session) = match change {
            OccupancyChange::Leave {
                occupant, session, ..
            }
            | OccupancyChange::Nick {
                occupant, session, ..
            }
            | OccupancyChange::Status {
                occupant, session, ..
            }
            | OccupancyChange::Bounced { occupant, session } => (*occupant, session),
        };
        let (Ok(in_room), Some(me)) = (room_of.get(entity), rooms.occupant(entity)) else {
            continue;
        };
        let room = in_room.0;
        let several = me.sessions.len() > 1;
        match change {
            OccupancyChange::Leave { presence, .. } if several => {
                super::session::leave_session(&mut rooms, room, &me, session, presence, &mut out);
            }
            OccupancyChange::Leave { presence, .. } => {
                let mut me = me;
                me.presence.statuses = presence.statuses.clone();
                leave(&mut rooms, room, &me, &[], &mut out);
            }
            OccupancyChange::Bounced { .. } if several => {
                super::session::drop_session(&mut rooms, room, &me, session, &mut out);
            }
            OccupancyChange::Bounced { .. } => bounce(&mut rooms, room, &me, &mut out),
            OccupancyChange::Status { presence, .. } => {
                super::session::status(&mut rooms, room, &me, session, presence, &mut out);
            }
            OccupancyChange::Nick {
                new,
                modified,
                presence,
                ..
            } => {
                let asked = NickAsked {
                    session,
                    new,
                    modified: *modified,
                    presence,
                };
                change_nick(&mut rooms, room, me, asked, &service, &mut out);
            }
        }
    }
}

/// §11.2: the service is going down: every occupant hears that it is removed (110, 332). Rooms
/// are not despawned: the process ends, and persistent rooms live on in the store.
fn farewell(rooms: Rooms, mut out: ResMut<Outbox>) {
    let all: Vec<Entity> = rooms.index.0.values().copied().collect();
    for room in all {
        let Some(config) = rooms.config(room) else {
            continue;
        };
        for occupant in rooms.occupants_of(room) {
            let mut me = occupant.clone();
            me.presence.statuses.clear();
            for p in super::room::occupant_presence(
                config,
                &me,
                &me,
                vec![Status::ServiceShutdown],
                false,
            ) {
                out.send(p);
            }
        }
    }
}

/// §7.14: unavailable from the leaver to everyone else, then to the leaver with 110; `statuses`
/// carries the reason codes of a removal (kick, ban, …) when it is not a voluntary exit.
pub fn leave(
    rooms: &mut Rooms,
    room: Entity,
    me: &OccupantInfo,
    statuses: &[Status],
    out: &mut Outbox,
) {
    rooms.broadcast_presence(room, me, statuses, false, true, out);
    if let Some(config) = rooms.config(room) {
        for p in super::room::occupant_presence(config, me, me, statuses.to_vec(), false) {
            out.send(p);
        }
    }
    rooms.remove_occupant(room, me);
}

/// §11.1: the occupant's server bounced a stanza; the others see it leave with 333.
pub fn bounce(rooms: &mut Rooms, room: Entity, me: &OccupantInfo, out: &mut Outbox) {
    rooms.remove_occupant(room, me);
    rooms.broadcast_presence(room, me, &[Status::ServiceErrorKick], false, true, out);
}

/// A nick change as asked: the session asking, the occupant JID with the enforced nickname.
pub struct NickAsked<'a> {
    pub session: &'a FullJid,
    pub new: &'a FullJid,
    /// The enforced nickname differs from the one asked for (status 210 to the occupant).
    pub modified: bool,
    pub presence: &'a Presence,
}

/// §7.6: unavailable with 303 and the new nick to everyone, then the presence under the new nick.
fn change_nick(
    rooms: &mut Rooms,
    room: Entity,
    me: OccupantInfo,
    asked: NickAsked,
    service: &Service,
    out: &mut Outbox,
) {
    let NickAsked {
        session,
        new,
        modified,
        presence,
    } = asked;
    let new_nick = new.resource().as_str().to_owned();
    // Another occupant with that nick: a conflict, unless it is the same user's (§7.2.8).
    let holder = rooms
        .occupant_by_nick(room, &new_nick)
        .filter(|o| o.entity != me.entity);
    let policy = rooms.config(room).map(|c| c.nick_change);
    let refusal = match policy {
        Some(NickChange::Nobody) => Some(errors::not_acceptable(
            &service.jid,
            Some("Nicknames cannot be changed in this room"),
        )),
        Some(NickChange::Participants) if me.role == Role::Visitor => Some(errors::not_acceptable(
            &service.jid,
            Some("Visitors cannot change their nickname in this room"),
        )),
        _ if holder
            .as_ref()
            .is_some_and(|o| o.jid.to_bare() != me.jid.to_bare()) =>
        {
            Some(errors::conflict(
                &service.jid,
                Some("That nickname is already in use by another occupant"),
            ))
        }
        _ if super::register::reserved_by_other(rooms, room, &new_nick, &me.jid.to_bare()) => {
            Some(errors::conflict(
                &service.jid,
                Some("That nickname is reserved by another user"),
            ))
        }
        _ => None,
    };
    if let Some(err) = refusal {
        let mut refused = presence_error(presence, err);
        // The error comes from the nick that was asked for (§7.6.2).
        if let Some(xmpp_parsers::stanza::Stanza::Presence(p)) = refused.as_mut() {
            p.from = Some(new.clone().into());
        }
        out.send_opt(refused);
        return;
    }
    if me.sessions.len() > 1 || holder.is_some() {
        let asked = NickAsked {
            session,
            new,
            modified,
            presence,
        };
        super::session::split_nick(rooms, room, &me, asked, holder, out);
        return;
    }
    let Some(config) = rooms.config(room).cloned() else {
        return;
    };
    for recipient in rooms
        .occupants_of(room)
        .into_iter()
        .filter(|r| super::room::reaches(&config, &me, r))
    {
        for mut p in
            super::room::occupant_presence(&config, &me, &recipient, vec![Status::NewNick], false)
        {
            patch_item(&mut p, &new_nick, &me.role);
            out.send(p);
        }
    }
    if let Ok((mut nick, ..)) = rooms.occupants.get_mut(me.entity) {
        nick.0 = new.clone();
    }
    rooms.set_session_presence(me.entity, session, stored_presence(presence));
    if let Ok((_, _, mut roster, _)) = rooms.rooms.get_mut(room) {
        roster.rename(me.entity, &me.nick, &new_nick);
    }
    let Some(renamed) = rooms.occupant(me.entity) else {
        return;
    };
    if modified {
        rooms.broadcast_presence(room, &renamed, &[], true, true, out);
        if let Some(config) = rooms.config(room) {
            for p in super::room::occupant_presence(
                config,
                &renamed,
                &renamed,
                vec![Status::AssignedNick],
                true,
            ) {
                out.send(p);
            }
        }
    } else {
        rooms.broadcast_presence(room, &renamed, &[], true, false, out);
    }
}

/// Puts the new nick on the muc#user item of the 303 presence, which keeps the role (§7.6.3).
pub fn patch_item(p: &mut Presence, nick: &str, role: &Role) {
    for payload in p.payloads.iter_mut() {
        if payload.is("x", xmpp_parsers::ns::MUC_USER)
            && let Ok(mut x) = MucUser::try_from(payload.clone())
        {
            for item in x.items.iter_mut() {
                item.nick = Some(nick.to_owned());
                item.role = role.clone();
            }
            *payload = muc_user(x.status, x.items);
        }
    }
}

#[cfg(test)]
#[path = "tests/presence.rs"]
mod tests;
