//! The owner's configuration form (§10.1–§10.2): get the form, submit it (which also unlocks a
//! new room: an empty submission makes an instant room), or cancel the initial configuration
//! (which destroys the still-locked room).

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::DataFormType;
use xmpp_parsers::muc::user::Affiliation;

use super::form::{ConfigFields, FormContext, apply_submission, config_form};
use super::lock::{Locked, unlock};
use super::presence::leave_all;
use super::room::{Rooms, muc_user};
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;
use crate::xmpp::muc_owner::{self, OwnerQuery};

pub struct OwnerPlugin;

impl Feature for OwnerPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, muc_owner::NS);
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
    for iq in iqs.read().filter(|iq| iq.ns == muc_owner::NS) {
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
        let Some(config) = rooms.config(room).cloned() else {
            continue;
        };
        let query = match OwnerQuery::try_from(iq.payload.clone()) {
            Ok(query) => query,
            Err(e) => {
                out.send(iq.error(errors::bad_request(&service.jid, Some(&e.to_string()))));
                continue;
            }
        };
        let form = match (iq.set, query) {
            (false, OwnerQuery::Empty) => {
                let query = OwnerQuery::Form(config_form(&config, &fields));
                out.send(iq.reply(Some(query.into())));
                continue;
            }
            (true, OwnerQuery::Form(form)) => form,
            (true, OwnerQuery::Destroy(_)) => {
                // §10.9 belongs to the room-control work; say so rather than pretend.
                out.send(iq.error(errors::feature_not_implemented(
                    &service.jid,
                    Some("Destroying a room is not implemented yet"),
                )));
                continue;
            }
            _ => {
                out.send(iq.error(errors::bad_request(
                    &service.jid,
                    Some("Get takes an empty query; set takes a data form"),
                )));
                continue;
            }
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
                    Err(e) => out.send(iq.error(e.to_stanza_error(&service.jid))),
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
