//! One game end to end: a real Prosody, the palaver binary with the shipped rules, two real
//! clients playing tic-tac-toe by chat commands.

mod support;

use std::time::Duration;

use support::*;
use xmpp_parsers::message::MessageType;
use xmpp_parsers::presence::Type as PresenceType;
use xmpp_parsers::stanza::Stanza;

const ROOM: &str = "lobby@conference.localhost";
const ALICE: &str = "lobby@conference.localhost/Alice";
const BOB: &str = "lobby@conference.localhost/Bob";
const MUC: &str = "http://jabber.org/protocol/muc";

async fn chat(client: &mut Client, body: &str) {
    say_in(client, ROOM, body).await;
}

e2e! {
async fn two_clients_play_tic_tac_toe(kind: Kind) {
    let env = Env::start(kind).await;
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    enter(&mut alice, ALICE).await;
    unlock(&mut alice, ROOM).await;
    enter(&mut bob, BOB).await;

    chat(&mut alice, "!game tic-tac-toe").await;
    room_says(&mut bob, ROOM, "This room now plays Tic-tac-toe").await;
    chat(&mut alice, "!sit").await;
    room_says(&mut bob, ROOM, "Alice sits as X").await;
    chat(&mut bob, "!sit").await;
    room_says(&mut alice, ROOM, "Bob sits as O").await;
    // Bob's seat shows on his presence as a hat.
    alice
        .expect("Bob's presence with his seat", WAIT, |s| {
            from_is(s, BOB)
                && presence(s).is_some_and(|p| {
                    p.type_ == PresenceType::None
                        && p.payloads.iter().any(|e| {
                            e.is("player", "urn:palaver:game:0") && e.attr("seat") == Some("O")
                        })
                })
        })
        .await;
    chat(&mut bob, "!start").await;
    room_says(&mut alice, ROOM, "The game begins").await;

    // Out of turn: only Bob hears why, in a private message from the game's table.
    chat(&mut bob, "!move a1").await;
    let refusal = bob
        .expect("the refusal", WAIT, |s| {
            from_is(s, &format!("{ROOM}/Tic-tac-toe"))
                && message(s).is_some_and(|m| {
                    body(m) == Some("It is not your turn: X is to move. (only you see this)")
                })
        })
        .await;
    let refusal = message(&refusal).cloned().unwrap_or_else(|| unreachable!());
    assert_eq!(refusal.type_, MessageType::Chat);
    assert!(
        refusal
            .payloads
            .iter()
            .any(|p| p.is("x", "http://jabber.org/protocol/muc#user")),
        "{refusal:?}"
    );

    for (who, mv) in [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2")] {
        let client = if who == "a" { &mut alice } else { &mut bob };
        chat(client, mv).await;
        room_says(&mut alice, ROOM, &format!("plays {mv}.")).await;
    }
    chat(&mut alice, "a3").await;
    let end = room_says(&mut bob, ROOM, "Alice (X) plays a3.").await;
    assert!(
        end.contains("```\n  a b c\n3 X . . 3\n2 X O . 2\n1 X O . 1\n  a b c\n"),
        "{end}"
    );
    assert!(
        end.ends_with("Tic-tac-toe: Alice (X) won — 3 in a row."),
        "{end}"
    );
    alice
        .expect("the subject with the result", WAIT, |s| {
            message(s)
                .and_then(subject)
                .is_some_and(|t| t.contains("Alice (X) won"))
        })
        .await;
}}

const CAROL: &str = "lobby@conference.localhost/Carol";

/// Alice creates the room and sets `game`; Bob joins.
async fn game_room(env: &Env, game: &str) -> (Client, Client) {
    let mut alice = env.client("alice").await;
    let mut bob = env.client("bob").await;
    enter(&mut alice, ALICE).await;
    unlock(&mut alice, ROOM).await;
    enter(&mut bob, BOB).await;
    chat(&mut alice, &format!("!game {game}")).await;
    room_says(&mut bob, ROOM, "This room now plays").await;
    (alice, bob)
}

/// Alice and Bob sit (as the first and second seat) and start.
async fn sit_and_start(alice: &mut Client, bob: &mut Client) {
    chat(alice, "!sit").await;
    room_says(bob, ROOM, "Alice sits as").await;
    chat(bob, "!sit").await;
    room_says(alice, ROOM, "Bob sits as").await;
    chat(alice, "!start").await;
    room_says(bob, ROOM, "The game begins").await;
}

