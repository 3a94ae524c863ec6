//! The owner's configuration form (§10.1–§10.2): get the form, submit it (which also unlocks a
//! new room: an empty submission makes an instant room), or cancel the initial configuration
//! (which destroys the still-locked room).

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::{DataForm, DataFormType};
use xmpp_parsers::minidom::Element;
use xmpp_parsers::muc::user::Affiliation;
use xmpp_parsers::ns;
use xmpp_parsers::stanza_error::DefinedCondition;

use super::form::{ConfigFields, FormContext, apply_submission, config_form};
use super::lock::{Locked, unlock};
use super::presence::leave_all;
use super::room::{Rooms, muc_user};
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;

/// The muc#owner namespace (§19.1).
pub const MUC_OWNER: &str = "http://jabber.org/protocol/muc#owner";

pub struct OwnerPlugin;

impl Feature for OwnerPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, MUC_OWNER);
        engine.add_systems(owner.in_set(Phase::Iq));
    }
}

fn owner(
    mut iqs: MessageReader<IqIn>,
    mut rooms: Rooms,
    locked: Query<(), With<Locked>>,
    fields: Res<ConfigFields>,
    service: Res<Service>,
    mut commands: Commands,
    mut out: ResMut<Outbox>,
) {
    for iq in iqs.read().filter(|iq| iq.ns == MUC_OWNER) {
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
        let bare = iq.from.to_bare();
        let is_owner = service.is_admin(&bare)
            || rooms
                .affiliations(room)
                .is_some_and(|a| a.of(&bare) == Affiliation::Owner);
        if !is_owner {
            out.send(iq.error(errors::forbidden(
                &service.jid,
                Some("Only owners may configure the room"),
            )));
            continue;
        }
        if !iq.payload.is("query", MUC_OWNER) {
            out.send(iq.error(errors::bad_request(&service.jid, None)));
            continue;
        }
        let Some(config) = rooms.config(room).cloned() else {
            continue;
        };
        let children: Vec<&Element> = iq.payload.children().collect();
        if !iq.set {
            if !children.is_empty() {
                out.send(iq.error(errors::bad_request(&service.jid, None)));
                continue;
            }
            let form: Element = config_form(&config, &fields).into();
            let query = Element::builder("query", MUC_OWNER).append(form).build();
            out.send(iq.reply(Some(query)));
            continue;
        }
        let form = match children.as_slice() {
            [x] if x.is("x", ns::DATA_FORMS) => DataForm::try_from((*x).clone()).ok(),
            _ => None,
        };
        let Some(form) = form else {
            out.send(iq.error(errors::bad_request(
                &service.jid,
                Some("Expected one data form"),
            )));
            continue;
        };
        let is_locked = locked.contains(room);
        match form.type_ {
            DataFormType::Cancel => {
                if is_locked {
                    // §10.1.3: cancelling the initial configuration destroys the room.
                    out.send(iq.reply(None));
                    leave_all(&mut rooms, room, None, &mut out);
                    rooms.destroy_room(room);
                } else {
                    out.send(iq.reply(None));
                }
            }
            DataFormType::Submit => {
                let ctx = FormContext {
                    max_history: service.settings.max_history,
                };
                match apply_submission(&config, &fields, &form, &ctx) {
                    Ok(applied) => {
                        if let Ok((_, mut stored, ..)) = rooms.rooms.get_mut(room) {
                            *stored = applied.config.clone();
                        }
                        out.send(iq.reply(None));
                        if is_locked {
                            unlock(&mut commands, room);
                        } else if !applied.statuses.is_empty() {
                            announce(&rooms, room, applied.statuses, &mut out);
                        }
                    }
                    Err(e) => {
                        let err = match e.condition {
                            DefinedCondition::BadRequest => {
                                errors::bad_request(&service.jid, Some(&e.text))
                            }
                            _ => errors::not_acceptable(&service.jid, Some(&e.text)),
                        };
                        out.send(iq.error(err));
                    }
                }
            }
            _ => out.send(iq.error(errors::bad_request(
                &service.jid,
                Some("The form must be of type submit or cancel"),
            ))),
        }
    }
}

/// §10.2.1: a message from the room to every occupant with the configuration-change codes.
fn announce(
    rooms: &Rooms,
    room: Entity,
    statuses: Vec<xmpp_parsers::muc::user::Status>,
    out: &mut Outbox,
) {
    let Some(room_jid) = rooms.jid(room) else {
        return;
    };
    let x = muc_user(statuses, Vec::new());
    for occupant in rooms.occupants_of(room) {
        let mut m = xmpp_parsers::message::Message::groupchat(Some(occupant.jid.into()));
        m.from = Some(room_jid.clone().into());
        m.payloads.push(x.clone());
        out.send(m);
    }
}

#[cfg(test)]
#[path = "tests/owner.rs"]
mod tests;
