//! Cards and dice in a game room: a hand or a seat's dice go to that seat alone, in private
//! messages from the table; the room, spectators, the other seats and the history a newcomer
//! gets see only counts until the rules show them (a card played, a challenge, the end).

use xmpp_parsers::minidom::Element;

use super::tests::{OWNER, ROOM, answers, player, say, table, whisper, with_table};
use crate::testing::canonical;

use super::tests_hidden::{SPECTATOR, bodies_not_to};

/// The cards a seat holds now, by name.
fn hand(h: &mut crate::testing::Harness, seat: usize) -> Vec<String> {
    with_table(h, |t| {
        let g = t.game.as_ref().map(|g| &g.play);
        g.map_or(Vec::new(), |m| {
            let z = crate::game::zones::zone(&m.rules, "hand").unwrap_or(0);
            let s = crate::game::zones::slot(&m.rules, z, seat);
            m.state.zones[s]
                .iter()
                .map(|c| crate::game::zones::card_name(&m.rules, *c))
                .collect()
        })
    })
}

fn tokens(body: &str) -> Vec<&str> {
    body.split(|c: char| c.is_whitespace() || ",.:;()`".contains(c))
        .filter(|t| !t.is_empty())
        .collect()
}

#[test]
fn a_hand_is_seen_only_by_its_owner() {
    let mut h = table("crazy-eights", 2);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    // Each seat was told its hand privately when the game began.
    let a = hand(&mut h, 0);
    let b = hand(&mut h, 1);
    assert_eq!((a.len(), b.len()), (7, 7));
    let told = answers(&all, &player(0)).join("\n");
    assert!(
        told.contains(&format!("Your hand: {}.", a.join(" "))),
        "{told}"
    );
    // Some turns: a legal move for whoever is to move, typed in the room.
    for _ in 0..6 {
        let (seat, mv) = with_table(&mut h, |t| {
            let m = &t
                .game
                .as_ref()
                .map(|g| &g.play)
                .unwrap_or_else(|| panic!("no game"));
            let s = m.to_move()[0];
            (s, m.legal_moves(s)[0].clone())
        });
        all.extend(say(&mut h, &player(seat), &format!("!move {mv}")));
    }
    all.extend(say(&mut h, SPECTATOR, "!board"));
    all.extend(say(&mut h, &player(1), "!board"));
    all.extend(whisper(&mut h, &player(0), "!hand"));
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    all.extend(say(&mut h, OWNER, "!games running"));
    // The cards still held were never played: no one else has seen them.
    for (seat, held) in [(0, hand(&mut h, 0)), (1, hand(&mut h, 1))] {
        for body in bodies_not_to(&all, &player(seat)) {
            for t in tokens(&body) {
                assert!(
                    !held.iter().any(|c| c == t),
                    "{t} of seat {seat} leaked: {body}"
                );
            }
        }
    }
    let board = answers(&say(&mut h, SPECTATOR, "!board"), SPECTATOR).join("\n");
    assert!(board.contains("A hand: "), "{board}");
    assert!(board.contains("stock: "), "{board}");
}

