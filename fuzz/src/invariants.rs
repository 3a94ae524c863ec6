//! What must hold of the world after every tick, whatever was sent: the shape of rooms and
//! occupants (the indexes `muc::room::Rooms` keeps), and the roles and affiliations of XEP-0045
//! §5 as the code's own rules (`muc::privileges`, `muc::join`, `muc::admin`, `muc::access`)
//! enforce them. Each check says why it holds; a broken one panics, which is a finding.

use std::collections::{BTreeMap, HashMap, HashSet};

use bevy_ecs::prelude::*;
use palaver::muc::config::{RoomConfig, SharedConfig};
use palaver::muc::player::Player;
use palaver::muc::room::{
    Affiliations, InRoom, LastPresence, Nick, OccupantAffiliation, OccupantRole, RealJid, Room,
    RoomIndex, Roster, Sessions, wire_affiliation,
};
use palaver::xmpp::muc_admin::AdminAffiliation;
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::muc::user::{Affiliation, Role};

/// One room as the checks see it.
struct RoomView {
    jid: BareJid,
    roster: Option<Roster>,
    affiliations: Option<Affiliations>,
    config: Option<RoomConfig>,
}

/// One occupant as the checks see it.
struct OccupantView {
    entity: Entity,
    room: Option<Entity>,
    nick: Option<Nick>,
    jid: Option<RealJid>,
    role: Option<Role>,
    affiliation: Option<Affiliation>,
    has_presence: bool,
    player: bool,
    /// The real JIDs of its sessions (one per client resource of the same user).
    sessions: Vec<xmpp_parsers::jid::FullJid>,
}

