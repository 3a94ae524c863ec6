//! Multi-session nicks (§7.2.8): a user entering with the nick it already holds from another
//! resource joins the same occupant rather than being refused. The occupant's traffic goes to
//! every session ([`super::room::Sessions`]); the others see one occupant, whose presence is its
//! primary (oldest) session's; it leaves with its last session.
//!
//! What each session and the room hear follows Prosody's MUC: a joining session gets the room
//! (other occupants, itself, history, subject) without the others hearing anything new; a
//! session that leaves hears its own exit while the others hear nothing unless the primary
//! changed; a status change by the primary is everyone's news, by another session only its own;
//! a nick change splits the session off the occupant into the new nick (or into the user's
//! occupant already holding it).

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::FullJid;
use xmpp_parsers::muc::user::{Item, Role, Status};
use xmpp_parsers::presence::{Presence, Type as PresenceType};

use super::join::{JoinRequest, Joined, self_statuses, stored_presence};
use super::presence::{NickAsked, patch_item};
use super::room::{OccupantInfo, Rooms, Session, muc_user, occupant_presence, reaches};
use crate::engine::Outbox;

/// The occupant as one of its sessions alone: that session's JID and presence.
pub fn view(me: &OccupantInfo, session: &FullJid) -> Option<OccupantInfo> {
    let s = me.sessions.iter().find(|s| s.jid == *session)?.clone();
    Some(OccupantInfo {
        jid: s.jid.clone(),
        presence: s.presence.clone(),
        sessions: vec![s],
        ..me.clone()
    })
}

/// A second (third…) session of a user enters as the occupant its user is already.
pub fn join_session(
    rooms: &mut Rooms,
    out: &mut Outbox,
    req: &JoinRequest,
    room: Entity,
    occupant: Entity,
    joined: &mut MessageWriter<Joined>,
) {
    rooms.add_session(
        room,
        occupant,
        req.from.clone(),
        stored_presence(&req.presence),
    );
    let (Some(config), Some(me)) = (rooms.config(room).cloned(), rooms.occupant(occupant)) else {
        return;
    };
    let Some(mine) = view(&me, &req.from) else {
        return;
    };
    for other in rooms.occupants_of(room) {
        if other.entity != occupant && reaches(&config, &other, &mine) {
            send(
                out,
                occupant_presence(&config, &other, &mine, Vec::new(), true),
            );
        }
    }
    let mut statuses = Vec::new();
    if req.nick_modified {
        statuses.push(Status::AssignedNick);
    }
    send(
        out,
        occupant_presence(
            &config,
            &mine,
            &mine,
            self_statuses(&config, statuses),
            true,
        ),
    );
    joined.write(Joined {
        room,
        occupant,
        to: req.from.clone(),
        muc: req.muc.clone(),
    });
}

/// One of several sessions leaves (§7.14): it hears its own exit; the others hear the occupant
/// again only if the primary session changed.
pub fn leave_session(
    rooms: &mut Rooms,
    room: Entity,
    me: &OccupantInfo,
    session: &FullJid,
    presence: &Presence,
    out: &mut Outbox,
) {
    let (Some(config), Some(mut leaving)) = (rooms.config(room).cloned(), view(me, session)) else {
        return;
    };
    leaving.presence.statuses = presence.statuses.clone();
    send(
        out,
        occupant_presence(&config, &leaving, &leaving, Vec::new(), false),
    );
    drop_session(rooms, room, me, session, out);
}

/// One of several sessions is gone without a word (§11.1's bounce, or a split): the others
/// hear the occupant again only if the primary session changed.
pub fn drop_session(
    rooms: &mut Rooms,
    room: Entity,
    me: &OccupantInfo,
    session: &FullJid,
    out: &mut Outbox,
) {
    if rooms.remove_session(room, me.entity, session) {
        republish(rooms, room, me.entity, out);
    }
}

/// The occupant's presence again to everyone else (its primary session changed).
fn republish(rooms: &Rooms, room: Entity, occupant: Entity, out: &mut Outbox) {
    if let Some(now) = rooms.occupant(occupant) {
        rooms.broadcast_presence(room, &now, &[], true, true, out);
    }
}

