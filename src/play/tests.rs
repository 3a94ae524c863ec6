//! Game rooms through real stanzas: every shipped game played to its examples' ends, refusals
//! sent to the sender alone, clocks, the computer player, seats kept across a rejoin.

use std::path::Path;

use xmpp_parsers::minidom::Element;

use super::*;
use crate::game::rules::Expect;
use crate::testing::{Harness, canonical};

pub(super) const ROOM: &str = "lobby@conference.localhost";
pub(super) const OWNER: &str = "alice@localhost/pc";

pub(super) fn games() -> Vec<Arc<Rules>> {
    let (games, errors) = crate::game::load_dir(Path::new("rules"), Path::new("assets"));
    assert!(errors.is_empty(), "{errors:?}");
    games
}

pub(super) fn player(i: usize) -> String {
    format!("p{i}@localhost/r")
}

/// A room owned by Alice playing `game`, with `n` players seated (p0… as P0…).
pub(super) fn table(game: &str, n: usize) -> Harness {
    let mut h = Harness::new();
    install(&mut h.engine, games());
    h.create_instant(OWNER, ROOM, "Alice");
    let out = say(&mut h, OWNER, &format!("!game {game}"));
    assert!(
        bodies_to(&out, OWNER)
            .iter()
            .any(|b| b.contains("This room now plays")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    for i in 0..n {
        h.join(&player(i), &format!("{ROOM}/P{i}"));
        let out = say(&mut h, &player(i), "!sit");
        assert!(
            bodies_to(&out, OWNER)
                .iter()
                .any(|b| b.contains(&format!("P{i} sits as"))),
            "{:?}",
            out.iter().map(canonical).collect::<Vec<_>>()
        );
    }
    h
}

pub(super) fn say(h: &mut Harness, from: &str, body: &str) -> Vec<Element> {
    h.send(&format!(
        "<message type='groupchat' from='{from}' to='{ROOM}'><body>{body}</body></message>"
    ))
}

pub(super) fn whisper(h: &mut Harness, from: &str, body: &str) -> Vec<Element> {
    h.send(&format!(
        "<message type='chat' from='{from}' to='{ROOM}'><body>{body}</body></message>"
    ))
}

/// Bodies of the room's own messages (from the bare room JID) to `to`.
pub(super) fn bodies_to(out: &[Element], to: &str) -> Vec<String> {
    out.iter()
        .filter(|e| {
            e.name() == "message" && e.attr("from") == Some(ROOM) && e.attr("to") == Some(to)
        })
        .filter_map(|e| {
            e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text)
        })
        .collect()
}

pub(super) fn with_table<T>(h: &mut Harness, f: impl FnOnce(&mut Table) -> T) -> T {
    let world = h.engine.world_mut();
    let room = world
        .resource::<crate::muc::room::RoomIndex>()
        .0
        .values()
        .copied()
        .next()
        .unwrap_or_else(|| panic!("no room"));
    let mut table = world
        .get_mut::<Table>(room)
        .unwrap_or_else(|| panic!("no table"));
    f(&mut table)
}

#[test]
fn every_shipped_game_plays_its_examples_in_a_room() {
    for rules in games() {
        for ex in &rules.file.examples {
            if matches!(ex.expect, Expect::Perft(_)) {
                continue;
            }
            let n = ex.players.unwrap_or(rules.min_players());
            let mut h = table(rules.id(), n);
            let out = say(&mut h, &player(0), "!start");
            assert!(
                bodies_to(&out, OWNER)
                    .iter()
                    .any(|b| b.contains("The game begins")),
                "{}: {:?}",
                rules.id(),
                out.iter().map(canonical).collect::<Vec<_>>()
            );
            with_table(&mut h, |t| {
                // An example from a given position starts there.
                if !ex.setup.is_empty() || ex.to_move.is_some() {
                    let first = ex.to_move.as_deref().and_then(|s| rules.seat_index(s));
                    let setup = if ex.setup.is_empty() {
                        rules.file.setup.clone()
                    } else {
                        ex.setup.clone()
                    };
                    if let Some(g) = t.game.as_mut() {
                        g.play = crate::game::Match::with_setup(
                            rules.clone(),
                            n,
                            ex.seed,
                            &setup,
                            first,
                        );
                    }
                }
                if let Some(g) = t.game.as_mut() {
                    if let Some(w) = &ex.word {
                        g.play
                            .set_word(w)
                            .unwrap_or_else(|e| panic!("{}: {e}", ex.name));
                    }
                    if let Some(c) = &ex.code {
                        g.play.set_code(c);
                    }
                    g.play.script_rolls(&ex.rolls);
                    if !ex.deck.is_empty() {
                        let _ = g.play.stack_deck(&ex.deck);
                    }
                }
            });
            let mut last = Vec::new();
            for (i, text) in ex.moves.iter().enumerate() {
                let (seat, mv) = match text.split_once(':') {
                    Some((name, mv)) if rules.seats().iter().any(|s| s == name.trim()) => (
                        rules
                            .seats()
                            .iter()
                            .position(|s| s == name.trim())
                            .unwrap_or(0),
                        mv.trim().to_owned(),
                    ),
                    _ => (
                        with_table(&mut h, |t| {
                            t.game.as_ref().map_or(0, |g| g.play.to_move()[0])
                        }),
                        text.clone(),
                    ),
                };
                let from = player(seat);
                let out = if rules.simultaneous() {
                    whisper(&mut h, &from, &mv)
                } else {
                    say(&mut h, &from, &format!("!move {mv}"))
                };
                if let Expect::Illegal { at, reason } = &ex.expect
                    && *at == i + 1
                {
                    // The refusal goes to the player alone, with the reason.
                    let mine = answers(&out, &from);
                    assert!(
                        mine.iter()
                            .any(|b| b.to_lowercase().contains(&reason.to_lowercase())),
                        "{} / {}: {mine:?}",
                        rules.id(),
                        ex.name
                    );
                    assert!(
                        bodies_to(&out, OWNER).is_empty(),
                        "{}: others were told",
                        rules.id()
                    );
                    break;
                }
                last = out;
            }
            let told = bodies_to(&last, OWNER).join("\n");
            let want = match &ex.expect {
                Expect::Win(_) => Some(" won — "),
                Expect::Draw => Some(": a draw — "),
                Expect::Nobody => Some("nobody won"),
                Expect::Illegal { .. } | Expect::Ongoing | Expect::Perft(_) => None,
            };
            if let Some(want) = want {
                assert!(told.contains(want), "{} / {}: {told}", rules.id(), ex.name);
                assert!(told.contains("```"), "the final position is shown: {told}");
            }
        }
    }
}

#[test]
fn a_move_out_of_turn_is_refused_privately_and_a_bare_move_counts() {
    let mut h = table("tic-tac-toe", 2);
    say(&mut h, &player(0), "!start");
    let out = say(&mut h, &player(1), "a1");
    // Not P1's turn: plain chat then, no refusal, no move.
    assert!(bodies_to(&out, OWNER).is_empty());
    let out = say(&mut h, &player(1), "!move a1");
    assert_eq!(
        answers(&out, &player(1)),
        ["It is not your turn: X is to move."]
    );
    assert!(answers(&out, &player(0)).is_empty());
    let out = say(&mut h, &player(0), "b2");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("P0 (X) plays b2.\n```\n  a b c\n3 . . . 3\n2 . X . 2\n1 . . . 1\n  a b c\nO to move.\n```\nTic-tac-toe: P1 (O) to move. 1:00 per move."), "{told}");
    // The subject follows the game.
    assert!(out.iter().any(|e| {
        canonical(e)
            .contains("<{jabber:component:accept}subject>Tic-tac-toe: P1 (O) to move. 1:00 per move.</subject>")
    }));
    // Chat that is not a move stays chat.
    let out = say(&mut h, &player(1), "hello");
    assert!(bodies_to(&out, OWNER).is_empty());
}

