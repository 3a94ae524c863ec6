//! Moderation and affiliation lists through muc#admin (§8 moderators, §9 admins, §10.3–§10.8
//! owners): kick, voice, ban, moderator, member/admin/owner/outcast and palaver's player lists.
//! A set is checked item by item against [`super::privileges`] first and applied only when every
//! item passes (all or nothing); presences go out before the result (§8.2's order).

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::muc::user::{Affiliation, Role, Status};

use super::join::default_role;
use super::player::Player;
use super::privileges::{
    self, Actor, Denied, Target, keeps_an_owner, may_get_affiliation_list, may_get_role_list,
    may_set_affiliation, may_set_role,
};
use super::room::{OccupantInfo, Rooms, occupant_presence, reaches, wire_affiliation};
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;
use crate::xmpp::muc_admin::{self, AdminAffiliation, AdminItem, AdminQuery, AdminRole};

pub struct AdminPlugin;

impl Feature for AdminPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, muc_admin::NS);
        engine.add_systems(admin.in_set(Phase::Iq));
    }
}

/// One checked change of a set request.
#[derive(Debug, Clone)]
enum Change {
    Role {
        occupant: Box<OccupantInfo>,
        role: AdminRole,
        reason: Option<String>,
    },
    Affiliation {
        jid: BareJid,
        affiliation: AdminAffiliation,
        reason: Option<String>,
    },
}

/// Who did it, as occupants are told (`<actor nick/>`), and why.
#[derive(Debug, Clone, Default)]
pub struct Cause {
    pub actor_nick: Option<String>,
    pub reason: Option<String>,
}

fn admin(
    mut iqs: MessageReader<IqIn>,
    mut rooms: Rooms,
    players: Query<(), With<Player>>,
    service: Res<Service>,
    mut commands: Commands,
    mut out: ResMut<Outbox>,
) {
    for iq in iqs.read().filter(|iq| iq.ns == muc_admin::NS) {
        let IqTarget::Room(jid) = &iq.target else {
            continue;
        };
        let Some(room) = rooms.find(jid) else {
            out.send(iq.error(errors::item_not_found(
                &service.jid,
                Some("This room does not exist"),
            )));
            continue;
        };
        let query = match AdminQuery::try_from(iq.payload.clone()) {
            Ok(q) if !q.items.is_empty() => q,
            Ok(_) => {
                out.send(iq.error(errors::bad_request(
                    &service.jid,
                    Some("The query needs at least one item"),
                )));
                continue;
            }
            Err(e) => {
                out.send(iq.error(errors::bad_request(&service.jid, Some(&e.to_string()))));
                continue;
            }
        };
        let actor = actor_of(&rooms, room, &iq.from, &service);
        if !iq.set {
            match list(&rooms, room, &actor, &query, &players) {
                Ok(items) => out.send(iq.reply(Some(AdminQuery { items }.into()))),
                Err(e) => out.send(iq.error(refusal_of(&service, e))),
            }
            continue;
        }
        let changes = match plan(&rooms, room, &actor, &query, &service) {
            Ok(changes) => changes,
            Err(e) => {
                out.send(iq.error(refusal_of(&service, e)));
                continue;
            }
        };
        let cause_nick = rooms.occupant_by_sender(room, &iq.from).map(|o| o.nick);
        for change in changes {
            match change {
                Change::Role {
                    occupant,
                    role,
                    reason,
                } => {
                    let cause = Cause {
                        actor_nick: cause_nick.clone(),
                        reason,
                    };
                    set_role(
                        &mut rooms,
                        &mut commands,
                        room,
                        *occupant,
                        role,
                        &cause,
                        &mut out,
                    );
                }
                Change::Affiliation {
                    jid,
                    affiliation,
                    reason,
                } => {
                    let cause = Cause {
                        actor_nick: cause_nick.clone(),
                        reason,
                    };
                    let invite = member_invitation_due(&rooms, room, &jid, affiliation);
                    set_affiliation(&mut rooms, room, jid.clone(), affiliation, &cause, &mut out);
                    if invite
                        && let (Some(room_jid), Some(config)) =
                            (rooms.jid(room), rooms.config(room))
                    {
                        out.send(super::invite::member_invitation(
                            room_jid,
                            &iq.from,
                            &jid,
                            config.password.as_deref(),
                        ));
                    }
                }
            }
        }
        out.send(iq.reply(None));
    }
}

