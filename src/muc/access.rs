//! Who may enter (§7.2.5 password, §7.2.6 members-only, §7.2.7 banned), as pre-join checks, and
//! what happens to occupants when a room becomes members-only (§9.4's 322).

use bevy_ecs::prelude::*;
use xmpp_parsers::muc::user::{Affiliation, Status};

use super::admin::{Cause, remove};
use super::join::{JoinRequests, PreJoinStep};
use super::owner::ConfigChanged;
use super::room::Rooms;
use crate::engine::{EngineBuilder, Feature, Outbox, Phase, Service};
use crate::stanza::errors;

pub struct AccessPlugin;

impl Feature for AccessPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.add_systems(
            (refuse_outcasts, refuse_non_members, refuse_wrong_password)
                .chain()
                .in_set(PreJoinStep::Access),
        );
        engine.add_systems(
            members_only_removals
                .in_set(Phase::Iq)
                .after(super::owner::OwnerSet),
        );
    }
}

/// §7.2.7: outcasts get forbidden.
fn refuse_outcasts(mut requests: ResMut<JoinRequests>, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        if req.room.is_some() && req.affiliation == Affiliation::Outcast {
            req.refuse(errors::forbidden(
                &service.jid,
                Some("You are banned from this room"),
            ));
        }
    }
}

/// §7.2.6: a members-only room admits members (players included), admins and owners.
fn refuse_non_members(mut requests: ResMut<JoinRequests>, rooms: Rooms, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        let Some(room) = req.room else { continue };
        if rooms.config(room).is_some_and(|c| c.members_only)
            && req.affiliation == Affiliation::None
        {
            req.refuse(errors::registration_required(
                &service.jid,
                Some("This room is for members only"),
            ));
        }
    }
}

/// §7.2.5: a password-protected room wants the password in the join element.
fn refuse_wrong_password(mut requests: ResMut<JoinRequests>, rooms: Rooms, service: Res<Service>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        let Some(room) = req.room else { continue };
        let Some(secret) = rooms.config(room).and_then(|c| c.password.clone()) else {
            continue;
        };
        if req.muc.password.as_deref() != Some(secret.as_str()) {
            req.refuse(errors::not_authorized(
                &service.jid,
                Some("A correct password is required to enter this room"),
            ));
        }
    }
}

/// §9.4 (322): when a room becomes members-only, occupants without membership leave it.
fn members_only_removals(
    mut changed: MessageReader<ConfigChanged>,
    mut rooms: Rooms,
    mut out: ResMut<Outbox>,
) {
    for change in changed.read() {
        if change.before.members_only || !change.after.members_only {
            continue;
        }
        for occupant in rooms.occupants_of(change.room) {
            if occupant.affiliation == Affiliation::None {
                remove(
                    &mut rooms,
                    change.room,
                    &occupant,
                    Status::ConfigMembersOnly,
                    &Cause::default(),
                    &mut out,
                );
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/access.rs"]
mod tests;
