//! Room locking (§10.1.1–§10.1.3): a room created by a join stays locked until its owner submits
//! the configuration form; meanwhile others cannot enter, and after the service's lock timeout an
//! unconfigured room is destroyed.

use bevy_ecs::prelude::*;
use chrono::{DateTime, Utc};
use xmpp_parsers::muc::user::Affiliation;

use super::destroy::{RoomDestroyed, because, destroy};
use super::join::{JoinRequests, RoomCreated};
use super::room::Rooms;
use crate::engine::{EngineBuilder, Feature, Now, Outbox, Phase, Service, Wakeup};
use crate::stanza::errors;

/// The room is locked until `until` (then destroyed if still locked).
#[derive(Component, Debug, Clone, Copy)]
pub struct Locked {
    pub until: DateTime<Utc>,
}

pub struct LockPlugin;

impl Feature for LockPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.add_systems(refuse_locked.in_set(Phase::PreJoin));
        engine.add_systems((lock_new_rooms, expire_locks).chain().in_set(Phase::Timers));
    }
}

/// §7.2.10 / §10.1.1: only the owner may enter a locked room; others are told it does not exist.
fn refuse_locked(
    mut requests: ResMut<JoinRequests>,
    locked: Query<(), With<Locked>>,
    service: Res<Service>,
) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        if let Some(room) = req.room
            && locked.contains(room)
            && req.affiliation != Affiliation::Owner
        {
            req.refuse(errors::item_not_found(
                &service.jid,
                Some("This room is locked until its owner configures it"),
            ));
        }
    }
}

fn lock_new_rooms(
    mut created: MessageReader<RoomCreated>,
    service: Res<Service>,
    now: Res<Now>,
    mut commands: Commands,
) {
    for c in created.read() {
        let timeout = chrono::Duration::from_std(service.settings.lock_timeout)
            .unwrap_or(chrono::Duration::minutes(5));
        commands.entity(c.room).insert(Locked {
            until: now.0 + timeout,
        });
    }
}

/// Destroys rooms whose owner never configured them; asks to be woken for the next expiry.
fn expire_locks(
    locked: Query<(Entity, &Locked)>,
    mut rooms: Rooms,
    now: Res<Now>,
    mut wakeup: ResMut<Wakeup>,
    mut destroyed: MessageWriter<RoomDestroyed>,
    mut out: ResMut<Outbox>,
) {
    for (room, lock) in &locked {
        if lock.until <= now.0 {
            destroy(
                &mut rooms,
                room,
                &because("The room was not configured in time and has been destroyed"),
                &mut destroyed,
                &mut out,
            );
        } else {
            wakeup.at(lock.until);
        }
    }
}

/// Removes the lock once the owner has submitted a configuration (instant or full).
pub fn unlock(commands: &mut Commands, room: Entity) {
    commands.entity(room).remove::<Locked>();
}

#[cfg(test)]
#[path = "tests/lock.rs"]
mod tests;
