//! Registration with a room (§7.10) and its approval by admins (§9.9), reserved nicknames (§7.12).
//!
//! Registering reserves a nickname (kept in [`AffiliationEntry::nick`](super::room::AffiliationEntry))
//! and makes an unaffiliated user a member. In a members-only room that needs an admin's or
//! owner's approval: they receive the request as a muc#register form by message and approve by
//! submitting it back. Nobody else may enter or take a reserved nickname (§7.2.8, §7.6 through
//! [`reserved_by_other`]); its holder finds it at the disco node `x-roomuser-item`.

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use xmpp_parsers::disco::{DiscoInfoResult, Identity};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::message::{Lang, Message, MessageType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::ns;
use xmpp_parsers::stanza_error::StanzaError;

use super::admin::{Cause, actor_of, set_affiliation};
use super::join::{JoinRequests, PreJoinStep};
use super::room::Rooms;
use crate::engine::route::{IqIn, IqTarget, IqTargetKind, MessageIn};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, message_error};
use crate::xmpp::muc_admin::AdminAffiliation;

/// The FORM_TYPE of registration and approval forms (registry §16.5.1).
pub const FORM_TYPE: &str = "http://jabber.org/protocol/muc#register";
/// §7.12's disco node for one's reserved nickname.
pub const ROOMUSER_NODE: &str = "x-roomuser-item";
/// The approval form's field naming the user (the XEP's example form has none, and a nickname
/// need not be unique among requests); `x-` as XEP-0068 wants for unregistered fields.
const JID_FIELD: &str = "x-palaver#jid";
const ALLOW_FIELD: &str = "muc#register_allow";
const NICK_FIELD: &str = "muc#register_roomnick";
/// How many requests a room keeps waiting for approval.
const MAX_PENDING: usize = 64;

/// The registration form's fields (§7.10's example): var, label, type, required.
const FIELDS: [(&str, &str, FieldType, bool); 6] = [
    (
        "muc#register_first",
        "Given Name",
        FieldType::TextSingle,
        false,
    ),
    (
        "muc#register_last",
        "Family Name",
        FieldType::TextSingle,
        false,
    ),
    (NICK_FIELD, "Desired Nickname", FieldType::TextSingle, true),
    ("muc#register_url", "Your URL", FieldType::TextSingle, false),
    (
        "muc#register_email",
        "Email Address",
        FieldType::TextSingle,
        false,
    ),
    (
        "muc#register_faqentry",
        "FAQ Entry",
        FieldType::TextMulti,
        false,
    ),
];

pub struct RegisterPlugin;

impl Feature for RegisterPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, ns::REGISTER);
        engine.claim_messages(is_registration_decision);
        engine.claim_messages(is_cancelled_form);
        engine.add_systems((registration, reserved_nick).in_set(Phase::Iq));
        engine.add_systems(decisions.in_set(Phase::Messages));
        engine.add_systems(refuse_reserved_nick.in_set(PreJoinStep::Nick));
    }
}

/// A registration waiting for an admin's approval (§9.9).
#[derive(Debug, Clone)]
pub struct Request {
    pub nick: String,
    /// The registration form's fields as submitted, shown to the approvers.
    pub fields: Vec<Field>,
}

/// A members-only room's registrations waiting for approval, by user.
#[derive(Component, Debug, Default)]
pub struct PendingRegistrations(pub BTreeMap<BareJid, Request>);

/// Whether `nick` is reserved in `room` by someone other than `user` (§7.2.8, §7.6, §7.12).
pub fn reserved_by_other(rooms: &Rooms, room: Entity, nick: &str, user: &BareJid) -> bool {
    rooms
        .affiliations(room)
        .and_then(|a| a.holder_of_nick(nick))
        .is_some_and(|holder| holder != user)
}

