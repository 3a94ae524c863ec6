//! Rooms and occupants as entities, the indexes that find them, and the presence every
//! occupant-facing feature builds on.

use std::collections::HashMap;

use bevy_ecs::prelude::*;
use bevy_ecs::system::SystemParam;
use xmpp_parsers::jid::{BareJid, FullJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::muc::user::{Affiliation, Item, MucUser, Role, Status};
use xmpp_parsers::presence::{Presence, Type as PresenceType};

use super::config::{RoomConfig, SharedConfig, Whois};
use super::player::Player;
pub use super::roster::Roster;
use super::roster::is_house_jid;
use crate::xmpp::muc_admin::AdminAffiliation;

/// A room; its JID is `room@service`.
#[derive(Component, Debug, Clone)]
pub struct Room {
    pub jid: BareJid,
}

/// A user's standing with the room: the affiliation (palaver's `player` included), the nick
/// reserved by registration (§7.10, §7.12) and the reason given when it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffiliationEntry {
    pub affiliation: AdminAffiliation,
    pub nick: Option<String>,
    pub reason: Option<String>,
}

/// Affiliations of users with the room, present or not (absent means none), in the order of
/// their JIDs. A sorted vector, not a map: most rooms hold one or a few entries, and a B-tree's
/// first node alone would cost about a kilobyte per room.
#[derive(Component, Debug, Clone, Default)]
pub struct Affiliations(Vec<(BareJid, AffiliationEntry)>);

impl Affiliations {
    fn position(&self, jid: &BareJid) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.cmp(jid))
    }
    /// The entry of `jid`, if it has one.
    pub fn entry(&self, jid: &BareJid) -> Option<&AffiliationEntry> {
        self.position(jid).ok().map(|i| &self.0[i].1)
    }
    pub fn entry_mut(&mut self, jid: &BareJid) -> Option<&mut AffiliationEntry> {
        self.position(jid).ok().map(|i| &mut self.0[i].1)
    }
    /// Sets `jid`'s entry as it is (the store's records are read back this way).
    pub fn insert(&mut self, jid: BareJid, entry: AffiliationEntry) {
        match self.position(&jid) {
            Ok(i) => self.0[i].1 = entry,
            Err(i) => {
                // Exactly: a vector's first growth would make room for four.
                self.0.reserve_exact(1);
                self.0.insert(i, (jid, entry));
            }
        }
    }
    /// Every entry, in the order of the JIDs.
    pub fn iter(&self) -> impl Iterator<Item = (&BareJid, &AffiliationEntry)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
    /// The affiliation as XEP-0045 clients see it: a player is a member on the wire.
    pub fn of(&self, jid: &BareJid) -> Affiliation {
        wire_affiliation(self.get(jid))
    }
    /// The affiliation with palaver's `player` kept.
    pub fn get(&self, jid: &BareJid) -> AdminAffiliation {
        self.entry(jid)
            .map_or(AdminAffiliation::None, |e| e.affiliation)
    }
    /// Sets an affiliation; `none` removes the entry (XEP-0045 keeps no "none list").
    pub fn set(&mut self, jid: BareJid, affiliation: AdminAffiliation, reason: Option<String>) {
        if affiliation == AdminAffiliation::None {
            if let Ok(i) = self.position(&jid) {
                self.0.remove(i);
            }
            return;
        }
        let nick = self.entry(&jid).and_then(|e| e.nick.clone());
        self.insert(
            jid,
            AffiliationEntry {
                affiliation,
                nick,
                reason,
            },
        );
    }
    /// Users holding `affiliation`.
    pub fn with(
        &self,
        affiliation: AdminAffiliation,
    ) -> impl Iterator<Item = (&BareJid, &AffiliationEntry)> {
        self.iter()
            .filter(move |(_, e)| e.affiliation == affiliation)
    }
    /// The user who reserved `nick` by registering, if any (compared as nicknames are).
    pub fn holder_of_nick(&self, nick: &str) -> Option<&BareJid> {
        let key = super::nick::key(nick);
        self.iter()
            .find(|(_, e)| {
                e.nick
                    .as_deref()
                    .is_some_and(|n| super::nick::key(n) == key)
            })
            .map(|(jid, _)| jid)
    }
}

