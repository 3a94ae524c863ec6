//! Mediated invitations and declines (§7.8.2). An occupant asks the room to invite someone; the
//! room sends the invitation with the inviter's JID and the room password, plus XEP-0249's
//! `jabber:x:conference` payload and a body so that clients knowing only one (or neither) still
//! show it. In a members-only room the invitee joins the member list (§9.3). An invitee may
//! decline through the room, which tells the inviter.

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::message::{Id, Lang, Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;
use xmpp_parsers::ns::MUC_USER;
use xmpp_parsers::stanza_error::StanzaError;

use super::admin::{Cause, actor_of, set_affiliation};
use super::config::RoomConfig;
use super::room::Rooms;
use crate::engine::route::MessageIn;
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, message_error};
use crate::xmpp::muc_admin::AdminAffiliation;

/// XEP-0249 direct invitations.
pub const CONFERENCE_NS: &str = "jabber:x:conference";

/// How many invitations a room remembers for declines; the oldest are forgotten first.
const REMEMBERED: usize = 256;
/// How many invitations one message may carry: the room sends a message for each, and one
/// stanza must not make it flood.
const MAX_INVITES: usize = 16;

pub struct InvitePlugin;

impl Feature for InvitePlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.claim_messages(is_invite_or_decline);
        engine.add_systems(invitations.in_set(Phase::Messages));
    }
}

/// Invitations the room sent, oldest first: only an invitee may decline, and only to its
/// inviter (otherwise the room would relay any text to any address).
#[derive(Component, Debug, Default)]
pub struct PendingInvitations(VecDeque<(BareJid, Jid)>);

impl PendingInvitations {
    /// The invitations remembered, oldest first, as (invitee, inviter).
    pub fn entries(&self) -> impl Iterator<Item = &(BareJid, Jid)> {
        self.0.iter()
    }

    /// Invitations as the store kept them, oldest first (the newest [`REMEMBERED`] are kept).
    pub fn from_entries(entries: impl IntoIterator<Item = (BareJid, Jid)>) -> PendingInvitations {
        let mut p = PendingInvitations::default();
        for (invitee, inviter) in entries {
            p.remember(invitee, inviter);
        }
        p
    }

    /// Remembers that `inviter` invited `invitee`.
    pub fn remember(&mut self, invitee: BareJid, inviter: Jid) {
        self.0.retain(|(i, by)| !(*i == invitee && *by == inviter));
        if self.0.len() >= REMEMBERED {
            self.0.pop_front();
        }
        self.0.push_back((invitee, inviter));
    }

    /// Forgets the latest invitation of `invitee` by the inviter `to` names (by its bare JID or
    /// the exact JID it invited from) and returns the inviter's JID.
    fn take(&mut self, invitee: &BareJid, to: &Jid) -> Option<Jid> {
        let index = self.0.iter().rposition(|(i, by)| {
            i == invitee && (by == to || (to.resource().is_none() && by.to_bare() == to.to_bare()))
        })?;
        self.0.remove(index).map(|(_, by)| by)
    }
}

/// §7.8.2: a message (to the room itself) of type normal whose muc#user `<x/>` holds an
/// invitation or a decline.
pub fn is_invite_or_decline(m: &Message) -> bool {
    m.type_ == MessageType::Normal && muc_user_request(m).is_some()
}

fn muc_user_request(m: &Message) -> Option<&Element> {
    m.payloads.iter().find(|p| {
        p.is("x", MUC_USER)
            && p.children()
                .any(|c| c.is("invite", MUC_USER) || c.is("decline", MUC_USER))
    })
}

/// One invitation as the inviter asked for it.
#[derive(Debug, Clone)]
struct Invite {
    to: Jid,
    reason: Option<String>,
    /// `<continue/>` (§7.9) and its thread, passed on as given.
    continuation: Option<Option<String>>,
}

#[derive(Debug, Clone)]
struct Decline {
    to: Jid,
    reason: Option<String>,
}

#[derive(Debug, Clone)]
enum Request {
    Invite(Vec<Invite>),
    Decline(Decline),
}