/// A presence from `from` that carries (or not) palaver's seat element.
fn seat_presence(s: &Stanza, from: &str, seated: bool) -> bool {
    from_is(s, from)
        && presence(s).is_some_and(|p| {
            p.type_ == PresenceType::None
                && p.payloads
                    .iter()
                    .any(|e| e.is("player", "urn:palaver:game:0"))
                    == seated
        })
}

/// A message to this client from the room (or a nick of it) whose body contains `needle`.
async fn told(client: &mut Client, needle: &str) -> xmpp_parsers::message::Message {
    let what = format!("being told {needle:?}");
    let s = client
        .expect(&what, WAIT, |s| {
            message(s).is_some_and(|m| {
                m.from
                    .as_ref()
                    .is_some_and(|f| f.to_bare().to_string() == ROOM)
                    && body(m).is_some_and(|b| b.contains(needle))
            })
        })
        .await;
    message(&s).cloned().unwrap_or_else(|| unreachable!())
}

e2e! {
async fn a_returning_player_gets_the_seat_before_the_history(kind: Kind) {
    let env = Env::start(kind).await;
    let (mut alice, mut bob) = game_room(&env, "nim").await;
    let mut carol = env.client("carol").await;
    enter(&mut carol, CAROL).await;
    sit_and_start(&mut alice, &mut bob).await;
    // Carol watches and talks; Alice talks.
    chat(&mut carol, "take the big pile, Bob").await;
    chat(&mut alice, "good luck").await;
    bob.expect("Alice's chat", WAIT, |s| {
        from_is(s, ALICE) && message(s).and_then(body) == Some("good luck")
    })
    .await;
    bob.send_xml(&format!("<presence type='unavailable' to='{BOB}'/>"))
        .await;
    bob.expect("Bob out", WAIT, |s| {
        from_is(s, BOB) && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
    })
    .await;
    room_says(&mut alice, ROOM, "Bob (B) left; the seat is kept").await;
    bob.forget_unmatched();
    bob.send_xml(&format!(
        "<presence to='{BOB}'><x xmlns='{MUC}'/></presence>"
    ))
    .await;
    let (own, _) = bob
        .expect_indexed("Bob's own presence, with the hat", WAIT, |s| {
            seat_presence(s, BOB, true) && presence_with(s, BOB, &["110"])
        })
        .await;
    let (history, _) = bob
        .expect_indexed("Alice's chat in the history", WAIT, |s| {
            from_is(s, ALICE) && message(s).and_then(body) == Some("good luck")
        })
        .await;
    let (topic, _) = bob
        .expect_indexed("the subject", WAIT, |s| {
            message(s).and_then(subject).is_some()
        })
        .await;
    assert!(own < history && history < topic, "{own} {history} {topic}");
    room_says(&mut bob, ROOM, "Bob (B) is back.").await;
    // No spectator chat in the history, and no second presence of Bob's own.
    bob.expect_none(
        "spectator chat or a presence flicker",
        Duration::from_millis(500),
        |s| from_is(s, CAROL) && message(s).is_some() || from_is(s, BOB) && presence(s).is_some(),
    )
    .await;
}}