#[test]
fn dice_are_seen_only_by_their_owner_until_a_challenge() {
    let mut h = table("liars-dice", 2);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    with_table(&mut h, |t| {
        if let Some(g) = t.game.as_mut() {
            g.play.script_rolls(&[2, 3, 4, 5, 6, 1, 1, 6, 6, 5]);
        }
    });
    let out = whisper(&mut h, &player(0), "!hand");
    assert_eq!(answers(&out, &player(0)), ["Your dice: 2 3 4 5 6."]);
    let out = whisper(&mut h, &player(1), "!hand");
    assert_eq!(answers(&out, &player(1)), ["Your dice: 1 1 6 6 5."]);
    all.extend(say(&mut h, &player(0), "!move bid 3 6s"));
    all.extend(say(&mut h, SPECTATOR, "!board"));
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    for body in bodies_not_to(&all, &player(0)) {
        assert!(!body.contains("2 3 4 5 6"), "A's dice leaked: {body}");
    }
    for body in bodies_not_to(&all, &player(1)) {
        assert!(!body.contains("1 1 6 6 5"), "B's dice leaked: {body}");
    }
    let board = answers(&say(&mut h, SPECTATOR, "!board"), SPECTATOR).join("\n");
    assert!(board.contains("A dice: 5 dice"), "{board}");
    // The challenge shows every die to everyone.
    let out = say(&mut h, &player(1), "!move challenge");
    assert!(
        bodies_not_to(&out, &player(0))
            .iter()
            .any(|b| b.contains("P0 2 3 4 5 6, P1 1 1 6 6 5; 5 in all. P1 loses a die.")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}

#[test]
fn the_score_sheet_is_on_the_board() {
    let mut h = table("yahtzee", 1);
    say(&mut h, &player(0), "!start");
    with_table(&mut h, |t| {
        if let Some(g) = t.game.as_mut() {
            g.play.script_rolls(&[6, 6, 1, 2, 3, 6, 4, 5]);
        }
    });
    let out = say(&mut h, &player(0), "!move roll");
    assert!(
        out.iter()
            .any(|e| canonical(e).contains("P0 rolls 1 2 3 6 6.")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    let out = say(&mut h, &player(0), "!move keep 6 6");
    assert!(
        out.iter()
            .any(|e| canonical(e).contains("P0 rolls 4 5 6 6 6.")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    say(&mut h, &player(0), "!move score sixes");
    let board = answers(&say(&mut h, &player(0), "!board"), &player(0)).join("\n");
    assert!(board.contains("sixes"), "{board}");
    assert!(board.contains("18"), "{board}");
}

/// The cards of a shared zone (the stock) now, by name.
fn pile(h: &mut crate::testing::Harness, name: &str) -> Vec<String> {
    with_table(h, |t| {
        let g = t.game.as_ref().map(|g| &g.play);
        g.map_or(Vec::new(), |m| {
            let z = crate::game::zones::zone(&m.rules, name).unwrap_or(0);
            let s = crate::game::zones::slot(&m.rules, z, 0);
            m.state.zones[s]
                .iter()
                .map(|c| crate::game::zones::card_name(&m.rules, *c))
                .collect()
        })
    })
}

#[test]
fn a_trick_game_shows_only_the_cards_played() {
    let mut h = table("whist", 3);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    let undealt = pile(&mut h, "stock");
    assert_eq!(undealt.len(), 13);
    // Three tricks, each card the first legal one of the seat to move, typed in the room.
    for _ in 0..9 {
        let (seat, mv) = with_table(&mut h, |t| {
            let m = &t
                .game
                .as_ref()
                .map(|g| &g.play)
                .unwrap_or_else(|| panic!("no game"));
            let s = m.to_move()[0];
            (s, m.legal_moves(s)[0].clone())
        });
        all.extend(say(&mut h, &player(seat), &format!("!move {mv}")));
    }
    let room = all
        .iter()
        .filter(|e| e.attr("to") == Some(SPECTATOR))
        .filter_map(|e| e.get_child("body", xmpp_parsers::ns::DEFAULT_NS))
        .map(Element::text)
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(room.matches("wins the trick").count(), 3, "{room}");
    all.extend(say(&mut h, SPECTATOR, "!board"));
    all.extend(say(&mut h, &player(2), "!board"));
    all.extend(whisper(&mut h, &player(0), "!hand"));
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    let held: Vec<(usize, Vec<String>)> = (0..3).map(|s| (s, hand(&mut h, s))).collect();
    for (seat, cards) in &held {
        assert_eq!(cards.len(), 10);
        for body in bodies_not_to(&all, &player(*seat)) {
            for t in tokens(&body) {
                assert!(
                    !cards.iter().any(|c| c == t),
                    "{t} of seat {seat} leaked: {body}"
                );
            }
        }
    }
    // The undealt cards are seen by nobody at all.
    for e in &all {
        if let Some(b) = e.get_child("body", xmpp_parsers::ns::DEFAULT_NS) {
            let body = b.text();
            for t in tokens(&body) {
                assert!(
                    !undealt.iter().any(|c| c == t),
                    "{t} undealt leaked: {body}"
                );
            }
        }
    }
    let board = answers(&say(&mut h, SPECTATOR, "!board"), SPECTATOR).join("\n");
    assert!(board.contains("A hand: 10 cards"), "{board}");
    assert!(board.contains("tricks: A "), "{board}");
}
