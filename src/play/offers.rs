//! What players settle among themselves: draws and takebacks by consent (`!draw`, `!takeback`,
//! then `!accept` or the same command from the others; `!decline`), `!abort` before the second
//! move, and `!rematch` once a game is over. The computer agrees to takebacks and rematches and
//! declines draws.

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::BareJid;
use xmpp_parsers::muc::user::Role;

use super::course::Ctx;
use super::table::{Offer, OfferKind, Sitter};
use crate::game::Outcome;
use crate::muc::room::OccupantInfo;

/// `!draw` or `!takeback`: offers it, or agrees to the others' offer.
pub fn offer(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, kind: OfferKind) -> Option<String> {
    let jid = me.jid.to_bare();
    let Ok(table) = ctx.tables.get(room) else {
        return Some("This room hosts no game.".into());
    };
    let simultaneous = table.rules.simultaneous();
    let Some(game) = table.live() else {
        return Some("No game is running.".into());
    };
    let Some(seat) = game.seat_of(&jid) else {
        return Some("Only the players settle that.".into());
    };
    if kind == OfferKind::Takeback {
        if simultaneous {
            return Some("Secret choices cannot be taken back.".into());
        }
        let moved = game.log.iter().any(|s| s.seat == seat);
        if !moved {
            return Some("You have no move to take back.".into());
        }
    }
    if let Some(o) = &game.offer
        && o.kind == kind
        && o.by != seat
    {
        return agree(ctx, room, seat);
    }
    if game
        .offer
        .as_ref()
        .is_some_and(|o| o.by == seat && o.kind == kind)
    {
        return Some(format!("You offered {} already.", kind.word()));
    }
    let label = game.label(seat);
    let others_human = game.human_seats().into_iter().any(|s| s != seat);
    // The computer settles at once: takebacks yes, draws no.
    let bots_agree = kind == OfferKind::Takeback;
    if let Ok(mut t) = ctx.tables.get_mut(room)
        && let Some(g) = t.live_mut()
    {
        let mut agreed = vec![seat];
        if bots_agree {
            agreed.extend((0..g.players.len()).filter(|s| g.players[*s].is_bot()));
        }
        g.offer = Some(Offer {
            kind,
            by: seat,
            agreed,
        });
    }
    if !others_human {
        if bots_agree {
            return settle(ctx, room);
        }
        if let Ok(mut t) = ctx.tables.get_mut(room)
            && let Some(g) = t.live_mut()
        {
            g.offer = None;
        }
        return Some("The computer declines the draw.".into());
    }
    let how = match kind {
        OfferKind::Draw => "!draw or !accept agrees, !decline refuses; a move declines it",
        OfferKind::Takeback => "!takeback or !accept agrees, !decline refuses",
        OfferKind::Rematch => "!rematch agrees",
    };
    ctx.say_all(room, &format!("{label} offers {} ({how}).", kind.word()));
    None
}

/// `!accept`: agrees to the offer on the table.
pub fn accept(ctx: &mut Ctx, room: Entity, me: &OccupantInfo) -> Option<String> {
    let jid = me.jid.to_bare();
    let Some((seat, offer)) = pending(ctx, room, &jid) else {
        return Some("There is no offer to accept.".into());
    };
    if offer.by == seat {
        return Some("That is your own offer.".into());
    }
    agree(ctx, room, seat)
}

/// `!decline`: refuses the offer on the table.
pub fn decline(ctx: &mut Ctx, room: Entity, me: &OccupantInfo) -> Option<String> {
    let jid = me.jid.to_bare();
    let Some((seat, offer)) = pending(ctx, room, &jid) else {
        return Some("There is no offer to decline.".into());
    };
    let label = ctx
        .tables
        .get(room)
        .ok()
        .and_then(|t| t.game.as_ref().map(|g| g.label(seat)))
        .unwrap_or_default();
    if let Ok(mut t) = ctx.tables.get_mut(room)
        && let Some(g) = t.game.as_mut()
    {
        g.offer = None;
    }
    let what = if offer.by == seat {
        "withdraws"
    } else {
        "declines"
    };
    ctx.say_all(room, &format!("{label} {what} {}.", offer.kind.word()));
    None
}

/// The offer on the table and `jid`'s seat in that game.
fn pending(ctx: &Ctx, room: Entity, jid: &BareJid) -> Option<(usize, Offer)> {
    let game = ctx.tables.get(room).ok()?.game.as_ref()?;
    let offer = game.offer.clone()?;
    Some((game.seat_of(jid)?, offer))
}

/// `seat` agrees; when everyone has, the offer is carried out.
fn agree(ctx: &mut Ctx, room: Entity, seat: usize) -> Option<String> {
    if let Ok(mut t) = ctx.tables.get_mut(room)
        && let Some(g) = t.game.as_mut()
        && let Some(o) = g.offer.as_mut()
        && !o.agreed.contains(&seat)
    {
        o.agreed.push(seat);
    }
    settle(ctx, room)
}

