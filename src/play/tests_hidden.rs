//! Hidden information in a game room: what only one seat may see goes to it alone, in private
//! messages from the table; nothing else — the room's messages, spectators, the other seat,
//! the history a newcomer gets, the running-games list — carries it before the rules reveal it.

use xmpp_parsers::minidom::Element;
use xmpp_parsers::minidom::rxml::xml_ncname;

use super::tests::{OWNER, ROOM, answers, player, say, table, whisper};
use crate::testing::canonical;

pub(super) const SPECTATOR: &str = "sam@localhost/s";

/// Every message body in `out` addressed to anyone but `owner`.
pub(super) fn bodies_not_to(out: &[Element], owner: &str) -> Vec<String> {
    out.iter()
        .filter(|e| e.name() == "message" && e.attr("to") != Some(owner))
        .filter_map(|e| {
            e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                .map(Element::text)
        })
        .collect()
}

/// The messages `reader` gets from the room's archive (XEP-0313), each as if sent to it: the
/// forwarded message with `to` set, its body in `jabber:client`.
fn archived_as_sent_to(h: &mut crate::testing::Harness, reader: &str) -> Vec<Element> {
    let out = h.send(&format!(
        "<iq type='set' id='mam' from='{reader}' to='{ROOM}'><query xmlns='urn:xmpp:mam:2'/></iq>"
    ));
    assert!(
        out.last().is_some_and(|e| e.attr("type") == Some("result")),
        "{reader}: {:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    out.iter()
        .filter_map(|e| e.get_child("result", "urn:xmpp:mam:2"))
        .filter_map(|r| r.get_child("forwarded", "urn:xmpp:forward:0"))
        .filter_map(|f| f.get_child("message", "jabber:client"))
        .map(|m| {
            // In the component namespace and addressed to the reader, as `bodies_not_to` reads.
            let mut copy = Element::builder("message", xmpp_parsers::ns::DEFAULT_NS)
                .attr(xml_ncname!("to").to_owned(), reader)
                .build();
            for child in m.children() {
                let mut c = child.clone();
                if c.ns() == "jabber:client" {
                    let mut b = Element::builder(c.name(), xmpp_parsers::ns::DEFAULT_NS).build();
                    b.append_text_node(c.text());
                    c = b;
                }
                copy.append_child(c);
            }
            copy
        })
        .collect()
}

/// The board rows inside a body's preformatted blocks, without their row numbers.
fn board_rows(body: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in body.lines() {
        if line.starts_with("```") {
            inside = !inside;
        } else if inside {
            let cells: Vec<&str> = line.split_whitespace().collect();
            if cells.len() > 2 && cells[0].parse::<u8>().is_ok() {
                rows.push(cells[1..cells.len() - 1].join(""));
            }
        }
    }
    rows
}

/// No stanza to anyone but `owner` shows its secrets: the placements typed, the lines of its
/// private view, or its ships' marks on a board.
fn assert_kept_from_others(out: &[Element], owner: &str, placements: &[&str], marks: &[char]) {
    for body in bodies_not_to(out, owner) {
        for p in placements {
            assert!(!body.contains(p), "'{p}' leaked: {body}");
        }
        for row in board_rows(&body) {
            assert!(!row.contains(marks), "a ship shows: {row} in {body}");
        }
    }
}

const A_SHIPS: [&str; 3] = ["battleship a1-d1", "cruiser a3-a5", "destroyer c3-d3"];
const B_SHIPS: [&str; 3] = ["battleship h6-k6", "cruiser m1-m3", "destroyer h1-i1"];
const A_VIEW: [&str; 3] = ["battleship a1 b1", "cruiser a3 a4", "destroyer c3 d3"];
const B_VIEW: [&str; 3] = ["battleship h6", "cruiser m1 m2", "destroyer h1 i1"];

#[test]
fn ships_are_seen_only_by_their_owner() {
    let mut h = table("battleship", 2);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    for i in 0..3 {
        // A places privately; B types its placement in the room, where it is withheld.
        let out = whisper(&mut h, &player(0), A_SHIPS[i]);
        let told = answers(&out, &player(0));
        assert!(
            told.iter()
                .any(|b| b == &format!("You played {}.", A_SHIPS[i])),
            "{told:?}"
        );
        assert!(
            told.iter()
                .any(|b| b.starts_with("Your hidden pieces (* hit): battleship a1 b1 c1 d1")),
            "{told:?}"
        );
        assert!(
            out.iter().any(|e| e.attr("to") == Some(SPECTATOR)
                && e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                    .is_some_and(|b| b.text().starts_with("P0 (A) moved in secret."))),
            "{:?}",
            out.iter().map(canonical).collect::<Vec<_>>()
        );
        all.extend(out);
        let out = say(&mut h, &player(1), B_SHIPS[i]);
        assert!(
            answers(&out, &player(1)).iter().any(|b| b
                == &format!(
                    "You played {}. Your message was kept from the room: this move is secret.",
                    B_SHIPS[i]
                )),
            "{:?}",
            out.iter().map(canonical).collect::<Vec<_>>()
        );
        all.extend(out);
    }
    // Shots are public; hits show on the room's board.
    let out = say(&mut h, &player(0), "h6");
    let shot = out
        .iter()
        .find(|e| {
            e.attr("to") == Some(SPECTATOR)
                && e.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                    .is_some_and(|b| b.text().contains("P0 fires at h6: hit."))
        })
        .cloned()
        .unwrap_or_else(|| panic!("{:?}", out.iter().map(canonical).collect::<Vec<_>>()));
    assert!(
        bodies_not_to(&out, &player(0))
            .iter()
            .any(|b| b.contains("P0 fires at h6: hit.")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    // B's private view changed (a hit): it is told again; A's did not.
    assert!(
        answers(&out, &player(1))
            .iter()
            .any(|b| b.contains("battleship h6* i6 j6 k6")),
        "{:?}",
        answers(&out, &player(1))
    );
    assert!(answers(&out, &player(0)).is_empty());
    all.extend(out);
    all.extend(say(&mut h, &player(1), "f6"));
    // !board: a seat sees its own ships, a spectator none; !hand again on request.
    let out = say(&mut h, &player(0), "!board");
    let mine = answers(&out, &player(0)).join("\n");
    assert!(board_rows(&mine).iter().any(|r| r.contains('B')), "{mine}");
    let out = say(&mut h, SPECTATOR, "!board");
    all.extend(out);
    let out = whisper(&mut h, &player(1), "!hand");
    assert_eq!(
        answers(&out, &player(1)),
        ["Your hidden pieces (* hit): battleship h6* i6 j6 k6; cruiser m1 m2 m3; destroyer h1 i1."]
    );
    all.extend(out);
    let out = say(&mut h, SPECTATOR, "!hand");
    assert_eq!(
        answers(&out, SPECTATOR),
        ["You are not playing: the board (!board) is all there is to see."]
    );
    // After a rejoin, the seat's view is sent again.
    h.send(&format!(
        "<presence type='unavailable' from='{}' to='{ROOM}/P0'/>",
        player(0)
    ));
    h.advance(5);
    let out = h.join(&player(0), &format!("{ROOM}/P0"));
    let out = [out, h.tick()].concat();
    assert!(
        answers(&out, &player(0))
            .iter()
            .any(|b| b.starts_with("Your hidden pieces (* hit): battleship a1 b1 c1 d1")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    all.extend(out);
    // A newcomer's history, and the list of running games.
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    all.extend(say(&mut h, OWNER, "!games running"));
    // The archive (XEP-0313) as each reader gets it: the room's public announcements are in it,
    // under the stanza-id they were sent with; nothing secret is.
    let fired = shot
        .get_child("stanza-id", "urn:xmpp:sid:0")
        .and_then(|s| s.attr("id"));
    assert!(fired.is_some(), "{}", canonical(&shot));
    for reader in [
        SPECTATOR,
        "late@localhost/l",
        player(0).as_str(),
        player(1).as_str(),
    ] {
        let archived = archived_as_sent_to(&mut h, reader);
        assert!(
            archived.iter().any(|m| m
                .get_child("stanza-id", "urn:xmpp:sid:0")
                .and_then(|s| s.attr("id"))
                == fired
                && m.get_child("body", xmpp_parsers::ns::DEFAULT_NS)
                    .is_some_and(|b| b.text().contains("P0 fires at h6: hit."))),
            "{reader}: {:?}",
            archived.iter().map(canonical).collect::<Vec<_>>()
        );
        all.extend(archived);
    }
    assert_kept_from_others(
        &all,
        &player(0),
        &[A_SHIPS, A_VIEW].concat(),
        &['B', 'C', 'D'],
    );
    assert_kept_from_others(
        &all,
        &player(1),
        &[B_SHIPS, B_VIEW].concat(),
        &['b', 'c', 'd'],
    );
}

#[test]
fn a_code_set_by_a_seat_is_seen_only_by_its_maker() {
    let mut h = table("mastermind-duel", 2);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    // Typed in the room, the code is withheld and counts as sent privately.
    let out = say(&mut h, &player(0), "OWBY");
    assert_eq!(
        answers(&out, &player(0)),
        [
            "Your code: OWBY.",
            "You played OWBY. Your message was kept from the room: this move is secret."
        ]
    );
    all.extend(out);
    let out = say(&mut h, &player(1), "RRGG");
    assert!(
        bodies_not_to(&out, &player(0))
            .iter()
            .any(|b| b.contains("RRGG: 0 in the right place, 0 right but misplaced.")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    all.extend(out);
    all.extend(say(&mut h, &player(1), "!board"));
    all.extend(say(&mut h, SPECTATOR, "!board"));
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    for body in bodies_not_to(&all, &player(0)) {
        assert!(!body.contains("OWBY"), "the code leaked: {body}");
    }
    // At the end it is shown to all.
    let out = say(&mut h, &player(1), "OWBY");
    assert!(
        bodies_not_to(&out, &player(0))
            .iter()
            .any(|b| b.contains("cracked the code OWBY")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}

/// The word a hangman table drew, from the match itself.
fn drawn_word(h: &mut crate::testing::Harness) -> String {
    super::tests::with_table(h, |t| {
        let m = &t.game.as_ref().unwrap_or_else(|| panic!("no game")).play;
        let z = crate::game::zones::zone(&m.rules, "word").unwrap_or(0);
        let s = crate::game::zones::slot(&m.rules, z, 0);
        m.state.zones[s]
            .iter()
            .map(|c| crate::game::zones::card_name(&m.rules, *c))
            .collect()
    })
}

#[test]
fn a_hidden_word_shows_only_its_guessed_letters() {
    let mut h = table("hangman", 2);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    let word = drawn_word(&mut h);
    assert!(word.len() > 2, "{word}");
    let first = word.chars().next().unwrap_or('a');
    let wrong = ('a'..='z').find(|c| !word.contains(*c)).unwrap_or('a');
    let out = say(&mut h, &player(0), &first.to_string());
    // The guessed letter shows in every place it has; the others stay `_`.
    let shown: String = word
        .chars()
        .map(|c| {
            if c == first {
                c.to_string()
            } else {
                "_".into()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        bodies_not_to(&out, "nobody")
            .iter()
            .any(|b| b.contains(&format!("word: {shown}"))),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
    all.extend(out);
    all.extend(say(&mut h, &player(1), &wrong.to_string()));
    all.extend(say(&mut h, &player(1), "!board"));
    all.extend(say(&mut h, SPECTATOR, "!board"));
    all.extend(whisper(&mut h, &player(0), "!hand"));
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    all.extend(say(&mut h, OWNER, "!games running"));
    // Nobody — not even the players — has been told the word.
    for body in bodies_not_to(&all, "nobody") {
        assert!(!body.contains(&word), "the word leaked: {body}");
    }
    // Solved, it is shown to all.
    let out = say(&mut h, &player(0), &word);
    assert!(
        bodies_not_to(&out, &player(0))
            .iter()
            .any(|b| b.contains(&format!("found '{word}'"))),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}

#[test]
fn a_secret_choice_is_seen_only_by_its_chooser_until_the_reveal() {
    let mut h = table("rock-paper-scissors", 2);
    h.join(SPECTATOR, &format!("{ROOM}/Sam"));
    let mut all = say(&mut h, &player(0), "!start");
    all.extend(whisper(&mut h, &player(0), "paper"));
    all.extend(whisper(&mut h, &player(0), "!hand"));
    all.extend(say(&mut h, &player(1), "!board"));
    all.extend(say(&mut h, SPECTATOR, "!board"));
    all.extend(h.join("late@localhost/l", &format!("{ROOM}/Late")));
    all.extend(say(&mut h, OWNER, "!games running"));
    assert_eq!(
        answers(&all, &player(0)),
        ["You chose paper.", "Your choice: paper."]
    );
    // The word alone (the game's name has it too).
    for body in bodies_not_to(&all, &player(0)) {
        let words = body.split(|c: char| c.is_whitespace() || ",.:;()`".contains(c));
        assert!(
            !words.into_iter().any(|w| w == "paper"),
            "the choice leaked: {body}"
        );
    }
    // Both chosen: the reveal shows them together, to everyone.
    let out = whisper(&mut h, &player(1), "rock");
    assert!(
        bodies_not_to(&out, &player(0))
            .iter()
            .any(|b| b.contains("Round 1: P0 paper, P1 rock — P0 wins the round.")),
        "{:?}",
        out.iter().map(canonical).collect::<Vec<_>>()
    );
}
