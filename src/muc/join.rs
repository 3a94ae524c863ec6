//! Entering a room (§7.2): join requests, the pre-join checks any feature may add, creating a
//! room on first join (§10.1.1), and the presences a joiner and the room receive. History and
//! subject follow in their own modules, reacting to [`Joined`].

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::FullJid;
use xmpp_parsers::muc::Muc;
use xmpp_parsers::muc::user::{Affiliation, Role, Status};
use xmpp_parsers::presence::Presence;
use xmpp_parsers::stanza_error::StanzaError;

use super::config::{RoomConfig, Whois};
use super::player::Player;
use super::room::{OccupantInfo, Rooms, Session, occupant_presence, reaches};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, presence_error};

/// A user asking to enter a room, or an occupant asking to be sent the room's state again.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub from: FullJid,
    /// `room@service/nick`.
    pub occupant_jid: FullJid,
    /// `None`: the room does not exist and this join creates it.
    pub room: Option<Entity>,
    /// The presence as sent (for the error reply and the occupant's stored presence).
    pub presence: Presence,
    /// The `<x xmlns='http://jabber.org/protocol/muc'/>` element: password, history wishes.
    pub muc: Muc,
    /// Set by the pre-join phase.
    pub affiliation: Affiliation,
    pub role: Role,
    /// `Some(occupant)`: §17.3 resynchronisation of an existing occupant.
    pub resync: Option<Entity>,
    /// Set by any pre-join check that refuses the join; the first refusal stands.
    pub refusal: Option<StanzaError>,
    /// The room enforced the nickname into another form than asked (status 210, §7.2).
    pub nick_modified: bool,
    /// §7.2.8: the nick is held by an occupant of the same user; this is a new session of it.
    pub session_of: Option<Entity>,
    /// The player role the joiner enters with (a game room gives back a kept seat), so that
    /// the join's presences already carry it.
    pub player: Option<Player>,
}

impl JoinRequest {
    pub fn refuse(&mut self, err: StanzaError) {
        if self.refusal.is_none() {
            self.refusal = Some(err);
        }
    }
    /// Still to be decided: not refused, not a resynchronisation.
    pub fn is_open(&self) -> bool {
        self.refusal.is_none() && self.resync.is_none()
    }
    pub fn nick(&self) -> &str {
        self.occupant_jid.resource().as_str()
    }
}

/// This round's join requests, in arrival order.
#[derive(Resource, Debug, Default)]
pub struct JoinRequests(pub Vec<JoinRequest>);

/// A room was created by a join (features that add state to new rooms react to it).
#[derive(Message, Debug, Clone)]
pub struct RoomCreated {
    pub room: Entity,
    pub owner: FullJid,
}

/// Someone entered a room (or resynchronised): history and subject are sent after this.
#[derive(Message, Debug, Clone)]
pub struct Joined {
    pub room: Entity,
    pub occupant: Entity,
    pub to: FullJid,
    pub muc: Muc,
}

/// The pre-join checks in the order their refusals take precedence (§7.2.5–§7.2.9): who you
/// are (ban, membership, password), then the nick, then room capacity.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PreJoinStep {
    Affiliation,
    Access,
    Nick,
    Capacity,
}

/// Systems that must run between the presences of a join and the subject that closes it.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinSteps {
    Presences,
    History,
    Subject,
}

pub struct JoinPlugin;

impl Feature for JoinPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<JoinRequests>();
        engine.add_message::<RoomCreated>().add_message::<Joined>();
        engine.schedule.configure_sets(
            (JoinSteps::Presences, JoinSteps::History, JoinSteps::Subject)
                .chain()
                .in_set(Phase::Join),
        );
        engine.schedule.configure_sets(
            (
                PreJoinStep::Affiliation,
                PreJoinStep::Access,
                PreJoinStep::Nick,
                PreJoinStep::Capacity,
            )
                .chain()
                .in_set(Phase::PreJoin),
        );
        engine.add_systems((
            affiliation_and_role.in_set(PreJoinStep::Affiliation),
            refuse_nick_conflict.in_set(PreJoinStep::Nick),
            refuse_when_full.in_set(PreJoinStep::Capacity),
        ));
        engine.add_systems(join.in_set(JoinSteps::Presences));
    }
}

