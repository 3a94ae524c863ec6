//! Game commands typed in the room (`!sit`, `!start`, `!move 4`…), or sent privately to the
//! room's JID (secret choices). A bare move from the player to move counts when it cannot be
//! taken for chat. Answers meant for one person go to that person only.

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::Jid;
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::table::{Ctx, Sitter, set_table};
use crate::engine::route::MessageIn;
use crate::muc::admin::actor_of;
use crate::muc::room::OccupantInfo;
use crate::stanza::{errors, message_error};
use crate::xmpp::muc_admin::AdminAffiliation;

const HELP: &str = "Game commands (start each with the room's prefix, ! by default):
help — this list; games — the games here; rules [GAME] — how to play
game NAME — (owners) play NAME in this room; player NICK — (admins) let NICK play (the player affiliation)
sit [SEAT] — take a seat; sit bot [SEAT] — seat the computer; stand — leave your seat
start — begin with the seated players; rematch — play again, seats rotated
move MOVE — play (or just type the move on your turn); board — see the board
resign — give up; score — games won here
Secret choices (e.g. rock) go in a private message to the room's address.";

/// A private message to the room itself with a body: a command or a secret move.
pub fn is_private_command(m: &Message) -> bool {
    matches!(m.type_, MessageType::Chat | MessageType::Normal)
        && !m.bodies.is_empty()
        && !m.payloads.iter().any(|p| {
            p.is("x", xmpp_parsers::ns::MUC_USER) || p.is("x", xmpp_parsers::ns::DATA_FORMS)
        })
}

pub fn chat_commands(mut inbound: MessageReader<MessageIn>, mut ctx: Ctx) {
    for MessageIn {
        from,
        room: room_jid,
        nick,
        message,
    } in inbound.read()
    {
        if nick.is_some() || message.type_ == MessageType::Error {
            continue;
        }
        let private = message.type_ != MessageType::Groupchat;
        if private && !is_private_command(message) {
            continue;
        }
        let Some(body) = message.bodies.values().next().map(|b| b.trim().to_owned()) else {
            continue;
        };
        let Some(room) = ctx.rooms.find(room_jid) else {
            // messages.rs answered groupchat; a private command needs its own answer.
            if private {
                let by = ctx.service.jid.clone();
                ctx.out.send_opt(message_error(
                    message,
                    errors::item_not_found(&by, Some("This room does not exist")),
                ));
            }
            continue;
        };
        let Some(me) = ctx.rooms.occupant_by_sender(room, from) else {
            if private {
                let by = ctx.service.jid.clone();
                ctx.out.send_opt(message_error(
                    message,
                    errors::not_acceptable(&by, Some("Only occupants may use the room's game")),
                ));
            }
            continue;
        };
        // A visitor's groupchat was refused; its commands go privately.
        if !private && matches!(me.role, Role::Visitor | Role::None) {
            continue;
        }
        let prefix = ctx
            .rooms
            .config(room)
            .map_or("!".to_owned(), |c| c.game_prefix.clone());
        let reply_to: Jid = from.clone();
        let answer = if let Some(command) = body.strip_prefix(&prefix) {
            run(&mut ctx, room, &me, command.trim(), private)
        } else if private {
            // A private message without the prefix is a (secret) move.
            run(&mut ctx, room, &me, &format!("move {body}"), private)
        } else if is_bare_move(&ctx, room, &me, &body) {
            run(&mut ctx, room, &me, &format!("move {body}"), private)
        } else {
            continue;
        };
        if let Some(text) = answer {
            ctx.say_to(room, &reply_to, &text, private);
        }
    }
}

/// A plain chat line that is a move: only from the player to move, only when it parses as one.
fn is_bare_move(ctx: &Ctx, room: Entity, me: &OccupantInfo, body: &str) -> bool {
    let Ok(table) = ctx.tables.get(room) else {
        return false;
    };
    let Some(game) = table.game.as_ref().filter(|_| table.running()) else {
        return false;
    };
    let Some(seat) = table.seat_of(&me.jid.to_bare()) else {
        return false;
    };
    !table.rules.simultaneous() && game.to_move().contains(&seat) && game.looks_like_move(body)
}