#[derive(Debug, Clone, Copy)]
enum Malformed {
    BadRequest(&'static str),
    Jid,
    TooMany,
}

fn parse(x: &Element) -> Result<Request, Malformed> {
    let mut invites = Vec::new();
    let mut declines = Vec::new();
    for child in x.children() {
        if child.is("invite", MUC_USER) {
            let (to, reason) = addressed(child, "An invitation needs a 'to' address")?;
            let mut continuation = None;
            for c in child.children().filter(|c| c.is("continue", MUC_USER)) {
                if continuation.is_some() {
                    return Err(Malformed::BadRequest(
                        "An invitation has at most one <continue/>",
                    ));
                }
                continuation = Some(c.attr("thread").map(str::to_owned));
            }
            invites.push(Invite {
                to,
                reason,
                continuation,
            });
        } else if child.is("decline", MUC_USER) {
            let (to, reason) = addressed(child, "A decline needs a 'to' address")?;
            declines.push(Decline { to, reason });
        }
    }
    if invites.len() > MAX_INVITES {
        return Err(Malformed::TooMany);
    }
    match (invites.is_empty(), declines.len()) {
        (false, 0) => Ok(Request::Invite(invites)),
        (true, 1) => Ok(Request::Decline(declines.remove(0))),
        (true, 0) => Err(Malformed::BadRequest("No invitation or decline")),
        (true, _) => Err(Malformed::BadRequest(
            "A message declines one invitation at most",
        )),
        (false, _) => Err(Malformed::BadRequest(
            "A message may not both invite and decline",
        )),
    }
}

/// The `to` address and the optional reason of an `<invite/>` or `<decline/>`.
fn addressed(el: &Element, missing: &'static str) -> Result<(Jid, Option<String>), Malformed> {
    let to = el
        .attr("to")
        .ok_or(Malformed::BadRequest(missing))?
        .parse::<Jid>()
        .map_err(|_| Malformed::Jid)?;
    let mut reasons = el.children().filter(|c| c.is("reason", MUC_USER));
    let reason = reasons.next().map(|r| r.text().trim().to_owned());
    if reasons.next().is_some() {
        return Err(Malformed::BadRequest("At most one <reason/> is allowed"));
    }
    Ok((to, reason.filter(|r| !r.is_empty())))
}

fn refusal(malformed: Malformed, service: &Service) -> StanzaError {
    match malformed {
        Malformed::BadRequest(text) => errors::bad_request(&service.jid, Some(text)),
        Malformed::TooMany => {
            errors::not_acceptable(&service.jid, Some("Too many invitations in one message"))
        }
        Malformed::Jid => errors::jid_malformed(
            &service.jid,
            Some("The invitee's address is not a valid JID"),
        ),
    }
}

fn invitations(
    mut inbound: MessageReader<MessageIn>,
    mut rooms: Rooms,
    mut pending: Query<&mut PendingInvitations>,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    for m in inbound
        .read()
        .filter(|m| m.nick.is_none() && is_invite_or_decline(&m.message))
    {
        let Some(room) = rooms.find(&m.room) else {
            out.send_opt(message_error(
                &m.message,
                errors::item_not_found(&service.jid, Some("This room does not exist")),
            ));
            continue;
        };
        let request = muc_user_request(&m.message)
            .ok_or(Malformed::BadRequest("No invitation or decline"))
            .and_then(parse);
        let sent = match request {
            Ok(Request::Invite(invites)) => {
                invite(&mut rooms, room, m, invites, &service, &mut out)
            }
            // A decline leaves nobody new to remember.
            Ok(Request::Decline(decline)) => {
                forward_decline(&rooms, room, m, decline, &mut pending, &service, &mut out)
                    .map(|()| Vec::new())
            }
            Err(malformed) => Err(Box::new(refusal(malformed, &service))),
        };
        match sent {
            Ok(invited) if !invited.is_empty() => {
                remember(&mut rooms, &mut pending, room, invited, &m.from);
            }
            Ok(_) => {}
            Err(err) => out.send_opt(message_error(&m.message, *err)),
        }
    }
}

/// Records the invitations just sent; a room's first one gives it the component.
fn remember(
    rooms: &mut Rooms,
    pending: &mut Query<&mut PendingInvitations>,
    room: Entity,
    invited: Vec<BareJid>,
    inviter: &Jid,
) {
    if let Ok(mut p) = pending.get_mut(room) {
        for invitee in invited {
            p.remember(invitee, inviter.clone());
        }
        return;
    }
    let mut p = PendingInvitations::default();
    for invitee in invited {
        p.remember(invitee, inviter.clone());
    }
    rooms.commands.entity(room).insert(p);
}

/// §5.1.1 and §9.3 (1.35.3): in an open room every occupant may invite; in a members-only room
/// admins and owners may, and members (players too) only when allowinvites is on.
pub fn may_invite(config: &RoomConfig, affiliation: AdminAffiliation) -> bool {
    if !config.members_only {
        return true;
    }
    match affiliation {
        AdminAffiliation::Owner | AdminAffiliation::Admin => true,
        AdminAffiliation::Member | AdminAffiliation::Player => config.allow_invites,
        AdminAffiliation::None | AdminAffiliation::Outcast => false,
    }
}

/// Checks and sends every invitation of one message (all or none); returns the invitees.
fn invite(
    rooms: &mut Rooms,
    room: Entity,
    m: &MessageIn,
    invites: Vec<Invite>,
    service: &Service,
    out: &mut Outbox,
) -> Result<Vec<BareJid>, Box<StanzaError>> {
    let Some(me) = rooms.occupant_by_sender(room, &m.from) else {
        return Err(Box::new(errors::not_acceptable(
            &service.jid,
            Some("Only occupants may invite others to the room"),
        )));
    };
    let config = rooms.config(room).cloned().unwrap_or_default();
    let actor = actor_of(rooms, room, &m.from, service);
    if !may_invite(&config, actor.affiliation) {
        return Err(Box::new(errors::forbidden(
            &service.jid,
            Some("Only admins and owners may invite others to this members-only room"),
        )));
    }
    let mut resolved = Vec::with_capacity(invites.len());
    for invitation in invites {
        let Some(to) = resolve(rooms, service, &invitation.to) else {
            return Err(Box::new(errors::item_not_found(
                &service.jid,
                Some("There is nobody at the invitee's address"),
            )));
        };
        resolved.push((to, invitation));
    }
    let mut invited = Vec::with_capacity(resolved.len());
    for (to, invitation) in resolved {
        let bare = to.to_bare();
        // §9.3: an invitation to a members-only room makes the invitee a member; it never
        // lowers or lifts an existing affiliation (a ban stays a ban).
        if config.members_only
            && rooms
                .affiliations(room)
                .is_some_and(|a| a.get(&bare) == AdminAffiliation::None)
        {
            let cause = Cause {
                actor_nick: Some(me.nick.clone()),
                reason: None,
            };
            set_affiliation(
                rooms,
                room,
                bare.clone(),
                AdminAffiliation::Member,
                &cause,
                out,
            );
        }
        out.send(invitation_message(
            m.message.id.clone(),
            &m.room,
            &m.from,
            to,
            &invitation,
            config.password.as_deref(),
        ));
        invited.push(bare);
    }
    Ok(invited)
}

/// The address an invitation goes to. Addresses of this service cannot receive one, except an
/// occupant JID, which stands for that occupant's real JID (§7.8.2: invitations may name
/// occupants of another room).
fn resolve(rooms: &Rooms, service: &Service, to: &Jid) -> Option<Jid> {
    if to.domain() != service.settings.domain.domain() {
        return Some(to.clone());
    }
    let nick = to.resource()?;
    let room = rooms.find(&to.to_bare())?;
    rooms
        .occupant_by_nick(room, nick.as_str())
        .map(|o| Jid::from(o.jid))
}

/// §9.3: a user an admin adds to a members-only room's member list is invited to it.
pub fn member_invitation(
    room: &BareJid,
    inviter: &Jid,
    to: &BareJid,
    password: Option<&str>,
) -> Message {
    let invite = Invite {
        to: to.clone().into(),
        reason: None,
        continuation: None,
    };
    invitation_message(None, room, inviter, to.clone().into(), &invite, password)
}

/// The invitation as the invitee gets it (§7.8.2, XEP-0249).
fn invitation_message(
    id: Option<Id>,
    room: &BareJid,
    inviter: &Jid,
    to: Jid,
    invitation: &Invite,
    password: Option<&str>,
) -> Message {
    let mut invite = Element::builder("invite", MUC_USER)
        .attr(xml_ncname!("from").to_owned(), inviter.to_string());
    if let Some(reason) = &invitation.reason {
        invite = invite.append(Element::builder("reason", MUC_USER).append(reason.clone()));
    }
    if let Some(thread) = &invitation.continuation {
        let mut c = Element::builder("continue", MUC_USER);
        if let Some(thread) = thread {
            c = c.attr(xml_ncname!("thread").to_owned(), thread.clone());
        }
        invite = invite.append(c);
    }
    let mut x = Element::builder("x", MUC_USER).append(invite);
    if let Some(password) = password {
        x = x.append(Element::builder("password", MUC_USER).append(password.to_owned()));
    }
    let mut conference =
        Element::builder("x", CONFERENCE_NS).attr(xml_ncname!("jid").to_owned(), room.to_string());
    if let Some(password) = password {
        conference = conference.attr(xml_ncname!("password").to_owned(), password.to_owned());
    }
    if let Some(reason) = &invitation.reason {
        conference = conference.attr(xml_ncname!("reason").to_owned(), reason.clone());
    }
    if let Some(thread) = &invitation.continuation {
        conference = conference.attr(xml_ncname!("continue").to_owned(), "true");
        if let Some(thread) = thread {
            conference = conference.attr(xml_ncname!("thread").to_owned(), thread.clone());
        }
    }
    let mut body = format!("{} invites you to the room {room}", inviter.to_bare());
    if let Some(reason) = &invitation.reason {
        body.push_str(&format!(": {reason}"));
    }
    if let Some(password) = password {
        body.push_str(&format!(" (password: {password})"));
    }
    let mut message = Message::normal(to).with_body(Lang::default(), body);
    message.from = Some(room.clone().into());
    message.id = id;
    message.payloads = vec![x.build(), conference.build()];
    message
}

/// §7.8.2: the invitee's decline goes to the inviter, from the room, naming the invitee.
fn forward_decline(
    rooms: &Rooms,
    room: Entity,
    m: &MessageIn,
    decline: Decline,
    pending: &mut Query<&mut PendingInvitations>,
    service: &Service,
    out: &mut Outbox,
) -> Result<(), Box<StanzaError>> {
    let invitee = m.from.to_bare();
    let inviter = pending
        .get_mut(room)
        .ok()
        .and_then(|mut p| p.take(&invitee, &decline.to));
    let (Some(inviter), Some(room_jid)) = (inviter, rooms.jid(room)) else {
        return Err(Box::new(errors::item_not_found(
            &service.jid,
            Some("You have no pending invitation from that user"),
        )));
    };
    let mut el = Element::builder("decline", MUC_USER)
        .attr(xml_ncname!("from").to_owned(), invitee.to_string());
    if let Some(reason) = &decline.reason {
        el = el.append(Element::builder("reason", MUC_USER).append(reason.clone()));
    }
    let mut body = format!("{invitee} declined your invitation to the room {room_jid}");
    if let Some(reason) = &decline.reason {
        body.push_str(&format!(": {reason}"));
    }
    let mut message = Message::normal(inviter).with_body(Lang::default(), body);
    message.from = Some(room_jid.clone().into());
    message.id = m.message.id.clone();
    message.payloads = vec![Element::builder("x", MUC_USER).append(el).build()];
    out.send(message);
    Ok(())
}

#[cfg(test)]
#[path = "tests/invite.rs"]
mod tests;
