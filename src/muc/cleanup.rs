//! Temporary rooms end with their last occupant (§10.1.x, muc#roomconfig_persistentroom).

use bevy_ecs::prelude::*;

use super::room::Rooms;
use crate::engine::{EngineBuilder, Feature, Phase};

/// The end of temporary rooms, for systems that must see the world after it.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct CleanupSet;

pub struct CleanupPlugin;

impl Feature for CleanupPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.add_systems(
            destroy_empty_rooms
                .in_set(Phase::Cleanup)
                .in_set(CleanupSet),
        );
    }
}

fn destroy_empty_rooms(mut rooms: Rooms) {
    for room in std::mem::take(&mut rooms.emptied.0) {
        let empty = rooms.roster(room).is_some_and(|r| r.is_empty());
        if empty && rooms.config(room).is_some_and(|c| !c.persistent) {
            rooms.destroy_room(room);
        }
    }
}
