//! One game end to end: a real Prosody, the palaver binary with the shipped rules, two real
//! clients playing tic-tac-toe by chat commands.

mod support;

use support::*;
use xmpp_parsers::message::MessageType;
use xmpp_parsers::presence::Type as PresenceType;

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
    alice
        .send_xml(&format!(
            "<presence to='{ALICE}'><x xmlns='{MUC}'/></presence>"
        ))
        .await;
    alice
        .expect("Alice in the room", WAIT, |s| {
            presence_with(s, ALICE, &["110"])
        })
        .await;
    alice
        .send_xml(&format!(
            "<iq type='set' to='{ROOM}' id='c'><query xmlns='http://jabber.org/protocol/muc#owner'>\
               <x xmlns='jabber:x:data' type='submit'/></query></iq>"
        ))
        .await;
    alice
        .expect("the room unlocked", WAIT, |s| iq_reply(s, "c"))
        .await;
    bob.send_xml(&format!(
        "<presence to='{BOB}'><x xmlns='{MUC}'/></presence>"
    ))
    .await;
    bob.expect("Bob in the room", WAIT, |s| presence_with(s, BOB, &["110"]))
        .await;

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
    room_says(&mut alice, ROOM, "The game begins.").await;

    // Out of turn: only Bob hears why.
    chat(&mut bob, "!move a1").await;
    let refusal = bob
        .expect("the refusal", WAIT, |s| {
            from_is(s, ROOM)
                && message(s).is_some_and(|m| body(m) == Some("It is not your turn: X is to move."))
        })
        .await;
    assert_eq!(
        message(&refusal).map(|m| m.type_.clone()),
        Some(MessageType::Groupchat)
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
        end.ends_with("Tic-tac-toe: Alice (X) won (3 in a row)."),
        "{end}"
    );
    alice
        .expect("the subject with the result", WAIT, |s| {
            message(s)
                .and_then(subject)
                .is_some_and(|t| t.contains("Alice (X) won"))
        })
        .await;
}
}