#[test]
fn seated_players_wear_the_player_hat() {
    let mut h = Harness::new();
    install(&mut h.engine, games());
    h.create_instant(OWNER, ROOM, "Alice");
    say(&mut h, OWNER, "!game nim");
    h.join(&player(0), &format!("{ROOM}/P0"));
    let out = say(&mut h, &player(0), "!sit");
    let presence = out
        .iter()
        .find(|e| e.name() == "presence" && e.attr("to") == Some(OWNER))
        .map(canonical)
        .unwrap_or_default();
    assert!(
        presence.contains("<{urn:palaver:game:0}player seat='A'>"),
        "{presence}"
    );
    assert!(presence.contains("title='Player A'"), "{presence}");
}

#[test]
fn only_owners_choose_the_game_and_unknown_games_are_named() {
    let mut h = Harness::new();
    install(&mut h.engine, games());
    h.create_instant(OWNER, ROOM, "Alice");
    h.join(&player(0), &format!("{ROOM}/P0"));
    // A room without a game has no table to answer from: the room answers the sender alone.
    let out = say(&mut h, &player(0), "!game nim");
    assert_eq!(
        bodies_to(&out, &player(0)),
        ["Only the room's owners choose its game. (only you see this)"]
    );
    let out = say(&mut h, OWNER, "!game shogi");
    assert_eq!(
        bodies_to(&out, OWNER),
        ["There is no game 'shogi'. !games lists them. (only you see this)"]
    );
    // The configuration form offers the loaded games and sets the table too.
    let out = h.send(&format!(
        "<iq type='set' id='g' from='{OWNER}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='palaver#roomconfig_game'><value>pig</value></field></x></query></iq>"
    ));
    assert!(
        bodies_to(&out, OWNER)
            .iter()
            .any(|b| b.contains("This room now plays Pig")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    let out = h.send(&format!(
        "<iq type='set' id='g' from='{OWNER}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='palaver#roomconfig_game'><value>shogi</value></field></x></query></iq>"
    ));
    assert!(canonical(&out[0]).contains("}not-acceptable>"));
}

#[test]
fn the_clock_forfeits_a_slow_player() {
    let mut h = table("connect-four", 2);
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "d");
    h.advance(119);
    assert!(h.tick().is_empty());
    h.advance(2);
    let out = h.tick();
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("Time is up: P1 (O) forfeits."), "{told}");
    assert!(
        told.contains("Connect Four: P0 (X) won — P1 ran out of time."),
        "{told}"
    );
    // Another game may follow, once both want it.
    let out = say(&mut h, &player(1), "!rematch");
    assert_eq!(
        bodies_to(&out, OWNER),
        ["P1 (O) offers a rematch (!rematch agrees)."]
    );
    let out = say(&mut h, &player(0), "!rematch");
    assert!(
        bodies_to(&out, OWNER)
            .iter()
            .any(|b| b.contains("P1 (X) to move")),
        "{:?}",
        bodies_to(&out, OWNER)
    );
}

