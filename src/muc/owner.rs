//! The owner's use cases (§10): get the configuration form, submit it (which also unlocks a new
//! room: an empty submission makes an instant room), cancel the initial configuration (which
//! destroys the still-locked room), and destroy the room (§10.9). The form's
//! `roomowners`/`roomadmins` fields edit the owner and admin lists (§10.3–§10.8) under the same
//! rules as muc#admin.

use std::collections::BTreeSet;

use bevy_ecs::prelude::*;
use xmpp_parsers::data_forms::{DataForm, DataFormType, Field, FieldType};
use xmpp_parsers::jid::{BareJid, Jid};
use xmpp_parsers::muc::user::Status;
use xmpp_parsers::stanza_error::StanzaError;

use super::admin::{Cause, actor_of, refusal, set_affiliation};
use super::config::RoomConfig;
use super::destroy::{RoomDestroyed, destroy};
use super::form::{ConfigFields, FormContext, apply_submission, config_form};
use super::lock::{Locked, unlock};
use super::privileges::{Target, keeps_an_owner, may_set_affiliation};
use super::room::{Affiliations, Rooms, muc_user};
use crate::engine::route::{IqIn, IqTarget, IqTargetKind};
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;
use crate::xmpp::muc_admin::AdminAffiliation;
use crate::xmpp::muc_owner::{self, OwnerQuery};

const ROOMOWNERS: &str = "muc#roomconfig_roomowners";
const ROOMADMINS: &str = "muc#roomconfig_roomadmins";

/// The owner system, for features that react to its changes in the same round.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct OwnerSet;

/// An owner changed the configuration of a room (not sent for an unchanged submission).
#[derive(Message, Debug, Clone)]
pub struct ConfigChanged {
    pub room: Entity,
    pub before: RoomConfig,
    pub after: RoomConfig,
}

pub struct OwnerPlugin;

impl Feature for OwnerPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.handle_iq(IqTargetKind::Room, muc_owner::NS);
        engine
            .add_message::<ConfigChanged>()
            .add_message::<RoomDestroyed>();
        engine.add_systems(owner.in_set(Phase::Iq).in_set(OwnerSet));
    }
}

#[allow(clippy::too_many_arguments)]
fn owner(
    mut iqs: MessageReader<IqIn>,
    mut rooms: Rooms,
    locked: Query<(), With<Locked>>,
    fields: Res<ConfigFields>,
    known_games: Res<super::form::KnownGames>,
    service: Res<Service>,
    mut commands: Commands,
    mut changed: MessageWriter<ConfigChanged>,
    mut destroyed: MessageWriter<RoomDestroyed>,
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
        let actor = actor_of(&rooms, room, &iq.from, &service);
        if actor.affiliation != AdminAffiliation::Owner {
            out.send(iq.error(errors::forbidden(
                &service.jid,
                Some("Only owners may configure or destroy the room"),
            )));
            continue;
        }
        let (Some(config), Some(affiliations)) = (
            rooms.config(room).cloned(),
            rooms.affiliations(room).cloned(),
        ) else {
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
                let mut form = config_form(&config, &fields);
                form.fields.extend(affiliation_fields(&affiliations));
                out.send(iq.reply(Some(OwnerQuery::Form(form).into())));
                continue;
            }
            (true, OwnerQuery::Form(form)) => form,
            (true, OwnerQuery::Destroy(how)) => {
                destroy(&mut rooms, room, &how, &mut destroyed, &mut out);
                out.send(iq.reply(None));
                continue;
            }
            _ => {
                out.send(iq.error(errors::bad_request(
                    &service.jid,
                    Some("Get takes an empty query; set takes a data form or a destroy request"),
                )));
                continue;
            }
        };
        let is_locked = locked.contains(room);
        match form.type_ {
            DataFormType::Cancel => {
                out.send(iq.reply(None));
                if is_locked {
                    // §10.1.3: cancelling the initial configuration destroys the room.
                    destroy(
                        &mut rooms,
                        room,
                        &Default::default(),
                        &mut destroyed,
                        &mut out,
                    );
                }
            }
            DataFormType::Submit => {
                let ctx = FormContext {
                    max_history: service.settings.max_history,
                    archive_days: service.settings.archive_days,
                    games: known_games.0.clone(),
                };
                let applied = match apply_submission(&config, &fields, &form, &ctx) {
                    Ok(applied) => applied,
                    Err(e) => {
                        out.send(iq.error(e.to_stanza_error(&service.jid)));
                        continue;
                    }
                };
                let lists = match list_changes(&affiliations, &form, &actor, &service) {
                    Ok(lists) => lists,
                    Err(e) => {
                        out.send(iq.error(*e));
                        continue;
                    }
                };
                if let Ok((_, mut stored, ..)) = rooms.rooms.get_mut(room) {
                    *stored = applied.config.clone().into();
                }
                let cause = Cause {
                    actor_nick: rooms.occupant_by_sender(room, &iq.from).map(|o| o.nick),
                    reason: None,
                };
                for (jid, affiliation) in lists {
                    set_affiliation(&mut rooms, room, jid, affiliation, &cause, &mut out);
                }
                out.send(iq.reply(None));
                if is_locked {
                    unlock(&mut commands, room);
                } else if !applied.statuses.is_empty() {
                    announce(&rooms, room, applied.statuses, &mut out);
                }
                if applied.config != config {
                    changed.write(ConfigChanged {
                        room,
                        before: config,
                        after: applied.config,
                    });
                }
            }
            _ => out.send(iq.error(errors::bad_request(
                &service.jid,
                Some("The form must be of type submit or cancel"),
            ))),
        }
    }
}

