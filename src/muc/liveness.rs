//! Who is still there (§11.1's 333 removals, done by asking): after the link comes up — palaver
//! started, or the server restarted under it — every occupant session is sent a disco#info
//! request from the room. Any client answers one; a session the server no longer knows is
//! answered with an error by the server, and it is removed with 333 so that rooms reflect
//! reality within seconds and its user's new session is not refused its own nick.
//!
//! Sessions of persistent rooms are stored (`store::capture`); after palaver itself restarted
//! they are asked the same question before they are occupants again: one that answers is put
//! back as it was (its client never noticed the crash), one that does not is told it was
//! removed (110 + 333), so a crash is invisible or explained, never silent.
//!
//! disco#info rather than XEP-0199 ping: a live client that does not implement ping answers with
//! the same `service-unavailable` a server gives for a session it no longer has.

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use chrono::{DateTime, Duration, Utc};
use xmpp_parsers::iq::Iq;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::muc::user::{Affiliation, Item, Role, Status};
use xmpp_parsers::presence::{Presence, Type as PresenceType};
use xmpp_parsers::stanza_error::DefinedCondition;

use super::presence::OccupancyChange;
use super::room::{InRoom, RealJid, Rooms, Sessions, muc_user, occupant_jid};
use crate::engine::route::IqAnswer;
use crate::engine::{EngineBuilder, Feature, LinkUp, Now, Outbox, Phase, Wakeup};

/// Ids of our probes start with this.
const PROBE_ID: &str = "palaver-alive-";
/// A probe unanswered this long, or answered with an error that says nothing of the session
/// (its server unreachable, or not yet serving after a restart), is sent again ...
const RETRY_SECS: i64 = 10;
/// ... up to this many times in all; then a live session is kept, a stored one told it was
/// removed.
const TRIES: u8 = 3;
/// A link that comes up this long after a probe was sent asks that session again.
const RE_ASK_SECS: i64 = 2;

/// A session that was in a persistent room before palaver restarted.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSession {
    pub room: BareJid,
    pub jid: FullJid,
    pub nick: String,
    pub role: Role,
}

/// Stored sessions not yet asked about (filled at start from the store).
#[derive(Resource, Debug, Default)]
pub struct Restorable(pub Vec<StoredSession>);

/// Rooms were loaded while the link is up (an instance of several claimed them): their stored
/// sessions are asked about now, the live ones are not.
#[derive(Message, Debug, Clone, Copy)]
pub struct AskStored;

#[derive(Debug, Clone)]
enum Asked {
    /// A current occupant's session.
    Live { occupant: Entity },
    /// A session from before the restart.
    Stored(StoredSession),
}

#[derive(Debug, Clone)]
struct Probe {
    room: BareJid,
    session: FullJid,
    asked: Asked,
    at: DateTime<Utc>,
    tries: u8,
}

/// Probes waiting for an answer, by id.
#[derive(Resource, Debug, Default)]
pub struct Probes {
    next: u64,
    pending: HashMap<String, Probe>,
    /// Stored occupants found gone, by room: those put back later hear that they left.
    gone: HashMap<BareJid, Vec<(String, BareJid)>>,
}

pub struct LivenessPlugin;

impl Feature for LivenessPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<Probes>();
        engine.world.init_resource::<Restorable>();
        engine.add_message::<AskStored>();
        engine.add_systems(
            (ask_everyone, judge_answers)
                .chain()
                .in_set(Phase::Presence),
        );
        engine.add_systems(give_up.in_set(Phase::Timers));
    }
}

fn probe(id: &str, room: &BareJid, to: &FullJid) -> Iq {
    Iq::Get {
        from: Some(Jid::from(room.clone())),
        to: Some(Jid::from(to.clone())),
        id: id.to_owned(),
        payload: Element::builder("query", xmpp_parsers::ns::DISCO_INFO).build(),
    }
}