#[test]
fn a_skip_clock_passes_the_turn() {
    let mut h = table("pig", 2);
    say(&mut h, &player(0), "!start");
    h.advance(61);
    let told = bodies_to(&h.tick(), OWNER).join("\n");
    assert!(told.starts_with("Time is up: P0 (A) is skipped."), "{told}");
    assert!(told.contains("P1 (B) to move"), "{told}");
}

#[test]
fn the_computer_plays_its_seat() {
    let mut h = table("tic-tac-toe", 1);
    let out = say(&mut h, &player(0), "!sit bot");
    assert!(
        bodies_to(&out, OWNER)
            .iter()
            .any(|b| b.contains("computer sits as O"))
    );
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "b2");
    h.advance(1);
    let told = bodies_to(&h.tick(), OWNER).join("\n");
    assert!(told.starts_with("computer (O) plays "), "{told}");
    assert!(told.contains("P0 (X) to move"), "{told}");
}

#[test]
fn secret_choices_go_privately() {
    let mut h = table("rock-paper-scissors", 2);
    say(&mut h, &player(0), "!start");
    let out = whisper(&mut h, &player(0), "rock");
    // Everyone learns that A has chosen, not what; A gets a private confirmation.
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("P0 (A) has chosen."), "{told}");
    assert!(!told.contains("rock"), "{told}");
    assert_eq!(private_to(&out, &player(0)), ["You chose rock."]);
    let out = whisper(&mut h, &player(1), "p");
    // The canonical choice is echoed, not the abbreviation typed.
    assert_eq!(private_to(&out, &player(1)), ["You chose paper."]);
    let told = bodies_to(&out, OWNER).join("\n");
    // Rounds name the players.
    assert!(
        told.contains("Round 1: P0 rock, P1 paper — P1 wins the round."),
        "{told}"
    );
}