/// The owner and admin lists as form fields (§16.5.3's roomowners and roomadmins).
fn affiliation_fields(affiliations: &Affiliations) -> Vec<Field> {
    [
        (
            ROOMOWNERS,
            "Full List of Room Owners",
            AdminAffiliation::Owner,
        ),
        (
            ROOMADMINS,
            "Full List of Room Admins",
            AdminAffiliation::Admin,
        ),
    ]
    .into_iter()
    .map(|(var, label, affiliation)| {
        let mut field = Field::new(var, FieldType::JidMulti);
        field.label = Some(label.to_owned());
        field.values = affiliations
            .with(affiliation)
            .map(|(jid, _)| jid.to_string())
            .collect();
        field
    })
    .collect()
}

/// The affiliation changes a submitted roomowners/roomadmins field asks for: users listed gain
/// the affiliation, users no longer listed drop to none. A field left out changes nothing.
fn list_changes(
    affiliations: &Affiliations,
    form: &DataForm,
    actor: &super::privileges::Actor,
    service: &Service,
) -> Result<Vec<(BareJid, AdminAffiliation)>, Box<StanzaError>> {
    let mut changes = Vec::new();
    let mut owners: BTreeSet<BareJid> = affiliations
        .with(AdminAffiliation::Owner)
        .map(|(j, _)| j.clone())
        .collect();
    for (var, affiliation) in [
        (ROOMOWNERS, AdminAffiliation::Owner),
        (ROOMADMINS, AdminAffiliation::Admin),
    ] {
        let Some(field) = form.fields.iter().find(|f| f.var.as_deref() == Some(var)) else {
            continue;
        };
        let mut wanted = BTreeSet::new();
        for value in field.values.iter().filter(|v| !v.trim().is_empty()) {
            let jid: Jid = value.trim().parse().map_err(|_| {
                Box::new(errors::not_acceptable(
                    &service.jid,
                    Some(&format!("{var}: '{value}' is not a JID")),
                ))
            })?;
            wanted.insert(jid.to_bare());
        }
        let current: BTreeSet<BareJid> = affiliations
            .with(affiliation)
            .map(|(j, _)| j.clone())
            .collect();
        let gained = wanted
            .difference(&current)
            .map(|j| (j.clone(), affiliation));
        let lost = current
            .difference(&wanted)
            .map(|j| (j.clone(), AdminAffiliation::None));
        for (jid, new) in gained.chain(lost).collect::<Vec<_>>() {
            let target = Target {
                jid: jid.clone(),
                affiliation: affiliations.get(&jid),
                role: xmpp_parsers::muc::user::Role::None,
            };
            may_set_affiliation(actor, &target, new).map_err(|d| Box::new(refusal(service, d)))?;
            if new == AdminAffiliation::Owner {
                owners.insert(jid.clone());
            } else if affiliation == AdminAffiliation::Owner {
                owners.remove(&jid);
            }
            changes.push((jid, new));
        }
    }
    keeps_an_owner(owners.len()).map_err(|d| Box::new(refusal(service, d)))?;
    Ok(changes)
}

/// §10.2.1: a message from the room to every occupant with the configuration-change codes.
fn announce(rooms: &Rooms, room: Entity, statuses: Vec<Status>, out: &mut Outbox) {
    let Some(room_jid) = rooms.jid(room) else {
        return;
    };
    let x = muc_user(statuses, Vec::new());
    for jid in rooms.real_jids(room) {
        let mut m = xmpp_parsers::message::Message::groupchat(Some(jid.clone().into()));
        m.from = Some(room_jid.clone().into());
        m.payloads.push(x.clone());
        out.send(m);
    }
}

#[cfg(test)]
#[path = "tests/owner.rs"]
mod tests;
