//! Game commands typed in the room (`!sit`, `!start`, `!move 4`…), or sent privately to the
//! room's JID (secret choices). A bare move from the player to move counts when it cannot be
//! taken for chat. Answers meant for one person go to that person only. A command that carries
//! a secret choice is never relayed to the room.

use bevy_ecs::prelude::*;
use xmpp_parsers::jid::Jid;
use xmpp_parsers::message::{Message, MessageType};
use xmpp_parsers::muc::user::Role;

use super::course::{Ctx, set_table};
use super::table::{OfferKind, Sitter, Table};
use super::text::{quote, shorten_echo};
use crate::engine::route::MessageIn;
use crate::muc::admin::actor_of;
use crate::muc::messages::Withheld;
use crate::muc::room::OccupantInfo;
use crate::stanza::{errors, message_error};
use crate::xmpp::muc_admin::AdminAffiliation;

/// The longest command line the room reads; longer ones are refused unread.
pub const MAX_COMMAND_CHARS: usize = 200;
/// The longest move: no game's notation comes near it.
pub const MAX_MOVE_CHARS: usize = 64;

/// `!help`: every command, with the room's prefix, and where private messages go.
fn help(prefix: &str, table: Option<&str>) -> String {
    let private = match table {
        Some(nick) => {
            format!("a private message to {nick} (the game's table in the occupant list)")
        }
        None => "a private message to the room's address".to_owned(),
    };
    format!(
        "Game commands (start each with {prefix}):
help — this list; games — the games here; rules [GAME] — how to play
game NAME — (owners) play NAME in this room; player NICK — (admins) let NICK play (the player affiliation)
sit [SEAT] — take a seat; sit bot [SEAT] — seat the computer; stand — leave your seat
start — begin with the seated players; rematch — play again, seats rotated (once all agree)
move MOVE — play (or just type the move on your turn); board — see the board and clocks
hand — what only you see (your hidden pieces, the code you set), sent privately
resign — give up; draw — offer or accept a draw; takeback — ask to take your last move back
accept, decline — answer an offer; abort — end the game before its second move, no result
clock [CONTROL] — the clock (owners set it: 30s/move, 5+3, 10 byo 5x30, default)
rated [on|off] — whether games here count for ratings (owners set it)
rating [NICK] — ratings; top [GAME] — the best rated players; score — games won here
history [NICK] — recent games; replay ID [N], next, prev — step through one; export ID — as text
games running — games in progress in the service's public rooms
Commands and secret moves (e.g. rock, a ship's place, a code) may also go in {private}; only you see the answer."
    )
}

/// A private message with a body to the game's table (or another house occupant): a command or
/// a secret move. Clients mark private messages with an empty `muc#user` element.
fn is_table_command(m: &Message) -> bool {
    matches!(m.type_, MessageType::Chat | MessageType::Normal) && !m.bodies.is_empty()
}

/// A private message to the room itself with a body: a command or a secret move.
pub fn is_private_command(m: &Message) -> bool {
    matches!(m.type_, MessageType::Chat | MessageType::Normal)
        && !m.bodies.is_empty()
        && !m.payloads.iter().any(|p| {
            p.is("x", xmpp_parsers::ns::MUC_USER) || p.is("x", xmpp_parsers::ns::DATA_FORMS)
        })
}

/// The first body of a message, trimmed.
fn body_of(m: &Message) -> Option<&str> {
    m.bodies.values().next().map(|b| b.trim())
}

/// Keeps secret choices typed in the room from being relayed to it: `!move rock`, or a bare
/// `rock` from a player who is to choose. They are still played (see [`chat_commands`]).
pub fn withhold_secrets(
    mut inbound: MessageReader<MessageIn>,
    ctx: Ctx,
    mut withheld: ResMut<Withheld>,
) {
    for MessageIn {
        from,
        room: room_jid,
        nick,
        message,
    } in inbound.read()
    {
        if nick.is_some() || message.type_ != MessageType::Groupchat {
            continue;
        }
        let (Some(room), Some(body)) = (ctx.rooms.find(room_jid), body_of(message)) else {
            continue;
        };
        let Some(me) = ctx.rooms.occupant_by_sender(room, from) else {
            continue;
        };
        if carries_secret(&ctx, room, &me, body) {
            withheld.0.insert((room_jid.clone(), from.clone()));
        }
    }
}

/// Whether a groupchat line from `me` is a secret choice: the room's game is simultaneous, `me`
/// is a player, and the line is a move command or a bare move.
fn carries_secret(ctx: &Ctx, room: Entity, me: &OccupantInfo, body: &str) -> bool {
    let Ok(table) = ctx.tables.get(room) else {
        return false;
    };
    let Some(game) = table.live() else {
        return false;
    };
    let Some(seat) = game.seat_of(&me.jid.to_bare()) else {
        return false;
    };
    let secrets = table.rules.simultaneous() || game.play.has_secret_moves();
    if !secrets {
        return false;
    }
    let prefix = prefix_of(ctx, room);
    let text = match body.strip_prefix(prefix.as_str()) {
        Some(command) => {
            let (word, args) = command
                .trim()
                .split_once(char::is_whitespace)
                .unwrap_or((command.trim(), ""));
            if !(word.eq_ignore_ascii_case("move") || word.eq_ignore_ascii_case("m")) {
                return false;
            }
            if table.rules.simultaneous() {
                return true;
            }
            args.trim()
        }
        None => body,
    };
    text.chars().count() <= MAX_MOVE_CHARS && game.play.would_reveal(seat, text)
}

fn prefix_of(ctx: &Ctx, room: Entity) -> String {
    ctx.rooms
        .config(room)
        .map_or("!".to_owned(), |c| c.game_prefix.clone())
}

pub fn chat_commands(mut inbound: MessageReader<MessageIn>, mut ctx: Ctx) {
    for MessageIn {
        from,
        room: room_jid,
        nick,
        message,
    } in inbound.read()
    {
        if message.type_ == MessageType::Error {
            continue;
        }
        let private = message.type_ != MessageType::Groupchat;
        match nick {
            // A private message to an occupant: ours only if it is the table (or the computer);
            // the chat answers every other case, refusals included.
            Some(nick) => {
                let ours = private
                    && is_table_command(message)
                    && ctx
                        .rooms
                        .find(room_jid)
                        .is_some_and(|r| super::house::is_house_nick(&ctx, r, nick))
                    && ctx
                        .rooms
                        .find(room_jid)
                        .is_some_and(|r| ctx.rooms.occupant_by_sender(r, from).is_some());
                if !ours {
                    continue;
                }
            }
            None if private && !is_private_command(message) => continue,
            None => {}
        }
        let Some(body) = body_of(message).map(str::to_owned) else {
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
        // A secret typed in the room was withheld from it: it counts as sent privately.
        let withheld = !private && carries_secret(&ctx, room, &me, &body);
        let private = private || withheld;
        let prefix = prefix_of(&ctx, room);
        let reply_to: Jid = from.clone();
        let answer = if let Some(command) = body.strip_prefix(&prefix) {
            let command = command.trim();
            if command.is_empty() {
                // A lone `!` is chat, or a question when sent privately.
                private.then(|| format!("{prefix}help lists the game commands."))
            } else if command.chars().count() > MAX_COMMAND_CHARS {
                Some(format!(
                    "That command is too long ({} characters; at most {MAX_COMMAND_CHARS}).",
                    command.chars().count()
                ))
            } else {
                run(&mut ctx, room, &me, command, private)
            }
        } else if private {
            // A private message without the prefix is a (secret) move.
            run(&mut ctx, room, &me, &format!("move {body}"), private)
        } else if is_bare_move(&ctx, room, &me, &body) {
            run(&mut ctx, room, &me, &format!("move {body}"), private)
        } else {
            continue;
        };
        if let Some(mut text) = answer {
            if withheld {
                let simultaneous = ctx.tables.get(room).is_ok_and(|t| t.rules.simultaneous());
                text.push_str(if simultaneous {
                    " Your message was kept from the room: choices are secret."
                } else {
                    " Your message was kept from the room: this move is secret."
                });
            }
            ctx.tell(room, &reply_to, &text, !private || withheld);
        }
    }
}

/// A plain chat line that is a move: only from the player to move, only when it parses as one.
fn is_bare_move(ctx: &Ctx, room: Entity, me: &OccupantInfo, body: &str) -> bool {
    let Ok(table) = ctx.tables.get(room) else {
        return false;
    };
    let Some(game) = table.live() else {
        return false;
    };
    let Some(seat) = game.seat_of(&me.jid.to_bare()) else {
        return false;
    };
    body.chars().count() <= MAX_MOVE_CHARS
        && !table.rules.simultaneous()
        && game.play.to_move().contains(&seat)
        && game.play.looks_like_move(body)
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
        "help" => {
            let table = super::house::table_nick(ctx, room);
            Some(help(&prefix_of(ctx, room), table.as_deref()))
        }
        "games" if args.eq_ignore_ascii_case("running") || args.eq_ignore_ascii_case("live") => {
            Some(super::lobby::list(ctx))
        }
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
            if args.is_empty() {
                let now = ctx
                    .tables
                    .get(room)
                    .map(|t| format!("This room plays {}. ", t.rules.name()))
                    .unwrap_or_default();
                return Some(format!("{now}Which game? !game NAME; !games lists them."));
            }
            let actor = actor_of(&ctx.rooms, room, &Jid::from(me.jid.clone()), &ctx.service);
            if actor.affiliation != AdminAffiliation::Owner {
                return Some("Only the room's owners choose its game.".into());
            }
            if ctx.tables.get(room).is_ok_and(Table::running) {
                return Some("Finish or resign the current game first.".into());
            }
            let Some(rules) = ctx.catalog.find(args) else {
                return Some(format!(
                    "There is no game '{}'. !games lists them.",
                    quote(args)
                ));
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
        "rematch" => super::offers::rematch(ctx, room, me),
        "draw" => super::offers::offer(ctx, room, me, OfferKind::Draw),
        "takeback" | "undo" => super::offers::offer(ctx, room, me, OfferKind::Takeback),
        "accept" | "yes" => super::offers::accept(ctx, room, me),
        "decline" | "no" => super::offers::decline(ctx, room, me),
        "abort" => super::offers::abort(ctx, room, me),
        "clock" => clock(ctx, room, me, args),
        "rated" => rated(ctx, room, me, args),
        "rating" | "ratings" => Some(super::ratings::show(ctx, room, &jid, &me.nick, args)),
        "top" => Some(super::ratings::top(ctx, room, args)),
        "history" => Some(super::records::history(ctx, room, &jid, args)),
        "replay" | "next" | "prev" => Some(super::records::replay(ctx, &me.jid, &command, args)),
        "export" => Some(super::records::export(ctx, args)),
        "move" | "m" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            let Some(game) = table.live() else {
                return Some(if table.seat_of(&jid).is_some() {
                    "The game has not started: !start begins it.".into()
                } else {
                    "No game is running: take a seat with !sit, then !start.".into()
                });
            };
            let Some(seat) = game.seat_of(&jid) else {
                let names: Vec<String> = game.players.iter().map(|p| p.nick.clone()).collect();
                return Some(format!(
                    "You are watching: {} {} playing. Seats open again when the game is over.",
                    names.join(" and "),
                    if names.len() == 1 { "is" } else { "are" }
                ));
            };
            if table.rules.simultaneous() && !private {
                let to = super::house::table_nick(ctx, room)
                    .unwrap_or_else(|| "the room's address".into());
                return Some(format!(
                    "Choices are secret here: send your move in a private message to {to}."
                ));
            }
            if args.is_empty() {
                // The game's own spelling, as `!rules` and the board write it.
                return Some(format!(
                    "Which move? Type it like: {}.",
                    crate::game::explain::syntax(&table.rules).join("; ")
                ));
            }
            if args.chars().count() > MAX_MOVE_CHARS {
                return Some(format!(
                    "'{}' is not a move here: moves are at most {MAX_MOVE_CHARS} characters.",
                    quote(args)
                ));
            }
            let confirm = table.rules.simultaneous();
            match ctx.play(room, seat, args) {
                Ok((played, _)) if confirm => Some(format!("You chose {played}.")),
                Ok((played, true)) => Some(format!("You played {played}.")),
                Ok(_) => None,
                Err(e) => Some(shorten_echo(&e, args)),
            }
        }
        "hand" | "secret" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            let Some(game) = table.live() else {
                return Some("No game is running.".into());
            };
            let Some(seat) = game.seat_of(&jid) else {
                return Some(
                    "You are not playing: the board (!board) is all there is to see.".into(),
                );
            };
            let Some(view) = game.play.private_view(seat) else {
                return Some("You hold nothing the others cannot see.".into());
            };
            // Sent as the table's private view, so a later change is noticed against it.
            if let Ok(mut t) = ctx.tables.get_mut(room)
                && let Some(g) = t.game.as_mut()
            {
                g.sent_views.resize(g.players.len(), None);
                g.sent_views[seat] = Some(view.clone());
            }
            Some(view)
        }
        "board" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            Some(match &table.game {
                Some(g) => {
                    let viewer = g.seat_of(&jid).filter(|_| g.running());
                    format!(
                        "```\n{}\n```\n{}",
                        g.play.render(viewer),
                        table.status_at(ctx.now.0)
                    )
                }
                None => table.status_at(ctx.now.0),
            })
        }
        "resign" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            let Some(game) = table.live() else {
                return Some("No game is running.".into());
            };
            let Some(seat) = game.seat_of(&jid) else {
                return Some("You are not playing.".into());
            };
            let label = game.label(seat);
            let nick = game.players[seat].nick.clone();
            ctx.forfeit(
                room,
                seat,
                &format!("{nick} resigned"),
                &format!("{label} resigns."),
            );
            None
        }
        "score" => {
            let Ok(table) = ctx.tables.get(room) else {
                return Some("This room hosts no game.".into());
            };
            Some(table.score())
        }
        _ => Some(format!(
            "Unknown command '{}'. !help lists them.",
            quote(&command)
        )),
    }
}