/// Checks every invariant; `admins` are the service administrators (owners in every room).
pub fn check(world: &mut World, admins: &[BareJid]) {
    let index: HashMap<BareJid, Entity> = world.resource::<RoomIndex>().0.clone();
    let mut rooms_q = world.query::<(
        Entity,
        &Room,
        Option<&Roster>,
        Option<&Affiliations>,
        Option<&SharedConfig>,
    )>();
    let rooms: BTreeMap<Entity, RoomView> = rooms_q
        .iter(world)
        .map(|(e, room, roster, affiliations, config)| {
            (
                e,
                RoomView {
                    jid: room.jid.clone(),
                    roster: roster.cloned(),
                    affiliations: affiliations.cloned(),
                    config: config.map(|c| (**c).clone()),
                },
            )
        })
        .collect();
    // An occupant is anything with any occupant component: a half-built one is a finding.
    let mut occupants_q = world.query_filtered::<(
        Entity,
        Option<&InRoom>,
        Option<&Nick>,
        Option<&RealJid>,
        Option<&OccupantRole>,
        Option<&OccupantAffiliation>,
        Option<&LastPresence>,
        Option<&Player>,
        Option<&Sessions>,
    ), Or<(
        With<InRoom>,
        With<Nick>,
        With<RealJid>,
        With<OccupantRole>,
        With<OccupantAffiliation>,
    )>>();
    let occupants: Vec<OccupantView> = occupants_q
        .iter(world)
        .map(
            |(entity, in_room, nick, jid, role, affiliation, presence, player, sessions)| {
                OccupantView {
                    entity,
                    room: in_room.map(|r| r.0),
                    nick: nick.cloned(),
                    jid: jid.cloned(),
                    role: role.map(|r| r.0.clone()),
                    affiliation: affiliation.map(|a| a.0.clone()),
                    has_presence: presence.is_some(),
                    player: player.is_some(),
                    sessions: sessions
                        .map(|s| s.0.iter().map(|s| s.jid.clone()).collect())
                        .unwrap_or_default(),
                }
            },
        )
        .collect();

    // The room index and the rooms are one: `Rooms::spawn_room` and `destroy_room` are the only
    // places that add and remove either, and they do both.
    for (jid, entity) in &index {
        let room = rooms
            .get(entity)
            .unwrap_or_else(|| panic!("the index names {jid} but its entity is no room"));
        assert_eq!(&room.jid, jid, "the index names a room by another JID");
    }
    assert_eq!(
        index.len(),
        rooms.len(),
        "a room is missing from the index: {:?}",
        rooms
            .values()
            .map(|r| r.jid.to_string())
            .collect::<Vec<_>>()
    );

    for (entity, room) in &rooms {
        let jid = &room.jid;
        // Every room is spawned with its roster, affiliations and configuration.
        let roster = room
            .roster
            .as_ref()
            .unwrap_or_else(|| panic!("{jid} has no roster"));
        let affiliations = room
            .affiliations
            .as_ref()
            .unwrap_or_else(|| panic!("{jid} has no affiliations"));
        let config = room
            .config
            .as_ref()
            .unwrap_or_else(|| panic!("{jid} has no configuration"));

        // §10.5 (and `privileges::keeps_an_owner`): a room always keeps an owner; a room is
        // created with its creator as owner and no change may remove the last one.
        assert!(
            affiliations.with(AdminAffiliation::Owner).next().is_some(),
            "{jid} has no owner: {affiliations:?}"
        );
        // §7.12: a reserved nickname belongs to one user (registration refuses a nickname
        // another user reserved).
        let mut reserved = HashSet::new();
        for (user, entry) in affiliations.iter() {
            if let Some(nick) = &entry.nick {
                assert!(
                    reserved.insert(nick.clone()),
                    "{jid}: the nickname {nick} is reserved twice (once by {user})"
                );
            }
        }

        // The roster indexes are exact (`Roster`'s own contract): each occupant once in the
        // join order, found by its nick and by its real JID.
        let members: Vec<&OccupantView> = occupants
            .iter()
            .filter(|o| o.room == Some(*entity))
            .collect();
        let order: HashSet<Entity> = roster.order.iter().copied().collect();
        assert_eq!(
            order.len(),
            roster.order.len(),
            "{jid}: an occupant twice in the join order"
        );
        let actual: HashSet<Entity> = members.iter().map(|o| o.entity).collect();
        assert_eq!(
            order, actual,
            "{jid}: the join order and the room's occupants differ"
        );
        assert_eq!(
            roster.by_nick.len(),
            roster.order.len(),
            "{jid}: the nick index and the join order differ: {roster:?}"
        );
        // One entry per session: a user's second resource shares its occupant.
        let sessions: usize = members.iter().map(|o| o.sessions.len().max(1)).sum();
        assert_eq!(
            roster.by_jid.len(),
            sessions,
            "{jid}: the JID index and the occupants' sessions differ: {roster:?}"
        );

        for o in members {
            let nick = o
                .nick
                .as_ref()
                .unwrap_or_else(|| panic!("{jid}: an occupant without a nick"));
            let real = o
                .jid
                .as_ref()
                .unwrap_or_else(|| panic!("{jid}: {} has no real JID", nick.0));
            assert_eq!(
                &nick.0.to_bare(),
                jid,
                "an occupant's JID is not in its room"
            );
            assert_eq!(
                roster.nick(nick.name()).as_ref(),
                Some(&o.entity),
                "{jid}: the nick index does not find {}",
                nick.0
            );
            assert_eq!(
                roster.by_jid.get(&real.0),
                Some(&o.entity),
                "{jid}: the JID index does not find {}",
                real.0
            );
            for session in &o.sessions {
                assert_eq!(
                    roster.by_jid.get(session),
                    Some(&o.entity),
                    "{jid}: the JID index does not find the session {session}"
                );
            }
            assert!(o.has_presence, "{}: no stored presence", nick.0);
            let role = o
                .role
                .clone()
                .unwrap_or_else(|| panic!("{}: no role", nick.0));
            let shown = o
                .affiliation
                .clone()
                .unwrap_or_else(|| panic!("{}: no affiliation", nick.0));
            let user = real.0.to_bare();
            let is_admin = admins.contains(&user);
            let listed = affiliations.get(&user);
            let what = format!(
                "{} ({}, role {role:?}, shown as {shown:?}, listed as {listed:?}{}{})",
                nick.0,
                real.0,
                if is_admin { ", service admin" } else { "" },
                if o.player { ", player" } else { "" },
            );

            // §5.1: an occupant has a role; `none` is the absence of one (leaving, kicked).
            assert_ne!(role, Role::None, "an occupant without a role: {what}");
            // The affiliation an occupant is shown with is the room's list entry (§5.2), as
            // `join::affiliation_and_role` sets it and `admin::set_affiliation` updates it, a
            // player shown as member; service administrators join as owners everywhere.
            assert!(
                shown == wire_affiliation(listed) || (is_admin && shown == Affiliation::Owner),
                "the shown affiliation is not the room's: {what}"
            );
            // §5.2.1 / §7.2.7: an outcast may not be in the room: banning removes (301) and a
            // banned user's join is refused. (A service administrator is an owner even if
            // listed as an outcast.)
            let effective = if is_admin {
                AdminAffiliation::Owner
            } else {
                listed
            };
            assert_ne!(
                effective,
                AdminAffiliation::Outcast,
                "an outcast is in the room: {what}"
            );
            assert_ne!(shown, Affiliation::Outcast, "an outcast is shown: {what}");
            // §5.1.2 and §5.2: owners and admins are moderators (their default role, which
            // `privileges::may_set_role` never lets anyone revoke, and which
            // `set_affiliation` gives on promotion). So a visitor is never an owner or admin.
            if matches!(shown, Affiliation::Owner | Affiliation::Admin) {
                assert_eq!(
                    role,
                    Role::Moderator,
                    "an owner or admin is not a moderator: {what}"
                );
            }
            // §7.2.6 / §9.4 / §9.5: a members-only room has no unaffiliated occupant: such a
            // join is refused (registration-required), making a room members-only removes them
            // (322) and losing membership there removes them (321).
            if config.members_only {
                assert_ne!(
                    shown,
                    Affiliation::None,
                    "an unaffiliated occupant in a members-only room: {what}"
                );
            }
            // palaver's player role comes with voice (`admin::set_role`): a seat is for
            // someone who may speak, so a player is never a visitor.
            if o.player {
                assert_ne!(role, Role::Visitor, "a player without voice: {what}");
            }
        }
    }

    // No occupant outside a room: `InRoom` is a relationship whose room despawns its
    // occupants (linked spawn), and every occupant is spawned with one.
    for o in &occupants {
        let room = o
            .room
            .unwrap_or_else(|| panic!("an occupant without a room: {:?}", o.nick));
        assert!(
            rooms.contains_key(&room),
            "an occupant whose room is gone: {:?}",
            o.nick
        );
    }
}