/// §7.12: entering with a nickname another user reserved gives conflict (a nickname an occupant
/// uses already is the join feature's refusal).
fn refuse_reserved_nick(mut requests: ResMut<JoinRequests>, rooms: Rooms, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        let Some(room) = req.room else { continue };
        let occupied = rooms
            .occupant_by_nick(room, req.nick())
            .is_some_and(|o| o.jid != req.from);
        if !occupied && reserved_by_other(&rooms, room, req.nick(), &req.from.to_bare()) {
            req.refuse(errors::conflict(
                &service.jid,
                Some("That nickname is reserved by another user"),
            ));
        }
    }
}

/// §7.12: the sender's reserved nickname as an identity, or an empty result.
fn reserved_nick(
    mut iqs: MessageReader<IqIn>,
    rooms: Rooms,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    let asked = |iq: &&IqIn| {
        !iq.set && iq.ns == ns::DISCO_INFO && iq.payload.attr("node") == Some(ROOMUSER_NODE)
    };
    for iq in iqs.read().filter(asked) {
        let IqTarget::Room(jid) = &iq.target else {
            continue;
        };
        let Some(affiliations) = rooms.find(jid).and_then(|r| rooms.affiliations(r)) else {
            out.send(iq.error(errors::item_not_found(
                &service.jid,
                Some("This room does not exist"),
            )));
            continue;
        };
        let nick = affiliations
            .entry(&iq.from.to_bare())
            .and_then(|e| e.nick.clone());
        let identities = nick
            .map(|name| Identity {
                category: "conference".into(),
                type_: "text".into(),
                lang: None,
                name: Some(name),
            })
            .into_iter()
            .collect();
        out.send(
            iq.reply(Some(
                DiscoInfoResult {
                    node: Some(ROOMUSER_NODE.into()),
                    identities,
                    features: Default::default(),
                    extensions: Vec::new(),
                }
                .into(),
            )),
        );
    }
}

/// §7.10 (and XEP-0077's `<remove/>`): the form, its submission, cancelling a registration.
fn registration(
    mut iqs: MessageReader<IqIn>,
    mut rooms: Rooms,
    mut pending: Query<&mut PendingRegistrations>,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    for iq in iqs.read().filter(|iq| iq.ns == ns::REGISTER) {
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
        let answer = if !iq.set {
            registration_form(&rooms, room, iq, &service, &mut out)
        } else if iq.payload.has_child("remove", ns::REGISTER) {
            unregister(&mut rooms, room, iq, &mut pending, &service, &mut out)
        } else {
            register(&mut rooms, room, iq, &mut pending, &service, &mut out)
        };
        if let Err(err) = answer {
            out.send(iq.error(*err));
        }
    }
}

/// The user's standing: the stored affiliation and reserved nickname.
fn standing(rooms: &Rooms, room: Entity, user: &BareJid) -> (AdminAffiliation, Option<String>) {
    rooms
        .affiliations(room)
        .and_then(|a| a.entry(user))
        .map_or((AdminAffiliation::None, None), |e| {
            (e.affiliation, e.nick.clone())
        })
}

/// Registered: on a list with a reserved nickname.
fn registered_nick(affiliation: AdminAffiliation, nick: Option<String>) -> Option<String> {
    match affiliation {
        AdminAffiliation::None | AdminAffiliation::Outcast => None,
        _ => nick,
    }
}