/// Carries out the offer on the table if every player has agreed.
fn settle(ctx: &mut Ctx, room: Entity) -> Option<String> {
    let table = ctx.tables.get(room).ok()?;
    let game = table.game.as_ref()?;
    let offer = game.offer.clone()?;
    let everyone = (0..game.players.len()).all(|s| offer.agreed.contains(&s));
    if !everyone {
        let label = game.label(*offer.agreed.last().unwrap_or(&offer.by));
        ctx.say_all(room, &format!("{label} agrees to {}.", offer.kind.word()));
        return None;
    }
    let by = game.label(offer.by);
    match offer.kind {
        OfferKind::Draw => {
            ctx.conclude(
                room,
                Outcome::Draw {
                    reason: "agreed".into(),
                },
                false,
                "Draw agreed.",
            );
            None
        }
        OfferKind::Takeback => {
            let ok = ctx
                .tables
                .get_mut(room)
                .ok()
                .and_then(|mut t| t.live_mut().map(|g| g.take_back(offer.by)))
                .unwrap_or(false);
            if !ok {
                if let Ok(mut t) = ctx.tables.get_mut(room)
                    && let Some(g) = t.game.as_mut()
                {
                    g.offer = None;
                }
                return Some("That move is too far back to take back.".into());
            }
            ctx.after_move(room, &format!("{by}'s move is taken back."));
            None
        }
        OfferKind::Rematch => {
            if let Ok(mut t) = ctx.tables.get_mut(room)
                && let Some(g) = t.game.as_mut()
            {
                g.offer = None;
            }
            rematch_now(ctx, room)
        }
    }
}

/// `!abort`: ends a game with no result before its second move.
pub fn abort(ctx: &mut Ctx, room: Entity, me: &OccupantInfo) -> Option<String> {
    let jid = me.jid.to_bare();
    let Ok(table) = ctx.tables.get(room) else {
        return Some("This room hosts no game.".into());
    };
    let Some(game) = table.live() else {
        return Some("No game is running.".into());
    };
    let Some(seat) = game.seat_of(&jid) else {
        return Some("Only the players abort a game.".into());
    };
    if game.log.len() >= 2 {
        return Some(
            "Too late to abort: the second move is played. !resign or !draw instead.".into(),
        );
    }
    let nick = game.players[seat].nick.clone();
    ctx.conclude(
        room,
        Outcome::Nobody {
            reason: format!("aborted by {nick}"),
        },
        true,
        &format!("{nick} aborts the game."),
    );
    None
}

/// `!rematch`: the last game's players, once all agree, sit again (the first to move going
/// last) and play.
pub fn rematch(ctx: &mut Ctx, room: Entity, me: &OccupantInfo) -> Option<String> {
    let Ok(table) = ctx.tables.get(room) else {
        return Some("This room hosts no game.".into());
    };
    let Some(game) = table.game.as_ref().filter(|g| !g.running()) else {
        return Some("A rematch follows a finished game.".into());
    };
    if table.seated() > 0 {
        return Some("Players are sitting down for a new game: !start begins it.".into());
    }
    let jid = me.jid.to_bare();
    let seat = game.seat_of(&jid);
    if seat.is_none() && me.role != Role::Moderator {
        return Some("Only the last game's players (or moderators) ask for a rematch.".into());
    }
    let missing = missing_players(ctx, room, &game.players);
    if !missing.is_empty() {
        return Some(format!(
            "{} left; !sit and !start for a new game.",
            missing.join(" and ")
        ));
    }
    let Some(seat) = seat else {
        // A moderator restarts the same game at once.
        return rematch_now(ctx, room);
    };
    if game
        .offer
        .as_ref()
        .is_some_and(|o| o.kind == OfferKind::Rematch)
    {
        return agree(ctx, room, seat);
    }
    let bots: Vec<usize> = (0..game.players.len())
        .filter(|s| game.players[*s].is_bot())
        .collect();
    let label = game.label(seat);
    if let Ok(mut t) = ctx.tables.get_mut(room)
        && let Some(g) = t.game.as_mut()
    {
        let mut agreed = vec![seat];
        agreed.extend(bots);
        g.offer = Some(Offer {
            kind: OfferKind::Rematch,
            by: seat,
            agreed,
        });
    }
    let everyone = ctx
        .tables
        .get(room)
        .ok()
        .and_then(|t| t.game.as_ref())
        .is_some_and(|g| {
            g.offer
                .as_ref()
                .is_some_and(|o| (0..g.players.len()).all(|s| o.agreed.contains(&s)))
        });
    if everyone {
        return settle(ctx, room);
    }
    ctx.say_all(
        room,
        &format!("{label} offers a rematch (!rematch agrees)."),
    );
    None
}

/// Nicks of the human players who are no longer in the room.
fn missing_players(ctx: &Ctx, room: Entity, players: &[Sitter]) -> Vec<String> {
    let here: Vec<BareJid> = ctx
        .rooms
        .occupants_of(room)
        .into_iter()
        .map(|o| o.jid.to_bare())
        .collect();
    players
        .iter()
        .filter(|p| p.jid.as_ref().is_some_and(|j| !here.contains(j)))
        .map(|p| p.nick.clone())
        .collect()
}

/// Seats the last game's players again, rotated, and starts.
fn rematch_now(ctx: &mut Ctx, room: Entity) -> Option<String> {
    let table = ctx.tables.get(room).ok()?;
    let game = table.game.as_ref()?;
    let mut players = game.players.clone();
    if players.len() > 1 {
        players.rotate_left(1);
    }
    let names: Vec<(Option<BareJid>, String)> = players
        .iter()
        .enumerate()
        .map(|(i, p)| (p.jid.clone(), table.seat_name(i).to_owned()))
        .collect();
    if let Ok(mut t) = ctx.tables.get_mut(room) {
        for (slot, p) in t.seats.iter_mut().zip(players) {
            *slot = Some(Sitter {
                away_since: None,
                ..p
            });
        }
    }
    for (jid, seat) in names {
        if let Some(jid) = jid {
            ctx.mark_player(room, &jid, Some(seat));
        }
    }
    ctx.start(room).err()
}