/// Runs one command; returns what to tell the sender alone, if anything.
fn run(
    ctx: &mut Ctx,
    room: Entity,
    me: &OccupantInfo,
    line: &str,
    private: bool,
) -> Option<String> {
    let (command, args) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(c, a)| (c, a.trim()));
    let command = command.to_lowercase();
    let jid = me.jid.to_bare();
    match command.as_str() {
        "help" => Some(HELP.to_owned()),
        "games" => {
            let games: Vec<String> = ctx
                .catalog
                .0
                .iter()
                .map(|g| {
                    format!(
                        "{} — {} ({}–{} players)",
                        g.id(),
                        g.name(),
                        g.min_players(),
                        g.max_players()
                    )
                })
                .collect();
            Some(if games.is_empty() {
                "No games are loaded on this service.".into()
            } else {
                format!("Games:\n{}", games.join("\n"))
            })
        }
        "rules" => {
            let rules = if args.is_empty() {
                ctx.tables.get(room).ok().map(|t| t.rules.clone())
            } else {
                ctx.catalog.find(args)
            };
            Some(rules.map_or_else(
                || "Which game? !games lists them.".to_owned(),
                |r| r.help_text(),
            ))
        }
        "game" => {
            let actor = actor_of(&ctx.rooms, room, &Jid::from(me.jid.clone()), &ctx.service);
            if actor.affiliation != AdminAffiliation::Owner {
                return Some("Only the room's owners choose its game.".into());
            }
            if ctx.tables.get(room).is_ok_and(|t| t.running()) {
                return Some("Finish or resign the current game first.".into());
            }
            let Some(rules) = ctx.catalog.find(args) else {
                return Some(format!("There is no game '{args}'. !games lists them."));
            };
            set_table(ctx, room, Some(rules.id()));
            None
        }
        "player" => grant_player(ctx, room, me, args),
        "sit" => sit(ctx, room, me, args),
        "stand" => stand(ctx, room, me, args),
        "start" => {
            let seated = ctx
                .tables
                .get(room)
                .is_ok_and(|t| t.seat_of(&jid).is_some());
            if !seated && me.role != Role::Moderator {
                return Some("Only seated players or moderators start the game.".into());
            }
            ctx.start(room).err()
        }
        "rematch" => {
            let Ok(mut table) = ctx.tables.get_mut(room) else {
                return Some("This room hosts no game.".into());
            };
            if table.running() || table.game.is_none() {
                return Some("A rematch follows a finished game.".into());
            }
            // The first to move goes last this time.
            let n = table.seated();
            if n > 1 {
                table.seats[..n].rotate_left(1);
            }
            ctx.start(room).err()
        }
        "move" | "m" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            let Some(seat) = table.seat_of(&jid) else {
                return Some(
                    "You are not playing: take a seat with !sit before the game starts.".into(),
                );
            };
            if table.rules.simultaneous() && !private {
                return Some(
                    "Choices are secret here: send your move in a private message to the room's address."
                        .into(),
                );
            }
            if args.is_empty() {
                return Some("Which move? e.g. !move 4".into());
            }
            let confirm = table.rules.simultaneous();
            match ctx.play(room, seat, args) {
                Ok(()) if confirm => Some(format!("You chose {args}.")),
                Ok(()) => None,
                Err(e) => Some(e),
            }
        }
        "board" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            let viewer = table.seat_of(&jid);
            Some(match &table.game {
                Some(g) => format!("```\n{}\n```\n{}", g.render(viewer), table.status()),
                None => table.status(),
            })
        }
        "resign" => {
            let Ok(mut table) = ctx.tables.get_mut(room) else {
                return Some("This room hosts no game.".into());
            };
            let Some(seat) = table.seat_of(&jid) else {
                return Some("You are not playing.".into());
            };
            if !table.running() {
                return Some("No game is running.".into());
            }
            let label = table.label(seat);
            if let Some(g) = table.game.as_mut() {
                g.resign(seat);
            }
            ctx.after_move(room, &format!("{label} resigns."));
            None
        }
        "score" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            let wins: Vec<String> = table.wins.iter().map(|(n, w)| format!("{n} {w}")).collect();
            Some(format!(
                "{} games played; wins: {}; draws: {}.",
                table.played,
                if wins.is_empty() {
                    "none".into()
                } else {
                    wins.join(", ")
                },
                table.draws
            ))
        }
        _ => Some(format!("Unknown command '{command}'. !help lists them.")),
    }
}