/// The joiner's affiliation (service admins are owners everywhere) and default role (§5.1.2);
/// a new session takes its occupant's role.
fn affiliation_and_role(mut requests: ResMut<JoinRequests>, rooms: Rooms, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.resync.is_none()) {
        if let Some(occupant) = req.session_of.and_then(|o| rooms.occupant(o)) {
            req.affiliation = occupant.affiliation;
            req.role = occupant.role;
            continue;
        }
        let bare = req.from.to_bare();
        let mut affiliation = match req.room.and_then(|r| rooms.affiliations(r)) {
            Some(affs) => affs.of(&bare),
            // The creator of a room is its owner.
            None => Affiliation::Owner,
        };
        if service.is_admin(&bare) {
            affiliation = Affiliation::Owner;
        }
        let moderated = req
            .room
            .and_then(|r| rooms.config(r))
            .is_some_and(|c| c.moderated);
        req.role = default_role(&affiliation, moderated);
        req.affiliation = affiliation;
    }
}

/// §5.1.2: owners and admins moderate; in a moderated room unaffiliated users are visitors.
pub fn default_role(affiliation: &Affiliation, moderated: bool) -> Role {
    match affiliation {
        Affiliation::Owner | Affiliation::Admin => Role::Moderator,
        Affiliation::Member => Role::Participant,
        Affiliation::None if moderated => Role::Visitor,
        Affiliation::None => Role::Participant,
        Affiliation::Outcast => Role::None,
    }
}

/// §7.2.8: a nick another user holds gives conflict (its own user enters as a new session).
fn refuse_nick_conflict(mut requests: ResMut<JoinRequests>, rooms: Rooms, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        let Some(room) = req.room else { continue };
        if rooms
            .occupant_by_nick(room, req.nick())
            .is_some_and(|o| o.jid.to_bare() != req.from.to_bare())
        {
            req.refuse(errors::conflict(
                &service.jid,
                Some("That nickname is already in use by another occupant"),
            ));
        }
    }
}

/// §7.2.9: a full room gives service-unavailable, except to owners and admins.
fn refuse_when_full(mut requests: ResMut<JoinRequests>, rooms: Rooms, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        let Some(room) = req.room else { continue };
        let (Some(config), Some(roster)) = (rooms.config(room), rooms.roster(room)) else {
            continue;
        };
        // A new session of an occupant is no new occupant.
        let privileged = matches!(req.affiliation, Affiliation::Owner | Affiliation::Admin)
            || req.session_of.is_some();
        if let Some(max) = config.max_users
            && roster.len() >= max as usize
            && !privileged
        {
            req.refuse(errors::service_unavailable(
                &service.jid,
                Some("This room has reached its maximum number of occupants"),
            ));
        }
    }
}