/// §7.7 from one session: the primary's new presence is the occupant's, for everyone (each of
/// its own sessions hearing its own presence); another session's only comes back to itself.
pub fn status(
    rooms: &mut Rooms,
    room: Entity,
    me: &OccupantInfo,
    session: &FullJid,
    presence: &Presence,
    out: &mut Outbox,
) {
    let primary = me.sessions.first().is_some_and(|s| s.jid == *session);
    rooms.set_session_presence(me.entity, session, stored_presence(presence));
    let Some(now) = rooms.occupant(me.entity) else {
        return;
    };
    if primary {
        rooms.broadcast_presence(room, &now, &[], true, false, out);
        return;
    }
    if let (Some(config), Some(mine)) = (rooms.config(room), view(&now, session)) {
        send(
            out,
            occupant_presence(config, &mine, &mine, Vec::new(), true),
        );
    }
}

/// §7.6 when the occupant has other sessions, or the new nick is another occupant of the same
/// user: the session leaves its occupant (hearing its own 303) and becomes, or joins, the one
/// with the new nick; the others hear the new occupant arrive, and the old one leave only if
/// no session is left to it.
pub fn split_nick(
    rooms: &mut Rooms,
    room: Entity,
    me: &OccupantInfo,
    asked: NickAsked,
    into: Option<OccupantInfo>,
    out: &mut Outbox,
) {
    let NickAsked {
        session,
        new,
        modified,
        presence,
    } = asked;
    let (Some(config), Some(mine)) = (rooms.config(room).cloned(), view(me, session)) else {
        return;
    };
    let new_nick = new.resource().as_str().to_owned();
    // The session's own view: it changed its nick.
    for mut p in occupant_presence(&config, &mine, &mine, vec![Status::NewNick], false) {
        patch_item(&mut p, &new_nick, &me.role);
        out.send(p);
    }
    let stays = me.sessions.len() > 1;
    if stays {
        drop_session(rooms, room, me, session, out);
    } else {
        // Its last session went to another occupant: to the others it simply left.
        rooms.broadcast_presence(room, me, &[], false, true, out);
        rooms.remove_occupant(room, me);
    }
    let stored = stored_presence(presence);
    let target = match into {
        Some(other) => {
            // The session's client knew that occupant as someone else: it leaves that view.
            let mut p = Presence::new(PresenceType::Unavailable);
            p.from = Some(other.occupant_jid.clone().into());
            p.to = Some(session.clone().into());
            p.payloads.push(muc_user(
                Vec::new(),
                vec![Item::new(other.affiliation.clone(), Role::None)],
            ));
            p.payloads
                .push(super::occupant_id::element(&other.occupant_id));
            out.send(p);
            rooms.add_session(room, other.entity, session.clone(), stored);
            match rooms.occupant(other.entity) {
                Some(t) => t,
                None => return,
            }
        }
        None => {
            let entity = rooms.add_occupant(
                room,
                new.clone(),
                session.clone(),
                me.role.clone(),
                me.affiliation.clone(),
                stored.clone(),
            );
            let target = OccupantInfo {
                entity,
                occupant_jid: new.clone(),
                nick: new_nick,
                jid: session.clone(),
                role: me.role.clone(),
                affiliation: me.affiliation.clone(),
                presence: stored.clone(),
                player: None,
                sessions: vec![Session {
                    jid: session.clone(),
                    presence: stored,
                }],
                occupant_id: me.occupant_id.clone(),
            };
            rooms.broadcast_presence(room, &target, &[], true, true, out);
            target
        }
    };
    let Some(arrived) = view(&target, session) else {
        return;
    };
    let statuses = if modified {
        vec![Status::AssignedNick]
    } else {
        Vec::new()
    };
    send(
        out,
        occupant_presence(&config, &arrived, &arrived, statuses, true),
    );
    // The old occupant is still there with its other sessions: to this one, someone else.
    if stays && let Some(old) = rooms.occupant(me.entity) {
        send(
            out,
            occupant_presence(&config, &old, &arrived, Vec::new(), true),
        );
    }
}

fn send(out: &mut Outbox, presences: Vec<Presence>) {
    for p in presences {
        out.send(p);
    }
}

#[cfg(test)]
#[path = "tests/session.rs"]
mod tests;
