//! Game rooms: a room hosts one game from the loaded rules (its configuration's `game` field, or
//! `!game NAME` by an owner); occupants sit, play and watch with chat commands. Seats are the
//! player role ([`Player`]); clocks and the computer player run on the engine's ticks.

mod commands;
mod table;

use std::sync::Arc;

use bevy_ecs::prelude::*;

use crate::engine::{Engine, EngineBuilder, Feature, Phase};
use crate::game::Rules;
use crate::muc::form::{ConfigFields, FieldKind, FieldSpec, KnownGames};

pub use table::{Sitter, StoredTable, Table};

/// The games the service has loaded.
#[derive(Resource, Debug, Clone, Default)]
pub struct GameCatalog(pub Vec<Arc<Rules>>);

impl GameCatalog {
    pub fn find(&self, id: &str) -> Option<Arc<Rules>> {
        let id = id.trim().to_lowercase();
        self.0
            .iter()
            .find(|g| g.id() == id || g.name().to_lowercase() == id)
            .cloned()
    }
}

/// How long a player who left may come back and keep the seat.
pub const SEAT_GRACE_SECS: i64 = 60;
/// How long the computer waits before it moves, so that people can follow.
pub const BOT_DELAY_MS: i64 = 800;

pub struct PlayPlugin;

impl Feature for PlayPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<GameCatalog>();
        engine.claim_messages(commands::is_private_command);
        engine
            .world
            .get_resource_or_init::<ConfigFields>()
            .push(prefix_field());
        engine.add_systems(
            (
                commands::chat_commands.after(crate::muc::messages::MessagesSet),
                table::configured_game,
            )
                .in_set(Phase::Messages),
        );
        engine.add_systems(
            (table::sync_seats, table::clocks_and_bots)
                .chain()
                .in_set(Phase::Timers),
        );
    }
}

/// Gives the engine its games: the catalog and the configuration form's game field.
pub fn install(engine: &mut Engine, games: Vec<Arc<Rules>>) {
    let world = engine.world_mut();
    world.resource_mut::<KnownGames>().0 = games.iter().map(|g| g.id().to_owned()).collect();
    let options = static_options(&games);
    world
        .resource_mut::<ConfigFields>()
        .push(game_field(options));
    world.resource_mut::<GameCatalog>().0 = games;
}

type Options = &'static [(&'static str, &'static str)];

/// The game field's options. They are static strings (the catalog lives as long as the
/// process); engines built with the same games share one copy, so that building many (tests,
/// the fuzzers: one per input) does not leak a copy each.
fn static_options(games: &[Arc<Rules>]) -> Options {
    static INTERNED: std::sync::Mutex<Vec<Options>> = std::sync::Mutex::new(Vec::new());
    let wanted: Vec<(&str, &str)> = std::iter::once(("", "No game"))
        .chain(games.iter().map(|g| (g.id(), g.name())))
        .collect();
    let mut interned = INTERNED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(found) = interned.iter().find(|o| o[..] == wanted[..]) {
        return found;
    }
    let options: Vec<(&'static str, &'static str)> = wanted
        .iter()
        .map(|&(id, name)| -> (&'static str, &'static str) {
            (
                Box::leak(id.to_owned().into_boxed_str()),
                Box::leak(name.to_owned().into_boxed_str()),
            )
        })
        .collect();
    let options: Options = Box::leak(options.into_boxed_slice());
    interned.push(options);
    options
}

fn prefix_field() -> FieldSpec {
    FieldSpec::new(
        "palaver#roomconfig_gameprefix",
        "Game Commands Start With",
        FieldKind::TextSingle,
        |c| vec![c.game_prefix.clone()],
        |c, v, _| {
            let p = v.first().map_or("", |s| s.trim());
            if p.is_empty() || p.chars().count() > 3 || p.chars().any(char::is_alphanumeric) {
                return Err(
                    "Game Commands Start With: one to three symbols such as ! or . please.".into(),
                );
            }
            c.game_prefix = p.to_owned();
            Ok(())
        },
    )
}

fn game_field(options: &'static [(&'static str, &'static str)]) -> FieldSpec {
    FieldSpec::new(
        "palaver#roomconfig_game",
        "Game Played in This Room",
        FieldKind::ListSingle(options),
        |c| vec![c.game.clone().unwrap_or_default()],
        |c, v, ctx| {
            let id = v.first().map_or("", |s| s.trim());
            if id.is_empty() {
                c.game = None;
            } else if ctx.games.iter().any(|g| g == id) {
                c.game = Some(id.to_owned());
            } else {
                return Err(format!(
                    "Game Played in This Room: '{id}' is not one of {}.",
                    ctx.games.join(", ")
                ));
            }
            Ok(())
        },
    )
}

#[cfg(test)]
mod tests;