fn registration_form(
    rooms: &Rooms,
    room: Entity,
    iq: &IqIn,
    service: &Service,
    out: &mut Outbox,
) -> Result<(), Box<StanzaError>> {
    let (affiliation, nick) = standing(rooms, room, &iq.from.to_bare());
    if affiliation == AdminAffiliation::Outcast {
        return Err(Box::new(errors::not_allowed(
            &service.jid,
            Some("You are banned from this room"),
        )));
    }
    let query = Element::builder("query", ns::REGISTER);
    let query = match registered_nick(affiliation, nick) {
        Some(nick) => query
            .append(Element::builder("registered", ns::REGISTER))
            .append(Element::builder("username", ns::REGISTER).append(nick)),
        None => {
            // An occupant is offered the nickname it uses.
            let current = rooms.occupant_by_sender(room, &iq.from).map(|o| o.nick);
            let fields = FIELDS
                .iter()
                .map(|(var, label, type_, required)| {
                    let mut field = Field::new(var, type_.clone());
                    field.label = Some((*label).to_owned());
                    field.required = *required;
                    if *var == NICK_FIELD {
                        field.values = current.clone().into_iter().collect();
                    }
                    field
                })
                .collect();
            let mut form = DataForm::new(DataFormType::Form, FORM_TYPE, fields);
            form.title = Some(format!("Registration with {}", iq.to));
            form.instructions = Some(
                "Choose the nickname to reserve in this room; registering makes you a member."
                    .into(),
            );
            query
                .append(
                    Element::builder("instructions", ns::REGISTER)
                        .append("Submit the form to register with this room."),
                )
                .append(Element::from(form))
        }
    };
    out.send(iq.reply(Some(query.build())));
    Ok(())
}

/// Parses a submitted registration form: the nickname and the fields to show approvers.
fn submitted(
    iq: &IqIn,
    room: &BareJid,
    service: &Service,
) -> Result<Option<Request>, Box<StanzaError>> {
    let bad = |text: &str| Box::new(errors::bad_request(&service.jid, Some(text)));
    let form = iq
        .payload
        .get_child("x", ns::DATA_FORMS)
        .ok_or_else(|| bad("Registration needs the muc#register form"))?;
    let form = DataForm::try_from(form.clone()).map_err(|_| bad("The form is malformed"))?;
    match form.type_ {
        DataFormType::Submit => {}
        // The user gave up: nothing to do.
        DataFormType::Cancel => return Ok(None),
        _ => return Err(bad("The form must be submitted with type 'submit'")),
    }
    if form.form_type().is_some_and(|t| t != FORM_TYPE) {
        return Err(bad("This is not a muc#register form"));
    }
    let nick = match form
        .fields
        .iter()
        .find(|f| f.var.as_deref() == Some(NICK_FIELD))
        .map(|f| f.values.as_slice())
    {
        Some([nick]) if !nick.trim().is_empty() => nick.trim().to_owned(),
        _ => return Err(bad("The form needs one muc#register_roomnick")),
    };
    // Stored as a join would spell it (the resourcepart as parsed), so that the two compare.
    let nick = super::nick::occupant_jid(room, &nick)
        .map_err(|_| bad("That nickname is not a valid room nickname"))?
        .resource()
        .as_str()
        .to_owned();
    Ok(Some(Request {
        nick,
        fields: known_fields(&form),
    }))
}

/// The muc#register fields of a submitted form, labelled as the form offers them.
fn known_fields(form: &DataForm) -> Vec<Field> {
    form.fields
        .iter()
        .filter(|f| f.var.as_deref().is_some_and(|v| v != "FORM_TYPE"))
        .filter_map(|f| {
            let (var, label, type_, _) = FIELDS.iter().find(|s| f.var.as_deref() == Some(s.0))?;
            let mut field = Field::new(var, type_.clone());
            field.label = Some((*label).to_owned());
            field.values = f.values.clone();
            Some(field)
        })
        .collect()
}

impl Request {
    /// The submitted fields as the store keeps them: a submitted muc#register form.
    pub fn stored_form(&self) -> String {
        let form = DataForm::new(DataFormType::Submit, FORM_TYPE, self.fields.clone());
        String::from(&Element::from(form))
    }

    /// A request as the store kept it; `None` when the form does not read back.
    pub fn from_stored(nick: String, form: &str) -> Option<Request> {
        let form = DataForm::try_from(form.parse::<Element>().ok()?).ok()?;
        Some(Request {
            nick,
            fields: known_fields(&form),
        })
    }
}