/// The XEP-0045 value of an affiliation (§5.2): `player` is shown as `member`.
pub fn wire_affiliation(affiliation: AdminAffiliation) -> Affiliation {
    affiliation.standard().unwrap_or(Affiliation::Member)
}

/// Ties an occupant to its room.
#[derive(Component, Debug, Clone, Copy)]
#[relationship(relationship_target = Occupants)]
pub struct InRoom(pub Entity);

/// The room's side of [`InRoom`]; despawning a room despawns its occupants.
#[derive(Component, Debug, Default)]
#[relationship_target(relationship = InRoom, linked_spawn)]
pub struct Occupants(Vec<Entity>);

/// An occupant's JID in its room, `room@service/nick`: the nick is its resource.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct Nick(pub FullJid);

impl Nick {
    pub fn name(&self) -> &str {
        self.0.resource().as_str()
    }
}

/// The occupant's real full JID.
#[derive(Component, Debug, Clone, PartialEq, Eq)]
pub struct RealJid(pub FullJid);

/// The occupant's role.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct OccupantRole(pub Role);

/// The occupant's affiliation with the room, mirrored from [`Affiliations`] at join and on change.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct OccupantAffiliation(pub Affiliation);

/// The last available presence the occupant sent (show, status, priority, payloads): its
/// primary session's. Most occupants say no more than "available": that presence costs nothing
/// here; any other is kept boxed, out of the occupants' table.
#[derive(Component, Debug, Clone, Default)]
pub struct LastPresence(Option<Box<Presence>>);

impl LastPresence {
    pub fn new(presence: Presence) -> LastPresence {
        if presence == plain_presence() {
            LastPresence(None)
        } else {
            LastPresence(Some(Box::new(presence)))
        }
    }
    pub fn get(&self) -> Presence {
        self.0.as_deref().cloned().unwrap_or_else(plain_presence)
    }
}

/// An available presence with nothing in it, as [`super::join::stored_presence`] keeps it.
fn plain_presence() -> Presence {
    Presence::new(PresenceType::None)
}

/// One of an occupant's connections: a full JID of its user and the presence it last sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub jid: FullJid,
    pub presence: Presence,
}

/// The occupant's XEP-0421 occupant-id (its user's in this room), as the 16 bytes its 32
/// hexadecimal digits stand for: kept inline rather than as a string of its own.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccupantId([u8; 16]);

impl OccupantId {
    /// From [`super::occupant_id::ServiceKey::occupant_id`]'s digits (what is not a pair of
    /// hexadecimal digits reads as zero: the ids are the service's own).
    pub fn new(id: &str) -> OccupantId {
        let mut bytes = [0u8; 16];
        for (b, pair) in bytes.iter_mut().zip(id.as_bytes().chunks(2)) {
            *b = std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .unwrap_or(0);
        }
        OccupantId(bytes)
    }
    pub fn to_hex(&self) -> String {
        super::occupant_id::hex(&self.0)
    }
}

/// An occupant's sessions (§7.2.8: a user may be one occupant from several resources), oldest
/// first. The first is the primary: its JID is [`RealJid`] and its presence [`LastPresence`], what
/// the others see; every session gets the room's traffic. Empty while the occupant has only its
/// primary (nearly always), so that one session is not kept twice.
#[derive(Component, Debug, Clone, Default)]
pub struct Sessions(pub Vec<Session>);

impl Sessions {
    /// The JIDs of every session, the primary (`real`) first.
    pub fn jids<'a>(&'a self, real: &'a RealJid) -> impl Iterator<Item = &'a FullJid> + 'a {
        let single = self.0.is_empty().then_some(&real.0);
        single.into_iter().chain(self.0.iter().map(|s| &s.jid))
    }
    /// How many sessions the occupant has.
    pub fn count(&self) -> usize {
        self.0.len().max(1)
    }
}

/// Rooms by JID.
#[derive(Resource, Debug, Default)]
pub struct RoomIndex(pub HashMap<BareJid, Entity>);

/// Rooms whose last occupant left this round (cleanup decides their fate).
#[derive(Resource, Debug, Default)]
pub struct EmptiedRooms(pub Vec<Entity>);