/// What `to` was told privately by the game's table (a private message from the table's nick),
/// without the note that only they see it.
pub(super) fn answers(out: &[Element], to: &str) -> Vec<String> {
    out.iter()
        .filter(|e| {
            e.name() == "message"
                && e.attr("type") == Some("chat")
                && e.attr("to") == Some(to)
                && e.attr("from")
                    .is_some_and(|f| f.starts_with(&format!("{ROOM}/")))
        })
        .filter_map(|e| {
            e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text)
        })
        .map(|b| {
            b.strip_suffix(" (only you see this)")
                .or_else(|| b.strip_suffix("\n(only you see this)"))
                .unwrap_or(&b)
                .to_owned()
        })
        .collect()
}

/// Bodies of the private (type chat) messages to `to`.
pub(super) fn private_to(out: &[Element], to: &str) -> Vec<String> {
    out.iter()
        .filter(|e| e.attr("type") == Some("chat") && e.attr("to") == Some(to))
        .filter_map(|e| {
            e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text)
        })
        .collect()
}

/// Every message body anyone got from `from` (an occupant JID or the room).
pub(super) fn relayed_from(out: &[Element], from: &str) -> Vec<String> {
    out.iter()
        .filter(|e| e.name() == "message" && e.attr("from") == Some(from))
        .filter_map(|e| {
            e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text)
        })
        .collect()
}

#[test]
fn a_secret_typed_in_the_room_is_never_relayed() {
    let mut h = table("rock-paper-scissors", 2);
    h.join("carol@localhost/c", &format!("{ROOM}/Carol"));
    say(&mut h, &player(0), "!start");
    // As a command: nobody gets the groupchat, not even its sender; the choice counts.
    let out = say(&mut h, &player(0), "!move rock");
    assert!(
        relayed_from(&out, &format!("{ROOM}/P0")).is_empty(),
        "{out:?}"
    );
    assert_eq!(
        private_to(&out, &player(0)),
        [
            "You chose rock. Your message was kept from the room: choices are secret. (only you see this)"
        ]
    );
    assert!(
        bodies_to(&out, "carol@localhost/c")
            .join("")
            .starts_with("P0 (A) has chosen."),
    );
    // As a bare choice: the same.
    let out = say(&mut h, &player(1), "scissors");
    assert!(
        relayed_from(&out, &format!("{ROOM}/P1")).is_empty(),
        "{out:?}"
    );
    assert_eq!(
        answers(&out, &player(1)),
        ["You chose scissors. Your message was kept from the room: choices are secret."]
    );
    // Chat that is not a choice is relayed as ever.
    let out = say(&mut h, &player(1), "good luck");
    assert_eq!(relayed_from(&out, &format!("{ROOM}/P1")).len(), 4);
    // A spectator's "rock" is chat too.
    let out = say(&mut h, "carol@localhost/c", "rock");
    assert!(!relayed_from(&out, &format!("{ROOM}/Carol")).is_empty());
}

#[test]
fn overlong_commands_are_refused_with_a_short_quote() {
    let mut h = table("connect-four", 2);
    say(&mut h, &player(0), "!start");
    let long = "4".repeat(5000);
    let out = say(&mut h, &player(0), &format!("!move {long}"));
    assert_eq!(
        answers(&out, &player(0)),
        ["That command is too long (5005 characters; at most 200)."]
    );
    // A move is bounded well below that, and quoted short.
    let out = say(&mut h, &player(0), &format!("!move {}", "4".repeat(100)));
    let refusal = answers(&out, &player(0)).join("");
    assert_eq!(
        refusal,
        format!(
            "'{}…' is not a move here: moves are at most 64 characters.",
            "4".repeat(24)
        )
    );
    // A bare line that long is never taken for a move: it is chat.
    let out = say(&mut h, &player(0), &long);
    assert!(answers(&out, &player(0)).is_empty());
    // A refusal the game engine words quotes short as well.
    let wrong = format!("z{}", "9".repeat(40));
    let out = say(&mut h, &player(0), &format!("!move {wrong}"));
    let refusal = answers(&out, &player(0)).join("");
    assert!(!refusal.contains(&wrong), "{refusal}");
}

#[test]
fn wording_of_small_mistakes() {
    let mut h = table("nim", 2);
    // A lone prefix is chat.
    let out = say(&mut h, &player(0), "!");
    assert!(answers(&out, &player(0)).is_empty());
    let game = answers(&say(&mut h, OWNER, "!game"), OWNER).join("");
    assert_eq!(
        game,
        "This room plays Nim. Which game? !game NAME; !games lists them."
    );
    say(&mut h, &player(0), "!start");
    let out = say(&mut h, OWNER, "!move take 1 from 1");
    assert_eq!(
        answers(&out, OWNER),
        ["You are watching: P0 and P1 are playing. Seats open again when the game is over."]
    );
    // A move left out: the game's own spelling, not another game's.
    let out = say(&mut h, &player(0), "!move");
    assert_eq!(
        answers(&out, &player(0)),
        ["Which move? Type it like: take 2 from 1."]
    );
}