/// `!player NICK`: the player affiliation for that occupant's user, as muc#admin would grant it
/// (admins and owners; in a moderated room it gives voice, so a spectator may sit).
fn grant_player(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, args: &str) -> Option<String> {
    let Some(target) = ctx.rooms.occupant_by_nick(room, args) else {
        return Some(format!("No occupant is called '{}'.", quote(args)));
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
            Some(_) => return Some(format!("Seat {} is taken.", quote(name))),
            None => {
                return Some(format!(
                    "There is no seat {}; seats: {}.",
                    quote(name),
                    table.rules.seats().join(", ")
                ));
            }
        },
        None => match table.seats.iter().position(Option::is_none) {
            Some(i) => i,
            None => return Some("Every seat is taken.".into()),
        },
    };
    let nick = if bot {
        // The computer enters the room under this nick (see house.rs): one free for it.
        let mut nick = super::house::free_nick(&ctx.rooms, room, "computer");
        let mut i = 2;
        while table.seats.iter().flatten().any(|s| s.nick == nick) {
            nick = super::house::free_nick(&ctx.rooms, room, &format!("computer ({i})"));
            i += 1;
        }
        nick
    } else {
        me.nick.clone()
    };
    let sitter = Sitter {
        jid: (!bot).then(|| jid.clone()),
        nick,
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
    let seated = ctx.tables.get(room).map_or(0, Table::seated);
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
    if table.running() {
        if !args.is_empty() {
            return Some("The computer keeps its seat until the game is over.".into());
        }
        // Standing up mid-game gives the game up; the seats are freed when it ends.
        ctx.forfeit(
            room,
            seat,
            &format!("{} stood up", me.nick),
            &format!("{label} stands up and resigns."),
        );
        return None;
    }
    if let Ok(mut t) = ctx.tables.get_mut(room) {
        t.seats[seat] = None;
    }
    if args.is_empty() {
        ctx.mark_player(room, &jid, None);
    }
    ctx.say_all(room, &format!("{label} stands up."));
    None
}