/// Carries out the round's join requests: refusals get their error presence, the rest enter.
fn join(
    mut requests: ResMut<JoinRequests>,
    mut rooms: Rooms,
    mut out: ResMut<Outbox>,
    mut created: MessageWriter<RoomCreated>,
    mut joined: MessageWriter<Joined>,
) {
    for req in std::mem::take(&mut requests.0) {
        if let Some(err) = req.refusal {
            out.send_opt(presence_error(&req.presence, err));
            continue;
        }
        if let Some(occupant) = req.resync {
            resync(&mut rooms, &mut out, &req, occupant, &mut joined);
            continue;
        }
        if let (Some(room), Some(occupant)) = (req.room, req.session_of) {
            super::session::join_session(&mut rooms, &mut out, &req, room, occupant, &mut joined);
            continue;
        }
        let mut statuses = Vec::new();
        let room = match req.room {
            Some(room) => room,
            None => {
                let room = rooms.spawn_room(
                    req.occupant_jid.to_bare(),
                    RoomConfig::default(),
                    req.from.to_bare(),
                    (),
                );
                created.write(RoomCreated {
                    room,
                    owner: req.from.clone(),
                });
                statuses.push(Status::RoomHasBeenCreated);
                room
            }
        };
        let config = rooms.config(room).cloned().unwrap_or_default();
        let existing = rooms.occupants_of(room);
        let presence = stored_presence(&req.presence);
        let entity = rooms.add_occupant(
            room,
            req.occupant_jid.clone(),
            req.from.clone(),
            req.role.clone(),
            req.affiliation.clone(),
            presence.clone(),
        );
        if let Some(player) = &req.player {
            rooms.commands.entity(entity).insert(player.clone());
        }
        let me = OccupantInfo {
            entity,
            occupant_jid: req.occupant_jid.clone(),
            nick: req.nick().to_owned(),
            jid: req.from.clone(),
            role: req.role.clone(),
            affiliation: req.affiliation.clone(),
            presence: presence.clone(),
            player: req.player.clone(),
            sessions: vec![Session {
                jid: req.from.clone(),
                presence,
            }],
            occupant_id: rooms
                .key
                .occupant_id(&req.occupant_jid.to_bare(), &req.from.to_bare()),
        };
        for other in existing.iter().filter(|o| reaches(&config, o, &me)) {
            send(
                &mut out,
                occupant_presence(&config, other, &me, Vec::new(), true),
            );
        }
        for other in existing.iter().filter(|o| reaches(&config, &me, o)) {
            send(
                &mut out,
                occupant_presence(&config, &me, other, Vec::new(), true),
            );
        }
        if req.nick_modified {
            statuses.push(Status::AssignedNick);
        }
        send(
            &mut out,
            occupant_presence(&config, &me, &me, self_statuses(&config, statuses), true),
        );
        joined.write(Joined {
            room,
            occupant: entity,
            to: req.from.clone(),
            muc: req.muc.clone(),
        });
    }
}

/// §17.3: everything a join sends, sent again to an occupant that joins once more.
fn resync(
    rooms: &mut Rooms,
    out: &mut Outbox,
    req: &JoinRequest,
    occupant: Entity,
    joined: &mut MessageWriter<Joined>,
) {
    let Some(room) = req.room else { return };
    rooms.set_session_presence(occupant, &req.from, stored_presence(&req.presence));
    let (Some(config), Some(me)) = (rooms.config(room).cloned(), rooms.occupant(occupant)) else {
        return;
    };
    // Only the session that asked hears it all again.
    let Some(me) = super::session::view(&me, &req.from) else {
        return;
    };
    for other in rooms.occupants_of(room) {
        if other.entity != me.entity && reaches(&config, &other, &me) {
            send(
                out,
                occupant_presence(&config, &other, &me, Vec::new(), true),
            );
        }
    }
    send(
        out,
        occupant_presence(&config, &me, &me, self_statuses(&config, Vec::new()), true),
    );
    joined.write(Joined {
        room,
        occupant,
        to: req.from.clone(),
        muc: req.muc.clone(),
    });
}

fn send(out: &mut Outbox, presences: Vec<Presence>) {
    for p in presences {
        out.send(p);
    }
}

/// Status codes of the joiner's own presence besides 110 (§7.2.3, §7.2.12).
pub fn self_statuses(config: &RoomConfig, mut statuses: Vec<Status>) -> Vec<Status> {
    if config.whois == Whois::Anyone {
        statuses.insert(0, Status::NonAnonymousRoom);
    }
    if config.logging {
        statuses.push(Status::ConfigRoomLoggingEnabled);
    }
    statuses
}

/// The presence kept for an occupant: what the user sent, minus the join element and addresses.
pub fn stored_presence(p: &Presence) -> Presence {
    let mut p = p.clone();
    // Hats and seats are the room's to state: a client's own would be spoofing.
    p.payloads.retain(|e| {
        !e.is("x", xmpp_parsers::ns::MUC)
            && !e.is("x", xmpp_parsers::ns::MUC_USER)
            && e.ns() != super::player::HATS_NS
            && e.ns() != super::player::NS
            && !super::occupant_id::is_occupant_id(e)
    });
    p.from = None;
    p.to = None;
    p.id = None;
    p
}

#[cfg(test)]
#[path = "tests/join.rs"]
mod tests;