/// §9.3: adding someone absent to a members-only room's member list invites them.
fn member_invitation_due(
    rooms: &Rooms,
    room: Entity,
    jid: &BareJid,
    new: AdminAffiliation,
) -> bool {
    let members_only = rooms.config(room).is_some_and(|c| c.members_only);
    let was = rooms
        .affiliations(room)
        .map_or(AdminAffiliation::None, |a| a.get(jid));
    let present = rooms
        .occupants_of(room)
        .iter()
        .any(|o| o.jid.to_bare() == *jid);
    members_only
        && matches!(new, AdminAffiliation::Member | AdminAffiliation::Player)
        && privileges::rank(was) < privileges::rank(AdminAffiliation::Member)
        && !present
}

/// The requester's standing: service administrators act as owners (§ palaver configuration).
pub fn actor_of(rooms: &Rooms, room: Entity, from: &Jid, service: &Service) -> Actor {
    let jid = from.to_bare();
    let mut affiliation = rooms
        .affiliations(room)
        .map_or(AdminAffiliation::None, |a| a.get(&jid));
    if service.is_admin(&jid) {
        affiliation = AdminAffiliation::Owner;
    }
    let role = rooms
        .occupant_by_sender(room, from)
        .map_or(Role::None, |o| o.role);
    Actor {
        jid,
        affiliation,
        role,
    }
}

pub fn refusal(service: &Service, denied: Denied) -> xmpp_parsers::stanza_error::StanzaError {
    match denied {
        Denied::Forbidden(text) => errors::forbidden(&service.jid, Some(text)),
        Denied::NotAllowed(text) => errors::not_allowed(&service.jid, Some(text)),
        Denied::Conflict(text) => errors::conflict(&service.jid, Some(text)),
    }
}

/// Checks every item; the first refusal refuses the whole request.
fn plan(
    rooms: &Rooms,
    room: Entity,
    actor: &Actor,
    query: &AdminQuery,
    service: &Service,
) -> Result<Vec<Change>, PlanError> {
    let affiliations = rooms.affiliations(room).cloned().unwrap_or_default();
    let mut changes = Vec::new();
    let mut owners: std::collections::BTreeSet<BareJid> = affiliations
        .with(AdminAffiliation::Owner)
        .map(|(j, _)| j.clone())
        .collect();
    for item in &query.items {
        match (item.affiliation, item.role) {
            (Some(affiliation), None) => {
                privileges::may_change_affiliations(actor)?;
                let jid = match (&item.jid, &item.nick) {
                    (Some(jid), _) => jid.to_bare(),
                    // §9: clients may name an occupant by nick; the change is about its user.
                    (None, Some(nick)) => rooms
                        .occupant_by_nick(room, nick)
                        .ok_or(PlanError::NoSuchNick)?
                        .jid
                        .to_bare(),
                    (None, None) => {
                        return Err(PlanError::Malformed("An affiliation item needs a jid"));
                    }
                };
                let mut current = affiliations.get(&jid);
                if service.is_admin(&jid) {
                    current = AdminAffiliation::Owner;
                }
                let target = Target {
                    jid: jid.clone(),
                    affiliation: current,
                    role: Role::None,
                };
                may_set_affiliation(actor, &target, affiliation)?;
                if affiliation == AdminAffiliation::Owner {
                    owners.insert(jid.clone());
                } else {
                    owners.remove(&jid);
                }
                changes.push(Change::Affiliation {
                    jid,
                    affiliation,
                    reason: item.reason.clone(),
                });
            }
            (None, Some(role)) => {
                let Some(nick) = &item.nick else {
                    return Err(PlanError::Malformed("A role item needs a nick"));
                };
                privileges::may_change_roles(actor)?;
                let occupant = rooms
                    .occupant_by_nick(room, nick)
                    .ok_or(PlanError::NoSuchNick)?;
                let mut affiliation = affiliations.get(&occupant.jid.to_bare());
                if service.is_admin(&occupant.jid.to_bare()) {
                    affiliation = AdminAffiliation::Owner;
                }
                let target = Target {
                    jid: occupant.jid.to_bare(),
                    affiliation,
                    role: occupant.role.clone(),
                };
                may_set_role(actor, &target, role)?;
                changes.push(Change::Role {
                    occupant: Box::new(occupant),
                    role,
                    reason: item.reason.clone(),
                });
            }
            _ => {
                return Err(PlanError::Malformed(
                    "Each item needs either an affiliation or a role",
                ));
            }
        }
    }
    let touches_owners = changes
        .iter()
        .any(|c| matches!(c, Change::Affiliation { .. }));
    if touches_owners {
        keeps_an_owner(owners.len())?;
    }
    Ok(changes)
}