/// Whether `me` owns the room (service admins do too).
fn is_owner(ctx: &Ctx, room: Entity, me: &OccupantInfo) -> bool {
    actor_of(&ctx.rooms, room, &Jid::from(me.jid.clone()), &ctx.service).affiliation
        == AdminAffiliation::Owner
}

/// `!clock [CONTROL|default]`: the room's time control, set by its owners within the game's
/// bounds; it applies from the next game.
fn clock(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, args: &str) -> Option<String> {
    let Ok(table) = ctx.tables.get(room) else {
        return Some("This room hosts no game.".into());
    };
    let rules = table.rules.clone();
    let current = ctx
        .rooms
        .config(room)
        .map(|c| c.game_options.clock.clone())
        .unwrap_or_default();
    if args.is_empty() {
        let (control, note) = super::clock::for_room(&rules, &current);
        let now = match control {
            Some(c) => format!("{} ({})", c.notation(), c.describe()),
            None => "none".into(),
        };
        let note = note.map(|n| format!(" {n}")).unwrap_or_default();
        return Some(format!(
            "Clock: {now}.{note} Owners choose with !clock 30s/move, 5+3 or 10 byo 5x30 (!clock default: the game's own)."
        ));
    }
    if !is_owner(ctx, room, me) {
        return Some("Only the room's owners set the clock.".into());
    }
    let chosen = if args.eq_ignore_ascii_case("default") {
        String::new()
    } else {
        let control = match super::clock::TimeControl::parse(args) {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        if let Err(e) = control.allowed(&super::clock::choices(&rules)) {
            return Some(format!("{} allows no such clock: {e}", rules.name()));
        }
        control.notation()
    };
    if let Ok((_, mut config, ..)) = ctx.rooms.rooms.get_mut(room) {
        config.game_options.clock = chosen.clone();
    }
    let (control, _) = super::clock::for_room(&rules, &chosen);
    let what = control.map_or("no clock".into(), |c| c.describe());
    let when = if ctx.tables.get(room).is_ok_and(Table::running) {
        " from the next game"
    } else {
        ""
    };
    ctx.say_all(room, &format!("{} sets the clock{when}: {what}.", me.nick));
    None
}

/// `!rated [on|off]`: whether the room's games count for ratings (owners set it).
fn rated(ctx: &mut Ctx, room: Entity, me: &OccupantInfo, args: &str) -> Option<String> {
    let now = ctx.rooms.config(room).is_some_and(|c| c.game_options.rated);
    let want = match args.to_lowercase().as_str() {
        "" => {
            return Some(if now {
                "Games here are rated (never against the computer).".into()
            } else {
                "Games here are unrated.".into()
            });
        }
        "on" | "yes" | "1" => true,
        "off" | "no" | "0" => false,
        _ => return Some("!rated on or !rated off.".into()),
    };
    if !is_owner(ctx, room, me) {
        return Some("Only the room's owners decide that.".into());
    }
    if let Ok((_, mut config, ..)) = ctx.rooms.rooms.get_mut(room) {
        config.game_options.rated = want;
    }
    ctx.say_all(
        room,
        &format!(
            "{} makes the games here {} from the next game.",
            me.nick,
            if want { "rated" } else { "unrated" }
        ),
    );
    None
}