/// One notation per game: connect four's board labels its columns a to g, and the help, the
/// reminder of a move left out and the announcement all say a column by its letter.
#[test]
fn one_notation_in_the_board_the_help_and_the_announcements() {
    let mut h = table("connect-four", 2);
    let rules = answers(&say(&mut h, &player(0), "!rules"), &player(0)).join("");
    assert!(rules.contains("Type moves like: c (a column)."), "{rules}");
    say(&mut h, &player(0), "!start");
    let board = answers(&say(&mut h, &player(0), "!board"), &player(0)).join("");
    assert!(board.contains("  a b c d e f g\n"), "{board}");
    let hint = answers(&say(&mut h, &player(0), "!move"), &player(0)).join("");
    assert_eq!(hint, "Which move? Type it like: c (a column).");
    let told = bodies_to(&say(&mut h, &player(0), "!move c"), OWNER).join("");
    assert!(told.starts_with("P0 (X) plays c.\n"), "{told}");
    assert!(told.contains("1 . . X . . . . 1"), "{told}");
    // The number the help once gave is no move here.
    let out = say(&mut h, &player(1), "!move 4");
    assert!(bodies_to(&out, OWNER).is_empty());
    assert_eq!(answers(&out, &player(1)).len(), 1);
}

#[test]
fn a_player_who_leaves_keeps_the_seat_for_a_while() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    let out = h.send(&format!(
        "<presence type='unavailable' from='{}' to='{ROOM}/P1'/>",
        player(1)
    ));
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(
        told.contains("P1 (B) left; the seat is kept for 60 s."),
        "{told}"
    );
    h.advance(30);
    let out = h.join(&player(1), &format!("{ROOM}/P1"));
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.contains("P1 (B) is back."), "{told}");
    // Back in the seat: the hat again.
    assert!(
        out.iter()
            .any(|e| e.name() == "presence" && canonical(e).contains("seat='B'"))
    );
    // Gone for good this time: the seat forfeits after the grace period.
    h.send(&format!(
        "<presence type='unavailable' from='{}' to='{ROOM}/P1'/>",
        player(1)
    ));
    h.advance(61);
    let told = bodies_to(&h.tick(), OWNER).join("\n");
    assert!(
        told.contains("P1 (B) did not come back and forfeits."),
        "{told}"
    );
    assert!(told.contains("P0 (A) won — P1 left the game."), "{told}");
    // The forfeited seat is free: coming back later gives no hat and no seat.
    let out = h.join(&player(1), &format!("{ROOM}/P1"));
    assert!(
        !out.iter()
            .any(|e| canonical(e).contains("urn:palaver:game:0")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    assert!(with_table(&mut h, |t| t.seated() == 0));
    let out = say(&mut h, &player(1), "!sit");
    assert!(bodies_to(&out, OWNER).join("").contains("P1 sits as A"));
}

/// What `to` received, in order, as short tags: `presence:NICK[+hat]`, `history:BODY`,
/// `subject`, `message:BODY`.
pub(super) fn outline(out: &[Element], to: &str) -> Vec<String> {
    out.iter()
        .filter(|e| e.attr("to") == Some(to))
        .map(|e| {
            let body = e
                .get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text);
            let from = e.attr("from").unwrap_or_default();
            match e.name() {
                "presence" => format!(
                    "presence:{}{}",
                    from.rsplit('/').next().unwrap_or_default(),
                    if canonical(e).contains("urn:xmpp:hats:0") {
                        "+hat"
                    } else {
                        ""
                    }
                ),
                _ if e
                    .get_child("subject", xmpp_parsers::ns::DEFAULT_NS)
                    .is_some() =>
                {
                    "subject".into()
                }
                _ if e.get_child("delay", "urn:xmpp:delay").is_some() => {
                    format!("history:{}", body.unwrap_or_default())
                }
                _ => format!("message:{}", body.unwrap_or_default()),
            }
        })
        .collect()
}