/// On a link coming up, asks every session (current and stored) whether it is there.
fn ask_everyone(
    (mut ups, mut stored_only): (MessageReader<LinkUp>, MessageReader<AskStored>),
    mut probes: ResMut<Probes>,
    mut restorable: ResMut<Restorable>,
    sessions: Query<(Entity, &RealJid, &Sessions, &InRoom)>,
    rooms: Query<&super::room::Room>,
    now: Res<Now>,
    mut out: ResMut<Outbox>,
) {
    let up = ups.read().count() > 0;
    if !up && stored_only.read().count() == 0 {
        return;
    }
    if probes.pending.is_empty() {
        probes.gone.clear();
    }
    // Several links coming up together ask each session once. A probe sent before an earlier
    // link went down again may never have reached the server (one restarting drops what comes
    // early), so a later link-up asks anew and forgets the older question.
    let fresh = Duration::seconds(RE_ASK_SECS);
    let asked: std::collections::HashSet<FullJid> = probes
        .pending
        .values()
        .filter(|p| now.0 - p.at < fresh)
        .map(|p| p.session.clone())
        .collect();
    let mut asks: Vec<(BareJid, FullJid, Asked)> = Vec::new();
    for (occupant, real, sessions, in_room) in sessions.iter().filter(|_| up) {
        let Ok(room) = rooms.get(in_room.0) else {
            continue;
        };
        // The room's own occupants (a game's table, the computer) have no session to ask.
        for jid in sessions
            .jids(real)
            .filter(|jid| jid.domain().as_str() != super::player::HOUSE_DOMAIN)
        {
            asks.push((room.jid.clone(), jid.clone(), Asked::Live { occupant }));
        }
    }
    if up {
        // Stored sessions asked before an earlier link went down are asked again.
        for p in probes.pending.values() {
            if let Asked::Stored(stored) = &p.asked
                && !asked.contains(&p.session)
            {
                asks.push((
                    stored.room.clone(),
                    stored.jid.clone(),
                    Asked::Stored(stored.clone()),
                ));
            }
        }
    }
    for stored in restorable.0.drain(..) {
        asks.push((
            stored.room.clone(),
            stored.jid.clone(),
            Asked::Stored(stored),
        ));
    }
    for (room, session, what) in asks {
        if asked.contains(&session) {
            continue;
        }
        probes.pending.retain(|_, p| p.session != session);
        let id = format!("{PROBE_ID}{}", probes.next);
        probes.next += 1;
        out.send(probe(&id, &room, &session));
        probes.pending.insert(
            id,
            Probe {
                room,
                session,
                asked: what,
                at: now.0,
                tries: 1,
            },
        );
    }
}

/// Errors that say nothing about the session (its server is unreachable): undecided.
fn undecided(condition: &DefinedCondition) -> bool {
    matches!(
        condition,
        DefinedCondition::RemoteServerNotFound | DefinedCondition::RemoteServerTimeout
    )
}

/// Acts on the answers: a live session that is gone leaves with 333; a stored one that answers
/// is put back, one that does not is told it was removed.
fn judge_answers(
    mut answers: MessageReader<IqAnswer>,
    mut probes: ResMut<Probes>,
    mut rooms: Rooms,
    mut changes: MessageWriter<OccupancyChange>,
    mut out: ResMut<Outbox>,
) {
    for answer in answers.read() {
        let id = answer.iq.id();
        if !id.starts_with(PROBE_ID) {
            continue;
        }
        // Only the session asked may answer.
        let Some(probe) = probes.pending.get(id) else {
            continue;
        };
        if answer.from.as_str() != probe.session.as_str() {
            continue;
        }
        let alive = match &answer.iq {
            Iq::Result { .. } => Some(true),
            Iq::Error { error, .. } if undecided(&error.defined_condition) => None,
            Iq::Error { .. } => Some(false),
            _ => None,
        };
        // An answer that says nothing leaves the question open: it is asked again in time.
        if alive.is_none() {
            continue;
        }
        let Some(probe) = probes.pending.remove(id) else {
            continue;
        };
        match (probe.asked, alive) {
            (Asked::Live { occupant }, Some(false)) => {
                let still = rooms
                    .occupant(occupant)
                    .is_some_and(|o| o.session_jids().any(|j| *j == probe.session));
                if still {
                    changes.write(OccupancyChange::Bounced {
                        occupant,
                        session: probe.session,
                    });
                }
            }
            (Asked::Stored(stored), Some(true)) => {
                let gone = probes.gone.get(&stored.room).cloned().unwrap_or_default();
                restore(&mut rooms, stored, &gone, &mut out)
            }
            (Asked::Stored(stored), _) => {
                removed(&mut rooms, &stored, &mut out);
                probes
                    .gone
                    .entry(stored.room.clone())
                    .or_default()
                    .push((stored.nick, stored.jid.to_bare()));
            }
            (Asked::Live { .. }, _) => {}
        }
    }
}

/// Unanswered probes are sent again, up to [`TRIES`] in all; then a live session keeps its
/// place and a stored one is told it was removed.
fn give_up(
    mut probes: ResMut<Probes>,
    mut rooms: Rooms,
    now: Res<Now>,
    mut wakeup: ResMut<Wakeup>,
    mut out: ResMut<Outbox>,
) {
    let retry = Duration::seconds(RETRY_SECS);
    let mut due: Vec<String> = probes
        .pending
        .iter()
        .filter(|(_, p)| now.0 - p.at >= retry)
        .map(|(id, _)| id.clone())
        .collect();
    due.sort();
    for id in due {
        let Some(probe) = probes.pending.remove(&id) else {
            continue;
        };
        if probe.tries < TRIES {
            let id = format!("{PROBE_ID}{}", probes.next);
            probes.next += 1;
            out.send(self::probe(&id, &probe.room, &probe.session));
            probes.pending.insert(
                id,
                Probe {
                    at: now.0,
                    tries: probe.tries + 1,
                    ..probe
                },
            );
        } else if let Asked::Stored(stored) = probe.asked {
            removed(&mut rooms, &stored, &mut out);
            probes
                .gone
                .entry(stored.room.clone())
                .or_default()
                .push((stored.nick, stored.jid.to_bare()));
        }
    }
    if let Some(first) = probes.pending.values().map(|p| p.at).min() {
        wakeup.at(first + retry);
    }
}

