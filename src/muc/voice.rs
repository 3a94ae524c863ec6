//! Voice requests (§7.13) and their approval (§8.6): a visitor in a moderated room asks for
//! voice with a muc#request form; every moderator receives the form to approve; an approval
//! grants the participant role as a voice grant through muc#admin would.

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::admin::{Cause, actor_of, refusal, set_role};
use super::privileges::{Target, may_set_role};
use super::room::Rooms;
use crate::engine::route::MessageIn;
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::{errors, message_error};
use crate::xmpp::muc_admin::AdminRole;

pub const REQUEST: &str = "http://jabber.org/protocol/muc#request";

pub struct VoicePlugin;

impl Feature for VoicePlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.claim_messages(is_voice_request);
        engine.add_systems(voice_requests.in_set(Phase::Messages));
    }
}

/// The muc#request form a message carries, if any.
pub fn request_form(message: &Message) -> Option<DataForm> {
    message
        .payloads
        .iter()
        .filter(|p| p.is("x", xmpp_parsers::ns::DATA_FORMS))
        .filter_map(|p| DataForm::try_from(p.clone()).ok())
        .find(|f| f.form_type() == Some(REQUEST))
}

/// Whether this message is a voice request or a decision on one (the voice feature's, not chat).
pub fn is_voice_request(message: &Message) -> bool {
    message.type_ != MessageType::Groupchat
        && message.type_ != MessageType::Error
        && request_form(message).is_some()
}

fn value<'f>(form: &'f DataForm, var: &str) -> Option<&'f str> {
    form.fields
        .iter()
        .find(|f| f.var.as_deref() == Some(var))
        .and_then(|f| f.values.first())
        .map(|v| v.trim())
}

fn voice_requests(
    mut inbound: MessageReader<MessageIn>,
    mut rooms: Rooms,
    service: Res<Service>,
    mut commands: Commands,
    mut out: ResMut<Outbox>,
) {
    for MessageIn {
        from,
        room: room_jid,
        nick,
        message,
    } in inbound.read()
    {
        if nick.is_some() || !is_voice_request(message) {
            continue;
        }
        let Some(form) = request_form(message) else {
            continue;
        };
        let refuse = |err, out: &mut Outbox| out.send_opt(message_error(message, err));
        let Some(room) = rooms.find(room_jid) else {
            refuse(
                errors::item_not_found(&service.jid, Some("This room does not exist")),
                &mut out,
            );
            continue;
        };
        let Some(me) = rooms.occupant_by_sender(room, from) else {
            refuse(
                errors::not_acceptable(&service.jid, Some("Only occupants may ask for voice")),
                &mut out,
            );
            continue;
        };
        match form.type_ {
            DataFormType::Submit if value(&form, "muc#request_allow").is_none() => {
                // §7.13: a request.
                if value(&form, "muc#role").is_some_and(|r| r != "participant") {
                    refuse(
                        errors::bad_request(
                            &service.jid,
                            Some("Only voice (the participant role) can be requested"),
                        ),
                        &mut out,
                    );
                    continue;
                }
                if me.role != Role::Visitor {
                    refuse(
                        errors::not_acceptable(&service.jid, Some("You already have voice")),
                        &mut out,
                    );
                    continue;
                }
                for moderator in rooms
                    .occupants_of(room)
                    .into_iter()
                    .filter(|o| o.role == Role::Moderator)
                {
                    let mut m = Message::new(None);
                    m.type_ = MessageType::Normal;
                    m.from = Some(room_jid.clone().into());
                    m.payloads
                        .push(approval_form(&me.jid.to_string(), &me.nick).into());
                    for m in super::room::to_sessions(&moderator, m) {
                        out.send(m);
                    }
                }
            }
            DataFormType::Submit => {
                // §8.6: a moderator's decision.
                let actor = actor_of(&rooms, room, from, &service);
                let allow = matches!(value(&form, "muc#request_allow"), Some("1" | "true"));
                let Some(target_nick) = value(&form, "muc#roomnick") else {
                    refuse(
                        errors::bad_request(
                            &service.jid,
                            Some("The approval names no room nickname"),
                        ),
                        &mut out,
                    );
                    continue;
                };
                let Some(target) = rooms.occupant_by_nick(room, target_nick) else {
                    refuse(
                        errors::item_not_found(&service.jid, Some("No occupant has that nickname")),
                        &mut out,
                    );
                    continue;
                };
                let standing = Target {
                    jid: target.jid.to_bare(),
                    affiliation: rooms
                        .affiliations(room)
                        .map_or(crate::xmpp::muc_admin::AdminAffiliation::None, |a| {
                            a.get(&target.jid.to_bare())
                        }),
                    role: target.role.clone(),
                };
                if let Err(denied) = may_set_role(&actor, &standing, AdminRole::Participant) {
                    refuse(refusal(&service, denied), &mut out);
                    continue;
                }
                if !allow || target.role != Role::Visitor {
                    // Denied, or already granted by another moderator: nothing to do.
                    continue;
                }
                let cause = Cause {
                    actor_nick: Some(me.nick.clone()),
                    reason: None,
                };
                set_role(
                    &mut rooms,
                    &mut commands,
                    room,
                    target,
                    AdminRole::Participant,
                    &cause,
                    &mut out,
                );
            }
            _ => refuse(
                errors::bad_request(
                    &service.jid,
                    Some("A voice request must be a submitted form"),
                ),
                &mut out,
            ),
        }
    }
}

/// The form moderators receive (§7.13's example).
fn approval_form(jid: &str, nick: &str) -> DataForm {
    let field = |var: &str, kind: FieldType, label: &str, value: &str| {
        let mut f = Field::new(var, kind);
        f.label = Some(label.to_owned());
        f.values = vec![value.to_owned()];
        f
    };
    let mut role = field(
        "muc#role",
        FieldType::ListSingle,
        "Requested role",
        "participant",
    );
    role.options = vec![xmpp_parsers::data_forms::Option_ {
        label: Some("Participant".into()),
        value: "participant".into(),
    }];
    let mut form = DataForm::new(
        DataFormType::Form,
        REQUEST,
        vec![
            role,
            field("muc#jid", FieldType::JidSingle, "User ID", jid),
            field("muc#roomnick", FieldType::TextSingle, "Room Nickname", nick),
            field(
                "muc#request_allow",
                FieldType::Boolean,
                "Grant voice to this person?",
                "false",
            ),
        ],
    );
    form.title = Some("Voice request".into());
    form.instructions = Some(
        "To approve this request for voice, select the \"Grant voice to this person?\" \
         checkbox and click OK. To skip this request, click the cancel button."
            .into(),
    );
    form
}

#[cfg(test)]
#[path = "tests/voice.rs"]
mod tests;