/// `!player NICK`: the player affiliation for that occupant's user, as muc#admin would grant it
/// (admins and owners; in a moderated room it gives voice, so a spectator may sit).
fn grant_player(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, args: &str) -> Option<String> {
    let Some(target) = ctx.rooms.occupant_by_nick(room, args) else {
        return Some(format!("No occupant is called '{args}'."));
    };
    let actor = actor_of(&ctx.rooms, room, &Jid::from(me.jid.clone()), &ctx.service);
    let jid = target.jid.to_bare();
    let current = ctx
        .rooms
        .affiliations(room)
        .map_or(AdminAffiliation::None, |a| a.get(&jid));
    let standing = crate::muc::privileges::Target {
        jid: jid.clone(),
        affiliation: current,
        role: target.role.clone(),
    };
    if let Err(denied) =
        crate::muc::privileges::may_set_affiliation(&actor, &standing, AdminAffiliation::Player)
    {
        return Some(format!("{}.", denied.text()));
    }
    let cause = crate::muc::admin::Cause {
        actor_nick: Some(me.nick.clone()),
        reason: None,
    };
    crate::muc::admin::set_affiliation(
        &mut ctx.rooms,
        room,
        jid,
        AdminAffiliation::Player,
        &cause,
        &mut ctx.out,
    );
    ctx.say_all(room, &format!("{} may play here now.", target.nick));
    None
}

fn sit(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, args: &str) -> Option<String> {
    let jid = me.jid.to_bare();
    let Ok(table) = ctx.tables.get(room) else {
        return Some("This room hosts no game: an owner can choose one with !game NAME.".into());
    };
    if table.running() {
        return Some("The game has started; seats open again when it is over.".into());
    }
    let mut words: Vec<&str> = args.split_whitespace().collect();
    let bot = words.first().is_some_and(|w| w.eq_ignore_ascii_case("bot"));
    if bot {
        words.remove(0);
    }
    if !bot && me.role == Role::Visitor {
        return Some(
            "Spectators cannot sit in this room: ask a moderator for voice or the player affiliation."
                .into(),
        );
    }
    if !bot && table.seat_of(&jid).is_some() {
        return Some("You are seated already (!stand to leave your seat).".into());
    }
    let seat = match words.first() {
        Some(name) => match table
            .rules
            .seats()
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name))
        {
            Some(i) if table.seats[i].is_none() => i,
            Some(_) => return Some(format!("Seat {name} is taken.")),
            None => {
                return Some(format!(
                    "There is no seat {name}; seats: {}.",
                    table.rules.seats().join(", ")
                ));
            }
        },
        None => match table.seats.iter().position(Option::is_none) {
            Some(i) => i,
            None => return Some("Every seat is taken.".into()),
        },
    };
    let sitter = Sitter {
        jid: (!bot).then(|| jid.clone()),
        nick: if bot {
            "computer".into()
        } else {
            me.nick.clone()
        },
        away_since: None,
    };
    let seat_name = table.seat_name(seat).to_owned();
    let (min, max) = (table.rules.min_players(), table.rules.max_players());
    if let Ok(mut t) = ctx.tables.get_mut(room) {
        t.seats[seat] = Some(sitter.clone());
    }
    if !bot {
        ctx.mark_player(room, &jid, Some(seat_name.clone()));
    }
    let seated = ctx.tables.get(room).map_or(0, |t| t.seated());
    let next = if seated >= min {
        " !start to play.".to_owned()
    } else {
        String::new()
    };
    ctx.say_all(
        room,
        &format!(
            "{} sits as {seat_name} ({seated} of {min}–{max} seated).{next}",
            sitter.nick
        ),
    );
    None
}

fn stand(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, args: &str) -> Option<String> {
    let jid = me.jid.to_bare();
    let Ok(table) = ctx.tables.get(room) else {
        return Some("This room hosts no game.".into());
    };
    // `!stand bot` (or a bot's seat name) frees a computer's seat before a game.
    let target = if args.is_empty() {
        table.seat_of(&jid)
    } else {
        (0..table.seats.len()).find(|i| {
            table.seats[*i].as_ref().is_some_and(Sitter::is_bot)
                && (args.eq_ignore_ascii_case("bot")
                    || table.seat_name(*i).eq_ignore_ascii_case(args))
        })
    };
    let Some(seat) = target else {
        return Some("There is no such seat to leave.".into());
    };
    let label = table.label(seat);
    let running = table.running();
    if running && !args.is_empty() {
        return Some("The computer keeps its seat until the game is over.".into());
    }
    if let Ok(mut t) = ctx.tables.get_mut(room) {
        if running && let Some(g) = t.game.as_mut() {
            g.resign(seat);
        }
        if !running {
            t.seats[seat] = None;
        }
    }
    if running {
        ctx.after_move(room, &format!("{label} stands up and resigns."));
    } else {
        if args.is_empty() {
            ctx.mark_player(room, &jid, None);
        }
        ctx.say_all(room, &format!("{label} stands up."));
    }
    None
}
