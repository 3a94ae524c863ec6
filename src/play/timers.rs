//! Work the clock drives: move clocks running out and the computer's moves.

use bevy_ecs::prelude::*;

use super::table::{Ctx, Sitter, Table};
use crate::game::bot::{self, Budget};

/// Move clocks and the computer's moves.
pub fn clocks_and_bots(mut ctx: Ctx, rooms_with_tables: Query<Entity, With<Table>>) {
    let now = ctx.now.0;
    for room in &rooms_with_tables {
        let Ok(table) = ctx.tables.get(room) else {
            continue;
        };
        let (deadline, bot_due) = (table.deadline, table.bot_due);
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

fn timeout(ctx: &mut Ctx, room: Entity) {
    let Ok(mut table) = ctx.tables.get_mut(room) else {
        return;
    };
    let Some(game) = table.live_mut() else {
        return;
    };
    let late: Vec<usize> = game.play.to_move();
    let labels: Vec<String> = late.iter().map(|s| game.label(*s)).collect();
    let mut effects = Vec::new();
    for seat in &late {
        if game.play.is_over() {
            break;
        }
        effects.push(game.play.timeout(*seat));
    }
    if game.play.is_over() {
        game.name_outcome();
    }
    let skipped = effects
        .iter()
        .all(|e| *e == crate::game::play::TimeoutEffect::Skipped);
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