e2e! {
async fn a_forfeited_seat_stays_free_and_standing_up_frees_it(kind: Kind) {
    let env = Env::start_with_config(kind, "seat_grace_secs: 1").await;
    let (mut alice, mut bob) = game_room(&env, "nim").await;
    sit_and_start(&mut alice, &mut bob).await;
    bob.send_xml(&format!("<presence type='unavailable' to='{BOB}'/>"))
        .await;
    room_says(&mut alice, ROOM, "Bob (B) did not come back and forfeits.").await;
    alice.forget_unmatched();
    bob.forget_unmatched();
    // Alice's hat goes with the end of the game.
    alice
        .expect("Alice without the hat", WAIT, |s| {
            seat_presence(s, ALICE, false)
        })
        .await;
    // Bob comes back later: no hat, no seat; he may sit like anyone.
    bob.send_xml(&format!(
        "<presence to='{BOB}'><x xmlns='{MUC}'/></presence>"
    ))
    .await;
    bob.expect("Bob in, without a seat", WAIT, |s| {
        seat_presence(s, BOB, false) && presence_with(s, BOB, &["110"])
    })
    .await;
    bob.expect_none("a seat for Bob", Duration::from_millis(500), |s| {
        seat_presence(s, BOB, true)
    })
    .await;
    chat(&mut bob, "!sit").await;
    room_says(&mut alice, ROOM, "Bob sits as A").await;
    chat(&mut alice, "!sit").await;
    room_says(&mut bob, ROOM, "Alice sits as B").await;
    chat(&mut bob, "!start").await;
    room_says(&mut alice, ROOM, "The game begins").await;
    // Standing up mid-game resigns, and the seat is really free: the hat goes.
    bob.forget_unmatched();
    chat(&mut alice, "!stand").await;
    room_says(&mut bob, ROOM, "Alice (B) stands up and resigns.").await;
    bob.expect("Alice without the hat", WAIT, |s| {
        seat_presence(s, ALICE, false)
    })
    .await;
    // No game starts with Alice in it, and she may sit again.
    chat(&mut alice, "!start").await;
    told(&mut alice, "needs at least 2 players; 0 seated").await;
    chat(&mut alice, "!sit").await;
    room_says(&mut bob, ROOM, "Alice sits as A").await;
}}

e2e! {
async fn secrets_and_overlong_commands_are_never_relayed(kind: Kind) {
    let env = Env::start(kind).await;
    let (mut alice, mut bob) = game_room(&env, "rock-paper-scissors").await;
    sit_and_start(&mut alice, &mut bob).await;
    bob.forget_unmatched();
    chat(&mut alice, "!move rock").await;
    told(&mut alice, "You chose rock.").await;
    room_says(&mut bob, ROOM, "Alice (A) has chosen.").await;
    bob.expect_none("Alice's choice", Duration::from_millis(500), |s| {
        message(s)
            .and_then(body)
            .is_some_and(|b| b.contains("rock"))
    })
    .await;
    // A 5,000-character move: a short refusal to Bob alone.
    let long = "r".repeat(5000);
    chat(&mut bob, &format!("!move {long}")).await;
    let refusal = told(&mut bob, "too long").await;
    assert!(body(&refusal).is_some_and(|b| b.len() < 200), "{refusal:?}");
    alice
        .expect_none("Bob's long line", Duration::from_millis(500), |s| {
            message(s)
                .and_then(body)
                .is_some_and(|b| b.contains("rrrrrrrrrrrrrrrrrrrrrrrrrr"))
        })
        .await;
}}

e2e! {
async fn the_computer_and_the_table_are_occupants(kind: Kind) {
    let env = Env::start(kind).await;
    let (mut alice, mut bob) = game_room(&env, "rock-paper-scissors").await;
    let table = format!("{ROOM}/Rock-paper-scissors");
    bob.expect("the table's presence", WAIT, |s| {
        from_is(s, &table) && presence(s).is_some_and(|p| p.type_ == PresenceType::None)
    })
    .await;
    chat(&mut alice, "!sit").await;
    chat(&mut alice, "!sit bot").await;
    let computer = format!("{ROOM}/computer");
    bob.expect("the computer's presence with its hat", WAIT, |s| {
        seat_presence(s, &computer, true)
    })
    .await;
    chat(&mut alice, "!start").await;
    room_says(&mut bob, ROOM, "The game begins").await;
    // A secret choice sent privately to the table's nick.
    alice
        .send_xml(&format!(
            "<message type='chat' to='{table}'><body>paper</body>\
               <x xmlns='http://jabber.org/protocol/muc#user'/></message>"
        ))
        .await;
    let confirm = told(&mut alice, "You chose paper.").await;
    assert_eq!(confirm.type_, MessageType::Chat);
    assert!(
        confirm
            .from
            .as_ref()
            .is_some_and(|f| f.to_string() == table)
    );
    room_says(&mut bob, ROOM, "Alice (A) has chosen.").await;
    // The computer answers; when the game ends it leaves.
    chat(&mut alice, "!resign").await;
    bob.expect("the computer leaving", WAIT, |s| {
        from_is(s, &computer) && presence(s).is_some_and(|p| p.type_ == PresenceType::Unavailable)
    })
    .await;
}}
