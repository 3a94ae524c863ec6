//! Game rooms: a room hosts one game from the loaded rules (its configuration's `game` field, or
//! `!game NAME` by an owner); occupants sit, play and watch with chat commands. Seats are the
//! player role ([`Player`]); clocks and the computer player run on the engine's ticks.

pub mod clock;
mod commands;
pub mod course;
pub mod house;
pub mod lobby;
mod offers;
pub mod ratings;
pub mod records;
mod seats;
mod table;
mod text;
mod timers;

use std::sync::Arc;

use bevy_ecs::prelude::*;

use crate::engine::{Engine, EngineBuilder, Feature, Phase};
use crate::game::Rules;
use crate::muc::form::{ConfigFields, FieldKind, FieldSpec, KnownGames};

pub use table::{Game, Sitter, StoredTable, Table};

/// The game rooms' service-wide state back from the store (at start): ratings and records.
pub fn restore_games(engine: &mut Engine, stored: crate::store::StoredGames) {
    let world = engine.world_mut();
    ratings::restore(
        &mut world.resource_mut::<ratings::Ratings>(),
        stored.ratings,
    );
    records::restore(
        &mut world.resource_mut::<records::Records>(),
        stored.records,
        stored.next_id,
    );
}

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

/// How long the computer waits before it moves, so that people can follow.
pub const BOT_DELAY_MS: i64 = 800;

pub struct PlayPlugin;

impl Feature for PlayPlugin {
    fn build(&self, engine: &mut EngineBuilder) {
        engine.world.init_resource::<GameCatalog>();
        engine.world.init_resource::<ratings::Ratings>();
        engine.world.init_resource::<records::Records>();
        engine
            .world
            .init_resource::<crate::store::capture::StoreQueue>();
        engine.claim_messages(commands::is_private_command);
        engine
            .world
            .get_resource_or_init::<ConfigFields>()
            .push(prefix_field());
        let mut fields = engine.world.get_resource_or_init::<ConfigFields>();
        fields.push(clock_field());
        fields.push(rated_field());
        engine.add_systems(
            seats::seat_on_join
                .in_set(Phase::PreJoin)
                .after(crate::muc::join::PreJoinStep::Capacity),
        );
        engine.add_systems(
            (
                commands::withhold_secrets.before(crate::muc::messages::MessagesSet),
                commands::chat_commands.after(crate::muc::messages::MessagesSet),
                lobby::disco_node,
                course::configured_game,
            )
                .in_set(Phase::Messages),
        );
        engine.add_systems(
            (seats::sync_seats, timers::clocks_and_bots, house::reconcile)
                .chain()
                .in_set(Phase::Timers),
        );
    }
}

/// Gives the engine its games: the catalog and the configuration form's game field.
pub fn install(engine: &mut Engine, games: Vec<Arc<Rules>>) {
    install_in(engine.world_mut(), games);
}

/// [`install`] on the World itself, for a reload from inside the engine (games under way keep
/// the rules they started with).
pub fn install_in(world: &mut World, games: Vec<Arc<Rules>>) {
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

fn clock_field() -> FieldSpec {
    FieldSpec::new(
        "palaver#roomconfig_gameclock",
        "Game Clock (e.g. 30s/move, 5+3, 10 byo 5x30; empty: the game's own)",
        FieldKind::TextSingle,
        |c| vec![c.game_options.clock.clone()],
        |c, v, _| {
            let text = v.first().map_or("", |s| s.trim());
            if text.is_empty() {
                c.game_options.clock.clear();
                return Ok(());
            }
            // The game's own bounds are checked when a game starts (the game may change).
            let control =
                clock::TimeControl::parse(text).map_err(|e| format!("Game Clock: {e}"))?;
            c.game_options.clock = control.notation();
            Ok(())
        },
    )
}

fn rated_field() -> FieldSpec {
    FieldSpec::new(
        "palaver#roomconfig_gamerated",
        "Games Here Count for Ratings?",
        FieldKind::Boolean,
        |c| vec![if c.game_options.rated { "1" } else { "0" }.to_owned()],
        |c, v, _| {
            c.game_options.rated = match v.first().map_or("", |s| s.trim()) {
                "1" | "true" => true,
                "0" | "false" | "" => false,
                other => {
                    return Err(format!(
                        "Games Here Count for Ratings?: '{other}' is not a yes/no value (1 or 0)."
                    ));
                }
            };
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
#[cfg(test)]
mod tests_cards;
#[cfg(test)]
mod tests_hidden;
#[cfg(test)]
mod tests_house;
#[cfg(test)]
mod tests_servers;