/// §7.10: a submitted form reserves the nickname; an unaffiliated user becomes a member, in a
/// members-only room once an admin approves (§9.9).
fn register(
    rooms: &mut Rooms,
    room: Entity,
    iq: &IqIn,
    pending: &mut Query<&mut PendingRegistrations>,
    service: &Service,
    out: &mut Outbox,
) -> Result<(), Box<StanzaError>> {
    let user = iq.from.to_bare();
    let (affiliation, _) = standing(rooms, room, &user);
    if affiliation == AdminAffiliation::Outcast {
        return Err(Box::new(errors::forbidden(
            &service.jid,
            Some("You are banned from this room"),
        )));
    }
    let Some(request) = submitted(iq, &iq.to.to_bare(), service)? else {
        out.send(iq.reply(None));
        return Ok(());
    };
    if reserved_by_other(rooms, room, &request.nick, &user) {
        return Err(Box::new(errors::conflict(
            &service.jid,
            Some("That nickname is reserved by another user"),
        )));
    }
    let members_only = rooms.config(room).is_some_and(|c| c.members_only);
    if affiliation == AdminAffiliation::None && members_only {
        return ask_approval(rooms, room, iq, user, request, pending, service, out);
    }
    if let Ok(mut queue) = pending.get_mut(room) {
        queue.0.remove(&user);
    }
    out.send(iq.reply(None));
    if affiliation == AdminAffiliation::None {
        set_affiliation(
            rooms,
            room,
            user.clone(),
            AdminAffiliation::Member,
            &Cause::default(),
            out,
        );
    }
    reserve(rooms, room, &user, Some(request.nick));
    Ok(())
}

/// Stores (or clears) the user's reserved nickname; the user must be on a list.
fn reserve(rooms: &mut Rooms, room: Entity, user: &BareJid, nick: Option<String>) {
    if let Ok((_, _, _, mut affiliations)) = rooms.rooms.get_mut(room)
        && let Some(entry) = affiliations.entry_mut(user)
    {
        entry.nick = nick;
    }
}

/// §9.9: keeps the request and sends the approval form to every admin and owner (to their
/// sessions in the room, else to their bare JID), after the result that says it was received.
#[allow(clippy::too_many_arguments)]
fn ask_approval(
    rooms: &mut Rooms,
    room: Entity,
    iq: &IqIn,
    user: BareJid,
    request: Request,
    pending: &mut Query<&mut PendingRegistrations>,
    service: &Service,
    out: &mut Outbox,
) -> Result<(), Box<StanzaError>> {
    let mut queue = pending.get_mut(room).ok();
    let waiting = queue.as_ref().map_or(0, |q| q.0.len());
    let known = queue.as_ref().is_some_and(|q| q.0.contains_key(&user));
    if waiting >= MAX_PENDING && !known {
        return Err(Box::new(errors::service_unavailable(
            &service.jid,
            Some("Too many registrations are waiting for approval; try again later"),
        )));
    }
    out.send(iq.reply(None));
    let Some(room_jid) = rooms.jid(room).cloned() else {
        return Ok(());
    };
    let form = approval_form(&user, &request);
    let body = format!(
        "{user} asks to register with {room_jid} as “{}”. Submit the form to approve.",
        request.nick
    );
    for to in approvers(rooms, room) {
        let mut m = Message::normal(to).with_body(Lang::default(), body.clone());
        m.from = Some(room_jid.clone().into());
        m.payloads.push(form.clone().into());
        out.send(m);
    }
    match queue.as_mut() {
        Some(q) => {
            q.0.insert(user, request);
        }
        None => {
            let mut q = PendingRegistrations::default();
            q.0.insert(user, request);
            rooms.commands.entity(room).insert(q);
        }
    }
    Ok(())
}

/// Where approval requests go: each admin's and owner's sessions in the room, or its bare JID.
fn approvers(rooms: &Rooms, room: Entity) -> Vec<Jid> {
    let Some(affiliations) = rooms.affiliations(room) else {
        return Vec::new();
    };
    let occupants = rooms.occupants_of(room);
    affiliations
        .iter()
        .filter(|(_, e)| {
            matches!(
                e.affiliation,
                AdminAffiliation::Owner | AdminAffiliation::Admin
            )
        })
        .flat_map(|(jid, _)| {
            let sessions: Vec<Jid> = occupants
                .iter()
                .filter(|o| o.jid.to_bare() == *jid)
                .flat_map(|o| o.session_jids().cloned().map(Jid::from).collect::<Vec<_>>())
                .collect();
            if sessions.is_empty() {
                vec![Jid::from(jid.clone())]
            } else {
                sessions
            }
        })
        .collect()
}