/// One occupant as the presence builders need it.
#[derive(Debug, Clone)]
pub struct OccupantInfo {
    pub entity: Entity,
    /// `room@service/nick`.
    pub occupant_jid: FullJid,
    pub nick: String,
    pub jid: FullJid,
    pub role: Role,
    pub affiliation: Affiliation,
    pub presence: Presence,
    /// The player role (§ palaver), shown as hats.
    pub player: Option<Player>,
    /// Every session, the primary (`jid`, `presence`) first.
    pub sessions: Vec<Session>,
    /// XEP-0421.
    pub occupant_id: String,
}

impl OccupantInfo {
    /// The full JIDs the occupant's traffic goes to.
    pub fn session_jids(&self) -> impl Iterator<Item = &FullJid> + '_ {
        self.sessions.iter().map(|s| &s.jid)
    }
}

/// An occupant's components as [`Rooms`] reads and changes them.
pub type OccupantData = (
    &'static mut Nick,
    &'static mut RealJid,
    &'static mut OccupantRole,
    &'static mut OccupantAffiliation,
    &'static mut LastPresence,
    Option<&'static Player>,
);

/// Rooms and occupants with the lookups and changes every feature needs; the only place that
/// spawns, renames or despawns them, so the indexes stay exact.
#[derive(SystemParam)]
pub struct Rooms<'w, 's> {
    pub index: ResMut<'w, RoomIndex>,
    pub emptied: ResMut<'w, EmptiedRooms>,
    pub rooms: Query<
        'w,
        's,
        (
            &'static Room,
            &'static mut SharedConfig,
            &'static mut Roster,
            &'static mut Affiliations,
        ),
    >,
    pub occupants: Query<'w, 's, OccupantData>,
    pub sessions: Query<'w, 's, &'static mut Sessions>,
    pub ids: Query<'w, 's, &'static OccupantId>,
    pub key: Res<'w, super::occupant_id::ServiceKey>,
    pub commands: Commands<'w, 's>,
}

impl Rooms<'_, '_> {
    pub fn find(&self, jid: &BareJid) -> Option<Entity> {
        self.index.0.get(jid).copied()
    }
    pub fn jid(&self, room: Entity) -> Option<&BareJid> {
        self.rooms.get(room).ok().map(|r| &r.0.jid)
    }
    pub fn config(&self, room: Entity) -> Option<&RoomConfig> {
        self.rooms.get(room).ok().map(|r| &**r.1)
    }
    pub fn roster(&self, room: Entity) -> Option<&Roster> {
        self.rooms.get(room).ok().map(|r| r.2)
    }
    pub fn affiliations(&self, room: Entity) -> Option<&Affiliations> {
        self.rooms.get(room).ok().map(|r| r.3)
    }
    pub fn occupant(&self, entity: Entity) -> Option<OccupantInfo> {
        let (nick, jid, role, aff, presence, player) = self.occupants.get(entity).ok()?;
        let presence = presence.get();
        let sessions = match self.sessions.get(entity) {
            Ok(s) if !s.0.is_empty() => s.0.clone(),
            _ => vec![Session {
                jid: jid.0.clone(),
                presence: presence.clone(),
            }],
        };
        Some(OccupantInfo {
            entity,
            occupant_jid: nick.0.clone(),
            nick: nick.name().to_owned(),
            jid: jid.0.clone(),
            role: role.0.clone(),
            affiliation: aff.0.clone(),
            presence,
            player: player.cloned(),
            sessions,
            occupant_id: self
                .ids
                .get(entity)
                .map(OccupantId::to_hex)
                .unwrap_or_default(),
        })
    }

