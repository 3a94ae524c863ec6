//! The occupants the room plays itself: the game's table, which answers privately and takes
//! commands and secret choices, and the computer while it holds a seat.

use super::tests::{OWNER, ROOM, answers, bodies_to, games, player, say, table, with_table};
use super::*;
use crate::testing::{Harness, assert_stanzas, canonical};

#[test]
fn the_table_is_an_occupant_and_answers_privately() {
    let mut h = Harness::new();
    install(&mut h.engine, games());
    h.create_instant(OWNER, ROOM, "Alice");
    h.join(&player(0), &format!("{ROOM}/P0"));
    let out = say(&mut h, OWNER, "!game nim");
    // The table enters like anyone, without a real JID even for moderators.
    let table: Vec<String> = out
        .iter()
        .filter(|e| e.name() == "presence" && e.attr("from") == Some(&format!("{ROOM}/Nim")))
        .map(canonical)
        .collect();
    assert_eq!(table.len(), 2, "{table:?}");
    assert!(
        table[0].contains("to='alice@localhost/pc'")
            && table[0].contains(
                "<{http://jabber.org/protocol/muc#user}item affiliation='none' role='participant'>"
            ),
        "{table:?}"
    );
    // An answer to a command typed in the room: a private message from the table, saying so.
    let out = say(&mut h, &player(0), "!score");
    assert_stanzas(
        &out[out.len() - 1..],
        &[&format!(
            "<message type='chat' from='{ROOM}/Nim' to='{}'><body>0 games played; wins: none; 0 draws. (only you see this)</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
            player(0)
        )],
    );
    // A private message to the table is a command; its answer needs no note.
    let out = h.send(&format!(
        "<message type='chat' from='{}' to='{ROOM}/Nim'><body>!score</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
        player(0)
    ));
    assert_stanzas(
        &out,
        &[&format!(
            "<message type='chat' from='{ROOM}/Nim' to='{}'><body>0 games played; wins: none; 0 draws.</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
            player(0)
        )],
    );
    // Nobody can query it, and nothing is ever sent to it.
    let out = h.send(&format!(
        "<iq type='get' id='v' from='{}' to='{ROOM}/Nim'><query xmlns='jabber:iq:version'/></iq>",
        player(0)
    ));
    assert!(
        canonical(&out[0]).contains("service-unavailable"),
        "{out:?}"
    );
    let out = say(&mut h, &player(0), "hello");
    assert!(
        out.iter()
            .all(|e| !e.attr("to").unwrap_or_default().contains("palaver.invalid")),
        "{out:?}"
    );
    // Its nick is held: a user who wants it is refused.
    let out = h.join("dave@localhost/d", &format!("{ROOM}/Nim"));
    assert!(canonical(&out[0]).contains("conflict"), "{out:?}");
    // A new game brings its own table.
    let out = say(&mut h, OWNER, "!game pig");
    assert!(
        out.iter()
            .any(|e| e.attr("from") == Some(&format!("{ROOM}/Nim"))
                && e.attr("type") == Some("unavailable"))
    );
    assert!(
        out.iter()
            .any(|e| e.attr("from") == Some(&format!("{ROOM}/Pig")))
    );
}

#[test]
fn secret_choices_may_go_to_the_table() {
    let mut h = table("rock-paper-scissors", 2);
    say(&mut h, &player(0), "!start");
    let out = say(&mut h, &player(0), "!help");
    assert!(
        answers(&out, &player(0))
            .join("")
            .contains("a private message to Rock-paper-scissors (the game's table"),
    );
    let out = h.send(&format!(
        "<message type='chat' from='{}' to='{ROOM}/Rock-paper-scissors'><body>rock</body><x xmlns='http://jabber.org/protocol/muc#user'/></message>",
        player(0)
    ));
    assert_eq!(answers(&out, &player(0)), ["You chose rock."]);
    assert!(
        bodies_to(&out, OWNER)
            .join("")
            .starts_with("P0 (A) has chosen.")
    );
}

#[test]
fn the_computer_is_an_occupant_while_seated() {
    let mut h = table("tic-tac-toe", 1);
    let out = say(&mut h, &player(0), "!sit bot");
    let computer = format!("{ROOM}/computer");
    let entered: Vec<String> = out
        .iter()
        .filter(|e| e.attr("from") == Some(&computer) && e.attr("to") == Some(OWNER))
        .map(canonical)
        .collect();
    assert_eq!(entered.len(), 1, "{entered:?}");
    assert!(entered[0].contains("title='Player O'"), "{entered:?}");
    assert!(entered[0].contains("role='participant'"), "{entered:?}");
    // It is in the occupant list of whoever comes in, and its nick is taken.
    let out = h.join("carol@localhost/c", &format!("{ROOM}/Carol"));
    assert!(out.iter().any(|e| e.attr("from") == Some(&computer)
        && e.attr("to") == Some("carol@localhost/c")
        && canonical(e).contains("seat='O'")));
    let out = h.join("dave@localhost/d", &computer);
    assert!(canonical(&out[0]).contains("conflict"), "{out:?}");
    // It plays, and leaves when the game is over.
    say(&mut h, &player(0), "!start");
    for mv in ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"] {
        let out = say(&mut h, &player(0), mv);
        let gone = out
            .iter()
            .any(|e| e.attr("from") == Some(&computer) && e.attr("type") == Some("unavailable"));
        if gone || !with_table(&mut h, |t| t.running()) {
            break;
        }
        h.advance(1);
        let out = h.tick();
        if out
            .iter()
            .any(|e| e.attr("from") == Some(&computer) && e.attr("type") == Some("unavailable"))
        {
            break;
        }
    }
    assert!(!with_table(&mut h, |t| t.running()));
    let out = h.join("dave@localhost/d", &computer);
    assert!(
        !canonical(&out[0]).contains("conflict"),
        "the computer's nick is free again: {out:?}"
    );
}

#[test]
fn the_computer_stands_up_on_request() {
    let mut h = table("tic-tac-toe", 1);
    say(&mut h, &player(0), "!sit bot");
    let out = say(&mut h, &player(0), "!stand bot");
    assert!(
        out.iter()
            .any(|e| e.attr("from") == Some(&format!("{ROOM}/computer"))
                && e.attr("type") == Some("unavailable"))
    );
}

#[test]
fn a_temporary_room_left_to_its_table_ends() {
    let mut h = table("tic-tac-toe", 1);
    say(&mut h, &player(0), "!sit bot");
    h.send(&format!(
        "<presence type='unavailable' from='{}' to='{ROOM}/P0'/>",
        player(0)
    ));
    h.send(&format!(
        "<presence type='unavailable' from='{OWNER}' to='{ROOM}/Alice'/>"
    ));
    h.advance(61);
    h.tick();
    let exists = h
        .engine
        .world()
        .resource::<crate::muc::room::RoomIndex>()
        .0
        .contains_key(
            &ROOM
                .parse::<xmpp_parsers::jid::BareJid>()
                .unwrap_or_else(|e| panic!("{e}")),
        );
    assert!(!exists, "the room outlived its last user");
}