#[derive(Debug)]
enum PlanError {
    Denied(Denied),
    NoSuchNick,
    Malformed(&'static str),
}

impl From<Denied> for PlanError {
    fn from(d: Denied) -> PlanError {
        PlanError::Denied(d)
    }
}

fn refusal_of(service: &Service, e: PlanError) -> xmpp_parsers::stanza_error::StanzaError {
    match e {
        PlanError::Denied(d) => refusal(service, d),
        PlanError::NoSuchNick => {
            errors::item_not_found(&service.jid, Some("No occupant has that nickname"))
        }
        PlanError::Malformed(text) => errors::bad_request(&service.jid, Some(text)),
    }
}

/// §8.5, §9.5, §9.8, §10.5, §10.7 and §7.11: one list, by affiliation or by role.
fn list(
    rooms: &Rooms,
    room: Entity,
    actor: &Actor,
    query: &AdminQuery,
    players: &Query<(), With<Player>>,
) -> Result<Vec<AdminItem>, PlanError> {
    let [item] = &query.items[..] else {
        return Err(PlanError::Malformed(
            "A list request names exactly one list",
        ));
    };
    match (item.affiliation, item.role) {
        (Some(AdminAffiliation::None), None) => Err(PlanError::Malformed(
            "There is no list of users without an affiliation",
        )),
        (Some(list), None) => {
            let config = rooms.config(room).cloned().unwrap_or_default();
            may_get_affiliation_list(actor, list, &config)?;
            let affiliations = rooms.affiliations(room).cloned().unwrap_or_default();
            Ok(affiliations
                .with(list)
                .map(|(jid, entry)| AdminItem {
                    affiliation: Some(list),
                    jid: Some(jid.clone().into()),
                    nick: entry.nick.clone(),
                    reason: entry.reason.clone(),
                    ..AdminItem::default()
                })
                .collect())
        }
        (None, Some(AdminRole::None)) => Err(PlanError::Malformed(
            "There is no list of occupants without a role",
        )),
        (None, Some(list)) => {
            may_get_role_list(actor, list)?;
            Ok(rooms
                .occupants_of(room)
                .into_iter()
                .filter(|o| match list {
                    AdminRole::Player => players.contains(o.entity),
                    other => other.standard() == Some(o.role.clone()),
                })
                .map(|o| AdminItem {
                    affiliation: Some(o.affiliation.into()),
                    role: Some(list),
                    jid: Some(o.jid.into()),
                    nick: Some(o.nick),
                    ..AdminItem::default()
                })
                .collect())
        }
        _ => Err(PlanError::Malformed(
            "A list request names either an affiliation or a role",
        )),
    }
}

/// Gives an occupant a new role (§8.2–§8.4, §9.6–§9.7); `none` removes it with 307. The
/// player role adds the [`Player`] component (and voice); any other role takes it away.
pub fn set_role(
    rooms: &mut Rooms,
    commands: &mut Commands,
    room: Entity,
    mut occupant: OccupantInfo,
    role: AdminRole,
    cause: &Cause,
    out: &mut Outbox,
) {
    let new_role = match role {
        AdminRole::None => {
            remove(rooms, room, &occupant, Status::Kicked, cause, out);
            return;
        }
        AdminRole::Player => {
            if occupant.player.is_none() {
                occupant.player = Some(Player::default());
                commands.entity(occupant.entity).insert(Player::default());
            }
            if occupant.role == Role::Visitor {
                Role::Participant
            } else {
                occupant.role.clone()
            }
        }
        other => {
            if occupant.player.take().is_some() {
                commands.entity(occupant.entity).remove::<Player>();
            }
            other.standard().unwrap_or(Role::Participant)
        }
    };
    if let Ok((_, _, mut r, ..)) = rooms.occupants.get_mut(occupant.entity) {
        r.0 = new_role.clone();
    }
    occupant.role = new_role;
    announce(rooms, room, &occupant, cause, out);
}

/// Gives a user a new affiliation (§9.1–§9.4, §10.3–§10.8), present or not. Outcasts are
/// removed with 301; in a members-only room, users who lose membership are removed with 321;
/// occupants otherwise get the role the new affiliation implies (§5.1.2's note).
pub fn set_affiliation(
    rooms: &mut Rooms,
    room: Entity,
    jid: BareJid,
    affiliation: AdminAffiliation,
    cause: &Cause,
    out: &mut Outbox,
) {
    let old = rooms
        .affiliations(room)
        .map_or(AdminAffiliation::None, |a| a.get(&jid));
    if let Ok((_, _, _, mut affs)) = rooms.rooms.get_mut(room) {
        affs.set(jid.clone(), affiliation, cause.reason.clone());
    }
    let config = rooms.config(room).cloned().unwrap_or_default();
    let sessions: Vec<OccupantInfo> = rooms
        .occupants_of(room)
        .into_iter()
        .filter(|o| o.jid.to_bare() == jid)
        .collect();
    let wire = wire_affiliation(affiliation);
    if sessions.is_empty()
        && old != affiliation
        && let Some(room_jid) = rooms.jid(room)
    {
        out.send(out_of_room_notice(room_jid, &jid, affiliation));
    }
    for mut occupant in sessions {
        occupant.affiliation = wire.clone();
        if affiliation == AdminAffiliation::Outcast {
            remove(rooms, room, &occupant, Status::Banned, cause, out);
            continue;
        }
        if config.members_only
            && privileges::rank(affiliation) < privileges::rank(AdminAffiliation::Member)
        {
            remove(rooms, room, &occupant, Status::RemovalFromRoom, cause, out);
            continue;
        }
        let role = match affiliation {
            AdminAffiliation::Owner | AdminAffiliation::Admin => Role::Moderator,
            _ if matches!(old, AdminAffiliation::Owner | AdminAffiliation::Admin) => {
                default_role(&wire, config.moderated)
            }
            AdminAffiliation::Member | AdminAffiliation::Player
                if occupant.role == Role::Visitor =>
            {
                Role::Participant
            }
            _ => occupant.role.clone(),
        };
        let unchanged = wire == affiliation_before(&occupant, rooms) && role == occupant.role;
        if let Ok((_, _, mut r, mut a, ..)) = rooms.occupants.get_mut(occupant.entity) {
            r.0 = role.clone();
            a.0 = wire.clone();
        }
        occupant.role = role;
        if !unchanged {
            announce(rooms, room, &occupant, cause, out);
        }
    }
}

/// §17.1's courtesy message (101) to a user whose affiliation changed while away.
fn out_of_room_notice(
    room: &BareJid,
    user: &BareJid,
    affiliation: AdminAffiliation,
) -> xmpp_parsers::message::Message {
    let mut m = xmpp_parsers::message::Message::new(Some(user.clone().into()));
    m.type_ = xmpp_parsers::message::MessageType::Normal;
    m.from = Some(room.clone().into());
    let text = match affiliation {
        AdminAffiliation::None => format!("You no longer have an affiliation with {room}."),
        AdminAffiliation::Outcast => format!("You have been banned from {room}."),
        other => format!("You are now {} of {room}.", article(other)),
    };
    m.bodies
        .insert(xmpp_parsers::message::Lang::default(), text);
    m.payloads.push(super::room::muc_user(
        vec![Status::AffiliationChange],
        vec![xmpp_parsers::muc::user::Item::new(
            wire_affiliation(affiliation),
            Role::None,
        )],
    ));
    m
}

fn article(affiliation: AdminAffiliation) -> String {
    match affiliation {
        AdminAffiliation::Owner => "an owner".into(),
        AdminAffiliation::Admin => "an admin".into(),
        other => format!("a {other}"),
    }
}

fn affiliation_before(occupant: &OccupantInfo, rooms: &Rooms) -> Affiliation {
    rooms
        .occupants
        .get(occupant.entity)
        .map_or(Affiliation::None, |o| o.3.0.clone())
}

/// The occupant's new presence to everyone, carrying the reason and actor (§8.3, §9.6).
pub fn announce(
    rooms: &Rooms,
    room: Entity,
    occupant: &OccupantInfo,
    cause: &Cause,
    out: &mut Outbox,
) {
    let Some(config) = rooms.config(room) else {
        return;
    };
    for recipient in rooms.occupants_of(room) {
        let recipient = if recipient.entity == occupant.entity {
            occupant.clone()
        } else {
            recipient
        };
        if !reaches(config, occupant, &recipient) {
            continue;
        }
        for mut p in occupant_presence(config, occupant, &recipient, Vec::new(), true) {
            annotate(&mut p, cause);
            out.send(p);
        }
    }
}

/// Removes an occupant for `status` (301 ban, 307 kick, 321 affiliation, 322 members-only):
/// the removed user hears first (with 110), then the room (§8.2, §9.1).
pub fn remove(
    rooms: &mut Rooms,
    room: Entity,
    occupant: &OccupantInfo,
    status: Status,
    cause: &Cause,
    out: &mut Outbox,
) {
    let Some(config) = rooms.config(room).cloned() else {
        return;
    };
    let mut me = occupant.clone();
    me.presence.statuses.clear();
    for mut p in occupant_presence(&config, &me, &me, vec![status.clone()], false) {
        annotate(&mut p, cause);
        out.send(p);
    }
    for other in rooms.occupants_of(room) {
        if other.entity == me.entity || !reaches(&config, &me, &other) {
            continue;
        }
        for mut p in occupant_presence(&config, &me, &other, vec![status.clone()], false) {
            annotate(&mut p, cause);
            out.send(p);
        }
    }
    rooms.remove_occupant(room, &me);
}

/// Adds `<actor/>` and `<reason/>` to the muc#user item of a presence.
pub fn annotate(p: &mut xmpp_parsers::presence::Presence, cause: &Cause) {
    if cause.actor_nick.is_none() && cause.reason.is_none() {
        return;
    }
    let ns = xmpp_parsers::ns::MUC_USER;
    for x in p.payloads.iter_mut().filter(|e| e.is("x", ns)) {
        for item in x.children_mut().filter(|c| c.is("item", ns)) {
            if let Some(nick) = &cause.actor_nick {
                item.append_child(
                    Element::builder("actor", ns)
                        .attr(
                            xmpp_parsers::minidom::rxml::xml_ncname!("nick").to_owned(),
                            nick.clone(),
                        )
                        .build(),
                );
            }
            if let Some(reason) = &cause.reason {
                item.append_child(
                    Element::builder("reason", ns)
                        .append(reason.clone())
                        .build(),
                );
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/admin.rs"]
mod tests;