    /// The XEP-0421 occupant-id `user` has in `room`.
    pub fn occupant_id(&self, room: Entity, user: &BareJid) -> String {
        self.jid(room)
            .map(|r| self.key.occupant_id(r, user))
            .unwrap_or_default()
    }
    /// The occupant `from` is in `room`, if any.
    pub fn occupant_by_jid(&self, room: Entity, from: &FullJid) -> Option<OccupantInfo> {
        let entity = *self.roster(room)?.by_jid.get(from)?;
        self.occupant(entity)
    }
    /// The occupant a stanza from `from` comes from: only full JIDs are occupants.
    pub fn occupant_by_sender(&self, room: Entity, from: &Jid) -> Option<OccupantInfo> {
        self.occupant_by_jid(room, from.try_as_full().ok()?)
    }
    pub fn occupant_by_nick(&self, room: Entity, nick: &str) -> Option<OccupantInfo> {
        let entity = self.roster(room)?.nick(nick)?;
        self.occupant(entity)
    }
    /// The real JIDs of every session of `room`'s occupants, in join order (the cheap path for
    /// fan-out).
    pub fn real_jids(&self, room: Entity) -> impl Iterator<Item = &FullJid> + '_ {
        self.roster(room)
            .into_iter()
            .flat_map(|r| r.order.iter())
            .flat_map(|e| match (self.sessions.get(*e), self.occupants.get(*e)) {
                (Ok(s), Ok(o)) => s.jids(o.1).collect::<Vec<_>>(),
                (Err(_), Ok(o)) => vec![&o.1.0],
                _ => Vec::new(),
            })
    }

    /// Every occupant of `room`, in join order.
    pub fn occupants_of(&self, room: Entity) -> Vec<OccupantInfo> {
        self.roster(room)
            .map(|r| r.order.iter().filter_map(|e| self.occupant(*e)).collect())
            .unwrap_or_default()
    }

    /// Creates a room; `extra` are the components features add to a new room.
    pub fn spawn_room(
        &mut self,
        jid: BareJid,
        config: RoomConfig,
        owner: BareJid,
        extra: impl Bundle,
    ) -> Entity {
        let mut affiliations = Affiliations::default();
        affiliations.set(owner, AdminAffiliation::Owner, None);
        let entity = self
            .commands
            .spawn((
                Room { jid: jid.clone() },
                SharedConfig::from(config),
                Roster::default(),
                affiliations,
                extra,
            ))
            .id();
        self.index.0.insert(jid, entity);
        entity
    }

    /// Adds an occupant to `room`. The room entity must exist (possibly spawned this round).
    #[allow(clippy::too_many_arguments)]
    pub fn add_occupant(
        &mut self,
        room: Entity,
        occupant_jid: FullJid,
        jid: FullJid,
        role: Role,
        affiliation: Affiliation,
        presence: Presence,
    ) -> Entity {
        let nick = occupant_jid.resource().as_str().to_owned();
        let id = OccupantId::new(
            &self
                .key
                .occupant_id(&occupant_jid.to_bare(), &jid.to_bare()),
        );
        let entity = self
            .commands
            .spawn((
                Nick(occupant_jid),
                RealJid(jid.clone()),
                OccupantRole(role),
                OccupantAffiliation(affiliation),
                LastPresence::new(presence),
                Sessions::default(),
                id,
                InRoom(room),
            ))
            .id();
        if let Ok((_, _, mut roster, _)) = self.rooms.get_mut(room) {
            roster.insert(entity, &nick, &jid);
        } else {
            // The room was spawned this round (rounds hold one stanza per room, so this is its
            // first and only occupant so far).
            let mut roster = Roster::default();
            roster.insert(entity, &nick, &jid);
            self.commands.entity(room).insert(roster);
        }
        entity
    }

    /// Removes an occupant, every session of it, from its room's indexes and the world.
    pub fn remove_occupant(&mut self, room: Entity, occupant: &OccupantInfo) {
        if let Ok((_, _, mut roster, _)) = self.rooms.get_mut(room) {
            roster.remove(occupant.entity, &occupant.nick, &occupant.jid);
            for jid in occupant.session_jids() {
                roster.by_jid.remove(jid);
            }
            if roster.is_empty() {
                self.emptied.0.push(room);
            }
        }
        self.commands.entity(occupant.entity).despawn();
    }

    /// Adds a session (another resource of the same user) to an occupant (§7.2.8).
    pub fn add_session(
        &mut self,
        room: Entity,
        occupant: Entity,
        jid: FullJid,
        presence: Presence,
    ) {
        if let Ok(mut sessions) = self.sessions.get_mut(occupant) {
            // The primary, kept only in the occupant's own components until now.
            if sessions.0.is_empty()
                && let Ok(o) = self.occupants.get(occupant)
            {
                let primary = Session {
                    jid: o.1.0.clone(),
                    presence: o.4.get(),
                };
                sessions.0.push(primary);
            }
            sessions.0.retain(|s| s.jid != jid);
            sessions.0.push(Session {
                jid: jid.clone(),
                presence,
            });
        }
        if let Ok((_, _, mut roster, _)) = self.rooms.get_mut(room) {
            roster.by_jid.insert(jid, occupant);
        }
    }

    /// Takes one session away from an occupant that keeps others; the primary passes to the
    /// next oldest. Returns whether the primary changed.
    pub fn remove_session(&mut self, room: Entity, occupant: Entity, jid: &FullJid) -> bool {
        if let Ok((_, _, mut roster, _)) = self.rooms.get_mut(room) {
            roster.by_jid.remove(jid);
        }
        let Ok(mut sessions) = self.sessions.get_mut(occupant) else {
            return false;
        };
        let was_primary = sessions.0.first().is_some_and(|s| s.jid == *jid);
        sessions.0.retain(|s| s.jid != *jid);
        let primary = sessions.0.first().cloned();
        // One left: it is the primary, which the occupant's components hold.
        if sessions.0.len() == 1 {
            sessions.0 = Vec::new();
        }
        match primary {
            Some(primary) if was_primary => {
                if let Ok(mut o) = self.occupants.get_mut(occupant) {
                    o.1.0 = primary.jid;
                    *o.4 = LastPresence::new(primary.presence);
                }
                true
            }
            _ => false,
        }
    }

    /// Records a session's new presence (the occupant's own when it is the primary).
    pub fn set_session_presence(&mut self, occupant: Entity, jid: &FullJid, presence: Presence) {
        let mut primary = false;
        if let Ok(mut sessions) = self.sessions.get_mut(occupant) {
            if sessions.0.is_empty() {
                primary = self.occupants.get(occupant).is_ok_and(|o| o.1.0 == *jid);
            } else {
                primary = sessions.0.first().is_some_and(|s| s.jid == *jid);
                if let Some(s) = sessions.0.iter_mut().find(|s| s.jid == *jid) {
                    s.presence = presence.clone();
                }
            }
        }
        if primary && let Ok(mut o) = self.occupants.get_mut(occupant) {
            *o.4 = LastPresence::new(presence);
        }
    }

    /// Destroys a room and its occupants (no stanzas: callers send what the case needs).
    pub fn destroy_room(&mut self, room: Entity) {
        if let Ok((r, ..)) = self.rooms.get(room) {
            self.index.0.remove(&r.jid);
        }
        self.commands.entity(room).despawn();
    }

    /// Sends `subject`'s presence to every occupant of `room` (self included, with 110), in join
    /// order; `skip_self` leaves the subject out.
    pub fn broadcast_presence(
        &self,
        room: Entity,
        subject: &OccupantInfo,
        statuses: &[Status],
        available: bool,
        skip_self: bool,
        out: &mut crate::engine::Outbox,
    ) {
        let Some(config) = self.config(room) else {
            return;
        };
        for recipient in self.occupants_of(room) {
            if skip_self && recipient.entity == subject.entity {
                continue;
            }
            if !reaches(config, subject, &recipient) {
                continue;
            }
            for p in occupant_presence(config, subject, &recipient, statuses.to_vec(), available) {
                out.send(p);
            }
        }
    }
}