/// §9.9's approval form, naming the user.
fn approval_form(user: &BareJid, request: &Request) -> DataForm {
    let mut fields = vec![{
        let mut f = Field::new(JID_FIELD, FieldType::JidSingle);
        f.label = Some("User ID".into());
        f.values = vec![user.to_string()];
        f
    }];
    fields.extend(request.fields.iter().cloned());
    let mut allow = Field::new(ALLOW_FIELD, FieldType::Boolean);
    allow.label = Some("Allow this person to register with the room?".into());
    allow.values = vec!["0".into()];
    fields.push(allow);
    let mut form = DataForm::new(DataFormType::Form, FORM_TYPE, fields);
    form.title = Some("Registration request".into());
    form.instructions = Some(
        "To approve this registration request, select the \"Allow this person to register \
         with the room?\" checkbox and click OK. To skip this request, click the cancel button."
            .into(),
    );
    form
}

/// XEP-0077's `<remove/>`: a member goes back to no affiliation; an admin or owner keeps it and
/// only frees the nickname; a request waiting for approval is withdrawn.
fn unregister(
    rooms: &mut Rooms,
    room: Entity,
    iq: &IqIn,
    pending: &mut Query<&mut PendingRegistrations>,
    service: &Service,
    out: &mut Outbox,
) -> Result<(), Box<StanzaError>> {
    let user = iq.from.to_bare();
    let (affiliation, nick) = standing(rooms, room, &user);
    let withdrawn = pending
        .get_mut(room)
        .ok()
        .and_then(|mut q| q.0.remove(&user))
        .is_some();
    match affiliation {
        AdminAffiliation::Outcast => Err(Box::new(errors::forbidden(
            &service.jid,
            Some("You are banned from this room"),
        ))),
        AdminAffiliation::None if !withdrawn => Err(Box::new(errors::item_not_found(
            &service.jid,
            Some("You are not registered with this room"),
        ))),
        AdminAffiliation::None => {
            out.send(iq.reply(None));
            Ok(())
        }
        AdminAffiliation::Member | AdminAffiliation::Player => {
            out.send(iq.reply(None));
            set_affiliation(
                rooms,
                room,
                user,
                AdminAffiliation::None,
                &Cause::default(),
                out,
            );
            Ok(())
        }
        AdminAffiliation::Admin | AdminAffiliation::Owner => {
            if nick.is_none() {
                return Err(Box::new(errors::item_not_found(
                    &service.jid,
                    Some("You have no reserved nickname in this room"),
                )));
            }
            out.send(iq.reply(None));
            reserve(rooms, room, &user, None);
            Ok(())
        }
    }
}

/// The muc#register form a message carries, if any.
fn register_form(message: &Message) -> Option<DataForm> {
    message
        .payloads
        .iter()
        .filter(|p| p.is("x", ns::DATA_FORMS))
        .filter_map(|p| DataForm::try_from(p.clone()).ok())
        .find(|f| f.form_type() == Some(FORM_TYPE))
}

/// §9.9: an approver's submitted muc#register form, sent to the room by message.
pub fn is_registration_decision(m: &Message) -> bool {
    m.type_ == MessageType::Normal
        && register_form(m).is_some_and(|f| f.type_ == DataFormType::Submit)
}

/// An approver skipping a request (§9.9's "click the cancel button", also §8.6's): XEP-0004's
/// cancel form names no FORM_TYPE, so whatever it skips, the room takes it and does nothing.
pub fn is_cancelled_form(m: &Message) -> bool {
    m.type_ == MessageType::Normal
        && m.payloads
            .iter()
            .any(|p| p.is("x", ns::DATA_FORMS) && p.attr("type") == Some("cancel"))
}

