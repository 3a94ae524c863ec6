//! Work the clock drives: move clocks running out and the computer's moves.

use bevy_ecs::prelude::*;

use super::clock::{Clocks, per_move_effect};
use super::course::Ctx;
use super::table::{Sitter, Step, StepKind, Table};
use crate::game::Outcome;
use crate::game::bot::{self, Budget};
use crate::game::play::TimeoutEffect;
use crate::game::rules::OnTimeout;

/// Clocks running out and the computer's moves.
pub fn clocks_and_bots(mut ctx: Ctx, rooms_with_tables: Query<Entity, With<Table>>) {
    let now = ctx.now.0;
    for room in &rooms_with_tables {
        let Ok(table) = ctx.tables.get(room) else {
            continue;
        };
        let bot_due = table.bot_due;
        let deadline = table
            .live()
            .and_then(|g| g.clocks.as_ref())
            .and_then(Clocks::next_deadline);
        if let Some(due) = bot_due {
            if due <= now {
                bot_moves(&mut ctx, room);
                continue;
            }
            ctx.wakeup.at(due);
        }
        if let Some(deadline) = deadline {
            if deadline <= now {
                timeout(&mut ctx, room);
            } else {
                ctx.wakeup.at(deadline);
            }
        }
    }
}

/// Seats whose time ran out: a game clock loses the game; a time per move does what the rules
/// say (lose, or be skipped).
fn timeout(ctx: &mut Ctx, room: Entity) {
    let now = ctx.now.0;
    let Ok(mut table) = ctx.tables.get_mut(room) else {
        return;
    };
    let rules = table.rules.clone();
    let Some(game) = table.live_mut() else {
        return;
    };
    let Some(clocks) = game.clocks.as_ref() else {
        return;
    };
    let late = clocks.flagged(now);
    let Some(&first) = late.first() else {
        return;
    };
    let labels: Vec<String> = late.iter().map(|s| game.label(*s)).collect();
    // Every seat out of time at once (a simultaneous game nobody moved in): nobody wins. Skipped
    // seats are not out of the game, so a skipping clock goes on as usual.
    let forfeits = clocks.is_game_clock() || per_move_effect(&rules) == OnTimeout::Forfeit;
    if forfeits && late.len() > 1 && late.len() >= game.players.len() {
        let nicks: Vec<String> = late
            .iter()
            .filter_map(|s| game.players.get(*s).map(|p| p.nick.clone()))
            .collect();
        ctx.conclude(
            room,
            Outcome::Nobody {
                reason: format!("{} ran out of time", nicks.join(" and ")),
            },
            false,
            &format!("Time is up: {} forfeit; nobody wins.", labels.join(" and ")),
        );
        return;
    }
    if clocks.is_game_clock() {
        let label = game.label(first);
        let nick = game
            .players
            .get(first)
            .map_or("?".into(), |p| p.nick.clone());
        ctx.forfeit(
            room,
            first,
            &format!("{nick} ran out of time"),
            &format!("Time is up: {label} loses on time."),
        );
        return;
    }
    let mut skipped = per_move_effect(&rules) == OnTimeout::Skip;
    for seat in &late {
        if game.play.is_over() {
            break;
        }
        let before = game.snapshot();
        let effect = game.play.timeout(*seat);
        game.remember(before);
        let ms = game.clocks.as_mut().map_or(0, |c| c.charge(*seat, now));
        if effect == TimeoutEffect::Skipped {
            game.log.push(Step {
                seat: *seat,
                what: StepKind::Skip,
                ms,
            });
        } else {
            skipped = false;
        }
    }
    if game.play.is_over() {
        game.name_outcome();
    }
    let what = if skipped { "is skipped" } else { "forfeits" };
    ctx.after_move(
        room,
        &format!("Time is up: {} {what}.", labels.join(" and ")),
    );
}

/// The computer plays for every bot seat to move (a few milliseconds of search each).
fn bot_moves(ctx: &mut Ctx, room: Entity) {
    let Ok(table) = ctx.tables.get(room) else {
        return;
    };
    let Some(game) = table.live() else {
        return;
    };
    let bots: Vec<usize> = game
        .play
        .to_move()
        .into_iter()
        .filter(|s| game.players.get(*s).is_some_and(Sitter::is_bot))
        .collect();
    let budget = Budget {
        iterations: 2_000,
        max_time: std::time::Duration::from_millis(25),
    };
    let seed = ctx.now.0.timestamp_micros() as u64;
    if let Ok(mut t) = ctx.tables.get_mut(room) {
        t.bot_due = None;
    }
    for seat in bots {
        let current = ctx
            .tables
            .get(room)
            .ok()
            .and_then(|t| t.live().map(|g| g.play.clone()));
        let Some(current) = current else {
            return;
        };
        if let Some(mv) = bot::choose(&current, seat, budget, seed ^ seat as u64)
            && let Err(e) = ctx.play(room, seat, &mv)
        {
            tracing::warn!("the computer's move {mv} was refused: {e}");
        }
    }
}