#[test]
fn a_returning_player_gets_the_seat_before_the_history() {
    let mut h = table("nim", 2);
    h.join("carol@localhost/c", &format!("{ROOM}/Carol"));
    say(&mut h, &player(0), "!start");
    say(&mut h, "carol@localhost/c", "take the big pile!");
    say(&mut h, &player(0), "good luck");
    h.send(&format!(
        "<presence type='unavailable' from='{}' to='{ROOM}/P1'/>",
        player(1)
    ));
    h.advance(10);
    let out = h.join(&player(1), &format!("{ROOM}/P1"));
    let seen = outline(&out, &player(1));
    // One presence of its own, with the hat, then the history as a player sees it (no
    // spectator chat), the subject, and only then the live welcome.
    assert_eq!(
        seen,
        [
            "presence:Alice",
            "presence:Nim",
            "presence:P0+hat",
            "presence:Carol",
            "presence:P1+hat",
            "history:!game nim",
            "history:!sit",
            "history:!sit",
            "history:!start",
            "history:good luck",
            "subject",
            "message:P1 (B) is back.",
        ],
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    // The others see it come back once, with its hat.
    assert_eq!(
        outline(&out, "carol@localhost/c")
            .iter()
            .filter(|s| s.starts_with("presence:"))
            .collect::<Vec<_>>(),
        ["presence:P1+hat"]
    );
}

#[test]
fn standing_up_mid_game_resigns_and_frees_the_seat() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    let out = say(&mut h, &player(1), "!stand");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("P1 (B) stands up and resigns."), "{told}");
    assert!(told.contains("Nim: P0 (A) won — P1 stood up."), "{told}");
    // Both players lose their hats: the game is over and every seat is free.
    let presences: Vec<String> = out
        .iter()
        .filter(|e| e.name() == "presence" && e.attr("to") == Some(OWNER))
        .map(canonical)
        .collect();
    assert_eq!(presences.len(), 2, "{presences:?}");
    assert!(presences.iter().all(|p| !p.contains("urn:xmpp:hats:0")));
    assert!(with_table(&mut h, |t| t.seated() == 0));
    // P1 may sit again, and a new game needs a second player.
    let out = say(&mut h, &player(1), "!sit");
    assert!(bodies_to(&out, OWNER).join("").contains("P1 sits as A"));
    let out = say(&mut h, &player(1), "!start");
    assert_eq!(
        answers(&out, &player(1)),
        ["Nim needs at least 2 players; 1 seated. Take a seat with !sit (or !sit bot)."]
    );
}

#[test]
fn help_games_rules_board_and_score() {
    let mut h = table("nim", 2);
    let help = answers(&say(&mut h, &player(0), "!help"), &player(0)).join("");
    assert!(help.contains("sit [SEAT]"));
    let list = answers(&say(&mut h, &player(0), "!games"), &player(0)).join("");
    assert!(list.contains("checkers — Checkers (2–2 players)"), "{list}");
    let rules = answers(&say(&mut h, &player(0), "!rules"), &player(0)).join("");
    assert!(rules.starts_with("Nim — "), "{rules}");
    say(&mut h, &player(0), "!start");
    let board = answers(&say(&mut h, &player(1), "!board"), &player(1)).join("");
    assert!(board.contains("pile 3: 5  |||||"), "{board}");
    say(&mut h, &player(0), "!resign");
    let score = answers(&say(&mut h, &player(1), "!score"), &player(1)).join("");
    assert_eq!(score, "1 game played; wins: P1 1; 0 draws.");
    let unknown = answers(&say(&mut h, &player(1), "!dance"), &player(1)).join("");
    assert_eq!(unknown, "Unknown command 'dance'. !help lists them.");
}

#[test]
fn every_clock_runs_out() {
    for rules in games() {
        let Some(clock) = rules.clock().cloned() else {
            continue;
        };
        let mut h = table(rules.id(), rules.min_players());
        say(&mut h, &player(0), "!start");
        h.advance(clock.per_move_secs - 1);
        assert!(bodies_to(&h.tick(), OWNER).is_empty(), "{}", rules.id());
        h.advance(2);
        let told = bodies_to(&h.tick(), OWNER).join("\n");
        // In a simultaneous game both seats are late at once; forfeiting together, nobody wins.
        let both = told.contains(" and P1 (B) ");
        let effect = match clock.on_timeout {
            crate::game::rules::OnTimeout::Forfeit if both => "forfeit; nobody wins.",
            crate::game::rules::OnTimeout::Forfeit => "forfeits.",
            crate::game::rules::OnTimeout::Skip => "is skipped.",
        };
        assert!(
            told.starts_with("Time is up: P0 "),
            "{}: {told}",
            rules.id()
        );
        assert!(
            told.lines().next().is_some_and(|l| l.ends_with(effect)),
            "{}: {told}",
            rules.id()
        );
    }
}