/// Puts a stored session back into its room as it was. It hears only that the occupants found
/// `gone` left; those who entered since the restart hear of it as of any arrival.
fn restore(rooms: &mut Rooms, stored: StoredSession, gone: &[(String, BareJid)], out: &mut Outbox) {
    let Some(room) = rooms.find(&stored.room) else {
        return removed(rooms, &stored, out);
    };
    // Back by itself already (a rejoin since the restart): nothing to do.
    if rooms.occupant_by_jid(room, &stored.jid).is_some() {
        return;
    }
    let Some(occupant_jid) = occupant_jid(&stored.room, &stored.nick) else {
        return;
    };
    for (nick, user) in gone {
        if rooms.occupant_by_nick(room, nick).is_none()
            && let Some(from) = super::room::occupant_jid(&stored.room, nick)
        {
            let id = rooms.key.occupant_id(&stored.room, user);
            out.send(left_with_333(&from, &id, &stored.jid, false));
        }
    }
    let user = stored.jid.to_bare();
    let affiliation = rooms
        .affiliations(room)
        .map_or(Affiliation::None, |a| a.of(&user));
    let mut presence = Presence::new(PresenceType::None);
    presence.from = Some(stored.jid.clone().into());
    presence.to = Some(occupant_jid.clone().into());
    match rooms.occupant_by_nick(room, &stored.nick) {
        // Another session of the same user holds the nick: this one joins it.
        Some(holder) if holder.jid.to_bare() == user => {
            rooms.add_session(room, holder.entity, stored.jid.clone(), presence);
        }
        // Someone else took the nick meanwhile; a banned user stays out.
        Some(_) => removed(rooms, &stored, out),
        None if affiliation == Affiliation::Outcast => removed(rooms, &stored, out),
        None => {
            let entity = rooms.add_occupant(
                room,
                occupant_jid,
                stored.jid.clone(),
                stored.role.clone(),
                affiliation.clone(),
                presence,
            );
            // Occupants who entered since the restart learn of it as of an arrival; those
            // restored already knew. (The new entity is spawned when the round's commands run,
            // so its presence is built from what we know.)
            let me = super::room::OccupantInfo {
                entity,
                occupant_jid: occupant_jid_of(&stored),
                nick: stored.nick.clone(),
                jid: stored.jid.clone(),
                role: stored.role.clone(),
                affiliation,
                presence: Presence::new(PresenceType::None),
                player: None,
                sessions: vec![super::room::Session {
                    jid: stored.jid.clone(),
                    presence: Presence::new(PresenceType::None),
                }],
                occupant_id: rooms.occupant_id(room, &stored.jid.to_bare()),
            };
            rooms.broadcast_presence(room, &me, &[], true, true, out);
        }
    }
}

/// `from` left because of a technical problem (333), told to `to` (110 when it is `to` itself).
pub(crate) fn left_with_333(
    from: &FullJid,
    occupant_id: &str,
    to: &FullJid,
    itself: bool,
) -> Presence {
    let mut p = Presence::new(PresenceType::Unavailable);
    p.from = Some(from.clone().into());
    p.to = Some(to.clone().into());
    let statuses = if itself {
        vec![Status::SelfPresence, Status::ServiceErrorKick]
    } else {
        vec![Status::ServiceErrorKick]
    };
    p.payloads.push(muc_user(
        statuses,
        vec![Item::new(Affiliation::None, Role::None)],
    ));
    p.payloads.push(super::occupant_id::element(occupant_id));
    p
}

fn occupant_jid_of(stored: &StoredSession) -> FullJid {
    occupant_jid(&stored.room, &stored.nick).unwrap_or_else(|| stored.jid.clone())
}

/// §11.1: tells a stored session it is no longer in the room (110 + 333), and the room that
/// the occupant it was is gone.
fn removed(rooms: &mut Rooms, stored: &StoredSession, out: &mut Outbox) {
    let from = occupant_jid_of(stored);
    let id = rooms.key.occupant_id(&stored.room, &stored.jid.to_bare());
    out.send(left_with_333(&from, &id, &stored.jid, true));
    let Some(room) = rooms.find(&stored.room) else {
        return;
    };
    // Those put back still see the gone occupant in their rosters: they hear it leave.
    if rooms.occupant_by_nick(room, &stored.nick).is_none() {
        for recipient in rooms.occupants_of(room) {
            for to in recipient.session_jids() {
                out.send(left_with_333(&from, &id, to, false));
            }
        }
    }
    // The store forgets the session with the room's next capture.
    if let Ok((_, _, mut roster, _)) = rooms.rooms.get_mut(room) {
        roster.set_changed();
    }
}

#[cfg(test)]
#[path = "tests/liveness.rs"]
mod tests;