/// A stanza as each of `recipient`'s sessions gets it.
pub fn to_sessions<T: Clone + Addressed>(recipient: &OccupantInfo, stanza: T) -> Vec<T> {
    recipient
        .session_jids()
        .map(|jid| {
            let mut s = stanza.clone();
            s.set_to(Jid::from(jid.clone()));
            s
        })
        .collect()
}

/// Stanzas whose addressee can be set.
pub trait Addressed {
    fn set_to(&mut self, to: Jid);
}

impl Addressed for Presence {
    fn set_to(&mut self, to: Jid) {
        self.to = Some(to);
    }
}

impl Addressed for xmpp_parsers::message::Message {
    fn set_to(&mut self, to: Jid) {
        self.to = Some(to);
    }
}

/// Whether `subject`'s presence goes to `recipient`: always to oneself, to others only when the
/// room broadcasts the subject's role (`muc#roomconfig_presencebroadcast`, §5.1.1).
pub fn reaches(config: &RoomConfig, subject: &OccupantInfo, recipient: &OccupantInfo) -> bool {
    subject.entity == recipient.entity || config.presence_broadcast.contains(&subject.role)
}

/// Whether `viewer` may see real JIDs in this room (§5.1: whois, or the viewer is a moderator).
pub fn sees_jids(config: &RoomConfig, viewer_role: &Role) -> bool {
    config.whois == Whois::Anyone || *viewer_role == Role::Moderator
}

