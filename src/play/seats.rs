//! Seats and occupants kept in step: a player who comes back gets the seat back as part of the
//! join (so the join's presences carry the hat and the history is filtered as for a player);
//! a player who left keeps the seat for a grace period, after which a running game is forfeited
//! and a waiting seat is freed.

use bevy_ecs::prelude::*;
use chrono::Duration;
use xmpp_parsers::muc::user::Role;

use super::course::Ctx;
use super::table::{Sitter, Table};
use crate::muc::join::JoinRequests;
use crate::muc::player::Player;

/// A pre-join step: a user who holds a seat enters with its player role.
pub fn seat_on_join(mut requests: ResMut<JoinRequests>, tables: Query<&Table>) {
    for req in requests.0.iter_mut().filter(|r| r.is_open()) {
        let Some(table) = req.room.and_then(|r| tables.get(r).ok()) else {
            continue;
        };
        let Some(seat) = table.seat_of(&req.from.to_bare()) else {
            continue;
        };
        req.player = Some(Player {
            seat: Some(table.seat_name(seat).to_owned()),
        });
        // A seat gives voice, as `!sit` did.
        if req.role == Role::Visitor {
            req.role = Role::Participant;
        }
    }
}

/// Keeps seats and occupants in step: players who left keep their seat for a grace period
/// (a running game is forfeited after it, a waiting seat freed); players who come back are
/// welcomed, and sessions that lost their hat get it again.
pub fn sync_seats(mut ctx: Ctx, rooms_with_tables: Query<Entity, With<Table>>) {
    let now = ctx.now.0;
    // Bounded so that no configuration makes a deadline overflow.
    let grace = Duration::from_std(ctx.service.settings.seat_grace)
        .unwrap_or(Duration::MAX)
        .min(Duration::days(7));
    for room in &rooms_with_tables {
        let Ok(table) = ctx.tables.get(room) else {
            continue;
        };
        if table.seats.iter().flatten().all(Sitter::is_bot) {
            continue;
        }
        // The seats and labels are all this needs: no clone of the game.
        let seats = table.seats.clone();
        let names: Vec<String> = (0..seats.len())
            .map(|s| table.seat_name(s).to_owned())
            .collect();
        let labels: Vec<String> = (0..seats.len()).map(|s| table.label(s)).collect();
        let running = table.running();
        let here = ctx.rooms.occupants_of(room);
        for (seat, sitter) in seats.iter().enumerate() {
            let Some(sitter) = sitter else { continue };
            let Some(jid) = &sitter.jid else { continue };
            let present = here.iter().find(|o| o.jid.to_bare() == *jid).cloned();
            match (present, sitter.away_since) {
                (Some(o), away) => {
                    // Announcements follow a player's nick changes. (Only a real change touches
                    // the table: a touched table is stored again.)
                    if (away.is_some() || sitter.nick != o.nick)
                        && let Ok(mut t) = ctx.tables.get_mut(room)
                    {
                        if let Some(Some(s)) = t.seats.get_mut(seat) {
                            s.away_since = None;
                            s.nick = o.nick.clone();
                        }
                        if running
                            && let Some(p) = t.game.as_mut().and_then(|g| g.players.get_mut(seat))
                        {
                            p.nick = o.nick.clone();
                        }
                    }
                    if away.is_some() && running {
                        let label = ctx.tables.get(room).map(|t| t.label(seat));
                        if let Ok(label) = label {
                            ctx.say_all(room, &format!("{label} is back."));
                        }
                        // What only this seat may see, again: its client may have lost it.
                        ctx.send_private_views(room, Some(seat));
                    }
                    let want = Some(names[seat].clone());
                    if o.player.as_ref().and_then(|p| p.seat.clone()) != want {
                        ctx.mark_player(room, jid, want);
                    }
                }
                (None, None) => {
                    if let Ok(mut t) = ctx.tables.get_mut(room)
                        && let Some(Some(s)) = t.seats.get_mut(seat)
                    {
                        s.away_since = Some(now);
                    }
                    if running {
                        ctx.say_all(
                            room,
                            &format!(
                                "{} left; the seat is kept for {} s.",
                                labels[seat],
                                grace.num_seconds()
                            ),
                        );
                    }
                    ctx.wakeup.at(now + grace);
                }
                (None, Some(since)) => {
                    let until = since + grace;
                    if now < until {
                        ctx.wakeup.at(until);
                        continue;
                    }
                    if running {
                        let label = labels[seat].clone();
                        ctx.forfeit(
                            room,
                            seat,
                            &format!("{} left the game", sitter.nick),
                            &format!("{label} did not come back and forfeits."),
                        );
                        // The game is over and every seat is free.
                        break;
                    }
                    if let Ok(mut t) = ctx.tables.get_mut(room)
                        && let Some(slot) = t.seats.get_mut(seat)
                    {
                        *slot = None;
                    }
                    ctx.say_all(
                        room,
                        &format!(
                            "{} did not come back; seat {} is free.",
                            sitter.nick, names[seat]
                        ),
                    );
                }
            }
        }
    }
}