/// A double timeout has no winner: once announced as both forfeiting and then a win for the
/// second seat.
#[test]
fn when_both_run_out_of_time_nobody_wins() {
    let mut h = table("rock-paper-scissors", 2);
    let Some(clock) = h
        .engine
        .world()
        .resource::<super::GameCatalog>()
        .0
        .iter()
        .find(|g| g.id() == "rock-paper-scissors")
        .and_then(|g| g.clock().cloned())
    else {
        panic!("rock-paper-scissors has a clock");
    };
    say(&mut h, &player(0), "!start");
    h.advance(clock.per_move_secs + 1);
    let told = bodies_to(&h.tick(), OWNER).join("\n");
    assert!(
        told.starts_with("Time is up: P0 (A) and P1 (B) forfeit; nobody wins."),
        "{told}"
    );
    assert!(
        told.contains("Game over, nobody won: P0 and P1 ran out of time."),
        "{told}"
    );
    let score = answers(&say(&mut h, &player(1), "!score"), &player(1)).join("");
    assert_eq!(score, "1 game played; wins: none; 0 draws.");
}

#[test]
fn spectators_in_a_moderated_game_room_need_the_player_affiliation() {
    let mut h = Harness::new();
    install(&mut h.engine, games());
    h.create_instant(OWNER, ROOM, "Alice");
    h.send(&format!(
        "<iq type='set' id='m' from='{OWNER}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='muc#roomconfig_moderatedroom'><value>1</value></field><field var='palaver#roomconfig_game'><value>nim</value></field></x></query></iq>"
    ));
    h.join(&player(0), &format!("{ROOM}/P0"));
    let out = whisper(&mut h, &player(0), "!sit");
    assert!(answers(&out, &player(0))[0].starts_with("Spectators cannot sit"));
    let out = say(&mut h, &player(0), "!player Alice");
    // A visitor's groupchat is refused (forbidden) and not taken as a command.
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].attr("type"), Some("error"));
    let out = say(&mut h, OWNER, "!player P0");
    assert!(
        out.iter().any(|e| e.name() == "presence"
            && canonical(e)
                .contains("affiliation='member' jid='p0@localhost/r' role='participant'")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    let out = say(&mut h, &player(0), "!sit");
    assert!(
        bodies_to(&out, OWNER)
            .iter()
            .any(|b| b.contains("P0 sits as A"))
    );
}

#[test]
fn announcements_follow_a_players_new_nick() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    h.send(&format!("<presence from='{}' to='{ROOM}/Zed'/>", player(0)));
    let told = bodies_to(&say(&mut h, &player(0), "take 1 from 1"), OWNER).join("\n");
    assert!(told.starts_with("Zed (A) plays take 1 from 1."), "{told}");
}

/// A game that ends by its rules frees every seat: the players' hats go, and they may sit anew.
#[test]
fn hats_go_when_a_game_ends() {
    let mut h = table("tic-tac-toe", 2);
    say(&mut h, &player(0), "!start");
    let mut out = Vec::new();
    for (p, mv) in [(0, "a1"), (1, "b1"), (0, "a2"), (1, "b2"), (0, "a3")] {
        out = say(&mut h, &player(p), mv);
    }
    assert!(bodies_to(&out, OWNER).join("").contains("P0 (X) won"));
    let presences: Vec<String> = out
        .iter()
        .filter(|e| e.name() == "presence" && e.attr("to") == Some(OWNER))
        .map(canonical)
        .collect();
    assert_eq!(presences.len(), 2, "{presences:?}");
    for (i, p) in presences.iter().enumerate() {
        assert!(p.contains(&format!("from='{ROOM}/P{i}'")), "{p}");
        assert!(!p.contains("urn:xmpp:hats:0"), "{p}");
        assert!(!p.contains("urn:palaver:game:0"), "{p}");
    }
    assert!(with_table(&mut h, |t| t.seated() == 0));
}