/// The presence of `subject` as each of `recipient`'s sessions gets it: from `room/nick`, with the
/// muc#user item (real JID only where the recipient may see it) and the given status codes.
/// `available: false` gives the unavailable form (role none), keeping only the status text. An
/// occupant hears of itself at each session with that session's own presence and JID (110).
pub fn occupant_presence(
    config: &RoomConfig,
    subject: &OccupantInfo,
    recipient: &OccupantInfo,
    statuses: Vec<Status>,
    available: bool,
) -> Vec<Presence> {
    if subject.entity != recipient.entity {
        let p = one_presence(config, subject, recipient, statuses, available);
        return to_sessions(recipient, p);
    }
    subject
        .sessions
        .iter()
        .map(|session| {
            let me = OccupantInfo {
                jid: session.jid.clone(),
                presence: session.presence.clone(),
                ..subject.clone()
            };
            let mut p = one_presence(config, &me, &me, statuses.clone(), available);
            if !available {
                // The leaver's own words, whichever session left.
                p.statuses = subject.presence.statuses.clone();
            }
            p
        })
        .collect()
}

/// [`occupant_presence`] for one addressee, `recipient.jid`.
pub fn one_presence(
    config: &RoomConfig,
    subject: &OccupantInfo,
    recipient: &OccupantInfo,
    statuses: Vec<Status>,
    available: bool,
) -> Presence {
    let mut p = if available {
        let mut p = subject.presence.clone();
        p.payloads
            .retain(|e| !e.is("x", xmpp_parsers::ns::MUC_USER));
        p
    } else {
        let mut p = Presence::new(PresenceType::Unavailable);
        p.statuses = subject.presence.statuses.clone();
        p
    };
    p.type_ = if available {
        PresenceType::None
    } else {
        PresenceType::Unavailable
    };
    p.id = None;
    p.from = Some(Jid::from(subject.occupant_jid.clone()));
    p.to = Some(Jid::from(recipient.jid.clone()));
    let role = if available {
        subject.role.clone()
    } else {
        Role::None
    };
    let mut item = Item::new(subject.affiliation.clone(), role);
    // The service's own occupants have no real JID to disclose.
    if sees_jids(config, &recipient.role) && !is_house_jid(&subject.jid) {
        item.jid = Some(subject.jid.clone());
    }
    let mut statuses = statuses;
    if subject.entity == recipient.entity && !statuses.contains(&Status::SelfPresence) {
        statuses.push(Status::SelfPresence);
    }
    p.payloads.push(muc_user(statuses, vec![item]));
    if available && let Some(player) = &subject.player {
        p.payloads.extend(player.badges());
    }
    if !subject.occupant_id.is_empty() {
        p.payloads
            .push(super::occupant_id::element(&subject.occupant_id));
    }
    p
}

/// The muc#user `<x/>` with status codes in ascending order and items that always carry their
/// affiliation and role (xmpp-parsers leaves out `none`, which XEP-0045's examples never do).
pub fn muc_user(mut statuses: Vec<Status>, items: Vec<Item>) -> Element {
    statuses.sort_by_key(status_code);
    let mut x: Element = MucUser {
        status: statuses,
        items,
        invite: None,
        decline: None,
        affiliations: None,
    }
    .into();
    for child in x.children_mut() {
        if child.is("item", xmpp_parsers::ns::MUC_USER) {
            for attr in [
                xmpp_parsers::minidom::rxml::xml_ncname!("affiliation"),
                xmpp_parsers::minidom::rxml::xml_ncname!("role"),
            ] {
                if child.attr(attr.as_str()).is_none() {
                    child.set_attr(
                        xmpp_parsers::minidom::rxml::Namespace::NONE,
                        attr.to_owned(),
                        "none",
                    );
                }
            }
        }
    }
    x
}

/// The numeric code of a status (for ordering).
pub fn status_code(status: &Status) -> u16 {
    let el: Element = status.clone().into();
    el.attr("code").and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// The occupant JID `room/nick`.
pub fn occupant_jid(room: &BareJid, nick: &str) -> Option<FullJid> {
    room.with_resource_str(nick).ok()
}