fn value<'f>(form: &'f DataForm, var: &str) -> Option<&'f str> {
    form.fields
        .iter()
        .find(|f| f.var.as_deref() == Some(var))
        .and_then(|f| f.values.first())
        .map(|v| v.trim())
}

/// §9.9: an admin or owner approves (muc#register_allow true) or denies a waiting request.
fn decisions(
    mut inbound: MessageReader<MessageIn>,
    mut rooms: Rooms,
    mut pending: Query<&mut PendingRegistrations>,
    service: Res<Service>,
    mut out: ResMut<Outbox>,
) {
    for m in inbound
        .read()
        .filter(|m| m.nick.is_none() && is_registration_decision(&m.message))
    {
        let Some(form) = register_form(&m.message) else {
            continue;
        };
        if let Err(err) = decide(&mut rooms, m, &form, &mut pending, &service, &mut out) {
            out.send_opt(message_error(&m.message, *err));
        }
    }
}

fn decide(
    rooms: &mut Rooms,
    m: &MessageIn,
    form: &DataForm,
    pending: &mut Query<&mut PendingRegistrations>,
    service: &Service,
    out: &mut Outbox,
) -> Result<(), Box<StanzaError>> {
    let Some(room) = rooms.find(&m.room) else {
        return Err(Box::new(errors::item_not_found(
            &service.jid,
            Some("This room does not exist"),
        )));
    };
    let actor = actor_of(rooms, room, &m.from, service);
    if !matches!(
        actor.affiliation,
        AdminAffiliation::Owner | AdminAffiliation::Admin
    ) {
        return Err(Box::new(errors::forbidden(
            &service.jid,
            Some("Only admins and owners may approve registrations"),
        )));
    }
    let user = match value(form, JID_FIELD) {
        Some(jid) => Some(jid.parse::<BareJid>().map_err(|_| {
            Box::new(errors::jid_malformed(
                &service.jid,
                Some("The form names no valid user"),
            ))
        })?),
        None => None,
    };
    let nick = value(form, NICK_FIELD);
    let mut queue = pending.get_mut(room).ok();
    let user = queue.as_ref().and_then(|q| {
        q.0.iter()
            .find(|(jid, r)| match &user {
                Some(u) => *jid == u,
                None => nick.is_some_and(|n| super::nick::same(&r.nick, n)),
            })
            .map(|(jid, _)| jid.clone())
    });
    let (Some(user), Some(queue)) = (user, queue.as_mut()) else {
        return Err(Box::new(errors::item_not_found(
            &service.jid,
            Some("No registration request of that user is waiting"),
        )));
    };
    let allow = matches!(value(form, ALLOW_FIELD), Some("1" | "true"));
    let Some(request) = queue.0.get(&user).cloned() else {
        return Ok(());
    };
    if !allow {
        queue.0.remove(&user);
        return Ok(());
    }
    let (affiliation, _) = standing(rooms, room, &user);
    if affiliation == AdminAffiliation::Outcast {
        return Err(Box::new(errors::not_allowed(
            &service.jid,
            Some("That user is banned from this room"),
        )));
    }
    if reserved_by_other(rooms, room, &request.nick, &user) {
        return Err(Box::new(errors::conflict(
            &service.jid,
            Some("The nickname was reserved by another user meanwhile"),
        )));
    }
    queue.0.remove(&user);
    if affiliation == AdminAffiliation::None {
        let cause = Cause {
            actor_nick: rooms.occupant_by_sender(room, &m.from).map(|o| o.nick),
            reason: None,
        };
        set_affiliation(
            rooms,
            room,
            user.clone(),
            AdminAffiliation::Member,
            &cause,
            out,
        );
    }
    reserve(rooms, room, &user, Some(request.nick));
    Ok(())
}

#[cfg(test)]
#[path = "tests/register.rs"]
mod tests;
