//! What online game servers offer, in a room through real stanzas: clocks chosen by owners
//! within the rules' bounds, draws and takebacks by consent, aborts, ratings, records with
//! replays and exports, and the games in progress across the service.

use std::path::Path;
use std::sync::Arc;

use super::tests::{
    OWNER, ROOM, answers, bodies_to, games, player, say, table, whisper, with_table,
};
use super::*;
use crate::game::Rules;
use crate::store::Change;
use crate::testing::{Harness, canonical};

/// Tic-tac-toe whose owners may only choose a time per move of 10 s to 2 min.
fn strict_tic_tac_toe() -> Arc<Rules> {
    let text = std::fs::read_to_string("rules/tic-tac-toe.ron")
        .unwrap_or_else(|e| panic!("{e}"))
        .replace(
            "clock: (per_move_secs: 60, on_timeout: Forfeit),",
            "clock: (per_move_secs: 60, on_timeout: Forfeit, choices: Some((per_move_secs: Some((10, 120))))),",
        )
        .replace("id: \"tic-tac-toe\"", "id: \"strict\"")
        .replace("name: \"Tic-tac-toe\"", "name: \"Strict\"");
    assert!(text.contains("choices"), "the test's rules changed");
    Arc::new(
        crate::game::load_str(Path::new("strict.ron"), &text, Path::new("assets"))
            .unwrap_or_else(|e| panic!("{e:?}")),
    )
}

fn at(h: &Harness) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::<chrono::Utc>::from(h.now)
}

#[test]
fn owners_choose_a_game_clock_and_it_runs_out() {
    let mut h = table("tic-tac-toe", 2);
    let out = say(&mut h, &player(0), "!clock 1+2");
    assert_eq!(
        answers(&out, &player(0)),
        ["Only the room's owners set the clock."]
    );
    let out = say(&mut h, OWNER, "!clock 1+99");
    assert_eq!(
        answers(&out, OWNER),
        ["Tic-tac-toe allows no such clock: The increment is at most 1 min."]
    );
    let out = say(&mut h, OWNER, "!clock 1+2");
    assert_eq!(
        bodies_to(&out, OWNER),
        ["Alice sets the clock: 1 min for the game, plus 2 s per move."]
    );
    let out = say(&mut h, &player(0), "!start");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(
        told.ends_with("Tic-tac-toe: P0 (X) to move. Clocks (1+2): P0 1:00, P1 1:00."),
        "{told}"
    );
    // The subject shows the clocks too.
    assert!(out.iter().any(|e| {
        canonical(e)
            .contains("subject>Tic-tac-toe: P0 (X) to move. Clocks (1+2): P0 1:00, P1 1:00.</")
    }));
    // P0 thinks for 10 s: 50 s left, plus 2.
    h.advance(10);
    let out = say(&mut h, &player(0), "b2");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.ends_with("Clocks (1+2): P0 0:52, P1 1:00."), "{told}");
    // The board shows P1's clock running down.
    h.advance(20);
    let board = answers(&say(&mut h, OWNER, "!board"), OWNER).join("");
    assert!(
        board.ends_with("Clocks (1+2): P0 0:52, P1 0:40."),
        "{board}"
    );
    // And the flag falls at 1:00.
    h.advance(39);
    assert!(bodies_to(&h.tick(), OWNER).is_empty());
    h.advance(2);
    let told = bodies_to(&h.tick(), OWNER).join("\n");
    assert!(
        told.starts_with("Time is up: P1 (O) loses on time."),
        "{told}"
    );
    assert!(
        told.contains("Tic-tac-toe: P0 (X) won — P1 ran out of time."),
        "{told}"
    );
}

#[test]
fn byo_yomi_and_a_move_after_the_flag() {
    let mut h = table("nim", 2);
    say(&mut h, OWNER, "!clock 1 byo 2x10");
    say(&mut h, &player(0), "!start");
    // 75 s: main time gone, the second period half used; the move counts, one period is lost.
    h.advance(75);
    say(&mut h, &player(0), "take 1 from 1");
    h.advance(1);
    say(&mut h, &player(1), "take 1 from 1");
    let board = answers(&say(&mut h, OWNER, "!board"), OWNER).join("");
    assert!(
        board.ends_with("Clocks (1+2×10s): P0 byo-yomi 0:10 (1 left), P1 0:59 + 2×10s."),
        "{board}"
    );
    // 10 s later P0's last period is gone: the flag falls, and a move after it does not count.
    h.advance(10);
    let told = bodies_to(&h.tick(), OWNER).join("\n");
    assert!(
        told.starts_with("Time is up: P0 (A) loses on time."),
        "{told}"
    );
    h.advance(1);
    let out = say(&mut h, &player(0), "take 1 from 2");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(!told.contains("plays"), "the game is over: {told}");
}

#[test]
fn the_rules_bound_what_owners_choose() {
    let mut h = Harness::new();
    install(&mut h.engine, vec![strict_tic_tac_toe()]);
    h.create_instant(OWNER, ROOM, "Alice");
    say(&mut h, OWNER, "!game strict");
    let out = say(&mut h, OWNER, "!clock 5+3");
    assert_eq!(
        answers(&out, OWNER),
        ["Strict allows no such clock: A game clock's main time cannot be chosen for this game."]
    );
    let out = say(&mut h, OWNER, "!clock 200s/move");
    assert_eq!(
        answers(&out, OWNER),
        ["Strict allows no such clock: A time per move must be from 10 s to 2 min."]
    );
    // A clock set through the form that the game does not allow: the rules' own, and a note.
    h.send(&format!(
        "<iq type='set' id='c' from='{OWNER}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='palaver#roomconfig_gameclock'><value>5+3</value></field></x></query></iq>"
    ));
    h.join(&player(1), &format!("{ROOM}/P1"));
    say(&mut h, OWNER, "!sit");
    say(&mut h, &player(1), "!sit");
    let out = say(&mut h, OWNER, "!start");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(
        told.starts_with("The game begins (rated). The room's clock 5+3 does not suit Strict (A game clock's main time cannot be chosen for this game), so: the rules' 1 min per move."),
        "{told}"
    );
    // The form refuses what is no clock at all.
    let out = h.send(&format!(
        "<iq type='set' id='d' from='{OWNER}' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
           <field var='palaver#roomconfig_gameclock'><value>fast</value></field></x></query></iq>"
    ));
    assert!(canonical(&out[0]).contains("not-acceptable"), "{out:?}");
}

#[test]
fn a_restored_clock_goes_on_from_the_time_left_at_the_last_move() {
    let mut h = table("tic-tac-toe", 2);
    say(&mut h, OWNER, "!clock 1+0");
    say(&mut h, &player(0), "!start");
    h.advance(15);
    say(&mut h, &player(0), "b2");
    h.advance(20);
    let stored =
        with_table(&mut h, |t| ron::to_string(&t.to_stored())).unwrap_or_else(|e| panic!("{e}"));
    // An hour later (a restart), from the store: P1 still has 1:00, P0 0:45.
    let back: StoredTable = ron::from_str(&stored).unwrap_or_else(|e| panic!("{e}"));
    let catalog = GameCatalog(games());
    let later = at(&h) + chrono::Duration::hours(1);
    let table = Table::from_stored(back, &catalog, later).unwrap_or_else(|| panic!("no table"));
    let game = table.live().unwrap_or_else(|| panic!("no game"));
    let clocks = game.clocks.as_ref().unwrap_or_else(|| panic!("no clocks"));
    assert_eq!(clocks.bank_ms, [45_000, 60_000]);
    assert_eq!(
        clocks.deadline(1),
        Some(later + chrono::Duration::seconds(60))
    );
    assert_eq!(game.log.len(), 1);
}

#[test]
fn draws_by_consent() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    let out = say(&mut h, &player(0), "!draw");
    assert_eq!(
        bodies_to(&out, OWNER),
        ["P0 (A) offers a draw (!draw or !accept agrees, !decline refuses; a move declines it)."]
    );
    let out = say(&mut h, &player(1), "!decline");
    assert_eq!(bodies_to(&out, OWNER), ["P1 (B) declines a draw."]);
    say(&mut h, &player(0), "!draw");
    // A move declines it.
    say(&mut h, &player(0), "take 1 from 1");
    let out = say(&mut h, &player(1), "!accept");
    assert_eq!(answers(&out, &player(1)), ["There is no offer to accept."]);
    say(&mut h, &player(1), "!draw");
    let out = say(&mut h, &player(0), "!draw");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("Draw agreed."), "{told}");
    assert!(told.contains("Nim: a draw — agreed."), "{told}");
    let score = answers(&say(&mut h, &player(0), "!score"), &player(0)).join("");
    assert_eq!(score, "1 game played; wins: none; 1 draw.");
}

#[test]
fn takebacks_by_consent_and_from_the_computer() {
    let mut h = table("tic-tac-toe", 2);
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "b2");
    let out = say(&mut h, &player(1), "!takeback");
    assert_eq!(
        answers(&out, &player(1)),
        ["You have no move to take back."]
    );
    say(&mut h, &player(0), "!takeback");
    let out = say(&mut h, &player(1), "!accept");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("P0 (X)'s move is taken back."), "{told}");
    assert!(told.contains("2 . . . 2"), "{told}");
    assert!(told.contains("P0 (X) to move."), "{told}");
    // P0 and P1 move; P0 asks back: both moves go, it is P0's turn again.
    say(&mut h, &player(0), "a1");
    say(&mut h, &player(1), "c3");
    say(&mut h, &player(0), "!takeback");
    let out = say(&mut h, &player(1), "!takeback");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(
        told.contains("1 . . . 1") && told.contains("3 . . . 3"),
        "{told}"
    );
    assert!(told.contains("P0 (X) to move."), "{told}");

    // Against the computer: at once, and it never takes a draw.
    let mut h = table("tic-tac-toe", 1);
    say(&mut h, &player(0), "!sit bot");
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "b2");
    h.advance(1);
    h.tick();
    let out = say(&mut h, &player(0), "!takeback");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.contains("2 . . . 2"), "{told}");
    let out = say(&mut h, &player(0), "!draw");
    assert_eq!(
        answers(&out, &player(0)),
        ["The computer declines the draw."]
    );
}

#[test]
fn aborts_before_the_second_move_leave_no_trace() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "take 1 from 1");
    let out = say(&mut h, &player(1), "!abort");
    let told = bodies_to(&out, OWNER).join("\n");
    assert!(told.starts_with("P1 aborts the game."), "{told}");
    assert!(told.contains("Nim: no result — aborted by P1."), "{told}");
    assert!(!told.contains("Recorded"), "{told}");
    let score = answers(&say(&mut h, &player(0), "!score"), &player(0)).join("");
    assert_eq!(score, "0 games played; wins: none; 0 draws.");
    assert!(
        !h.stored
            .iter()
            .any(|c| matches!(c, Change::PutRecord(_) | Change::PutRating(_)))
    );
    // Too late after two moves.
    say(&mut h, &player(0), "!sit");
    say(&mut h, &player(1), "!sit");
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "take 1 from 1");
    say(&mut h, &player(1), "take 1 from 2");
    let out = say(&mut h, &player(0), "!abort");
    assert_eq!(
        answers(&out, &player(0)),
        ["Too late to abort: the second move is played. !resign or !draw instead."]
    );
}

#[test]
fn rated_games_move_ratings_and_are_recorded() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    say(&mut h, &player(0), "take 2 from 3");
    let out = say(&mut h, &player(1), "!resign");
    let told = bodies_to(&out, OWNER);
    assert!(
        told[0].ends_with("Nim: P0 (A) won — P1 resigned."),
        "{told:?}"
    );
    assert_eq!(
        told[1..],
        [
            "Ratings: P0 1500 → 1662 (+162); P1 1500 → 1338 (-162).",
            "Recorded as game #1: !replay 1 steps through it, !export 1 writes it out."
        ]
    );
    // Both went to the store in this tick.
    let puts: Vec<&Change> = h
        .stored
        .iter()
        .filter(|c| matches!(c, Change::PutRecord(_) | Change::PutRating(_)))
        .collect();
    assert_eq!(puts.len(), 3, "{puts:?}");
    let rating = answers(&say(&mut h, &player(1), "!rating P0"), &player(1)).join("");
    assert_eq!(rating, "P0: Nim 1662? (±290, 1 game).");
    let mine = answers(&say(&mut h, &player(1), "!rating"), &player(1)).join("");
    assert!(mine.starts_with("P1: Nim 1338?"), "{mine}");
    let top = answers(&say(&mut h, &player(1), "!top"), &player(1)).join("");
    assert_eq!(top, "Best Nim players:\n1. P0 1662?\n2. P1 1338?");
    // Another game by name, one nobody is rated in, one that does not exist.
    let top = answers(&say(&mut h, &player(1), "!top nim"), &player(1)).join("");
    assert_eq!(top, "Best Nim players:\n1. P0 1662?\n2. P1 1338?");
    let top = answers(&say(&mut h, &player(1), "!top chess"), &player(1)).join("");
    assert_eq!(top, "Nobody has a Chess rating yet.");
    let top = answers(&say(&mut h, &player(1), "!top shogi"), &player(1)).join("");
    assert_eq!(top, "Which game? !top GAME; !games lists them.");
    let theirs = answers(&say(&mut h, OWNER, "!history P0"), OWNER).join("");
    assert!(
        theirs
            .starts_with("P0's recent games:\n#1 2026-01-01 00:00 Nim: P0 (A) vs P1 (B) — P0 won"),
        "{theirs}"
    );
    let history = answers(&say(&mut h, &player(1), "!history"), &player(1)).join("");
    assert!(
        history
            .starts_with("Your recent games:\n#1 2026-01-01 00:00 Nim: P0 (A) vs P1 (B) — P0 won"),
        "{history}"
    );
}

#[test]
fn the_computer_and_the_room_make_games_unrated() {
    let mut h = table("tic-tac-toe", 1);
    say(&mut h, &player(0), "!sit bot");
    let out = say(&mut h, &player(0), "!start");
    assert!(bodies_to(&out, OWNER)[0].starts_with("The game begins (unrated)."));
    let out = say(&mut h, &player(0), "!resign");
    assert!(
        !bodies_to(&out, OWNER)
            .iter()
            .any(|b| b.starts_with("Ratings")),
        "{:?}",
        bodies_to(&out, OWNER)
    );
    let mut h = table("nim", 2);
    let out = say(&mut h, &player(0), "!rated off");
    assert_eq!(
        answers(&out, &player(0)),
        ["Only the room's owners decide that."]
    );
    say(&mut h, OWNER, "!rated off");
    let out = say(&mut h, &player(0), "!start");
    assert!(bodies_to(&out, OWNER)[0].starts_with("The game begins (unrated)."));
}

#[test]
fn a_record_replays_and_exports() {
    let mut h = table("tic-tac-toe", 2);
    say(&mut h, &player(0), "!start");
    for (p, mv) in [(0, "a1"), (1, "b1"), (0, "a2"), (1, "b2"), (0, "a3")] {
        say(&mut h, &player(p), mv);
    }
    let out = say(&mut h, OWNER, "!replay 1");
    let start = answers(&out, OWNER).join("");
    assert!(
        start.starts_with("Game #1, Tic-tac-toe: P0 (X) vs P1 (O) — step 0 of 5: the start.\n```\n  a b c\n3 . . . 3"),
        "{start}"
    );
    let next = answers(&say(&mut h, OWNER, "!next"), OWNER).join("");
    assert!(next.contains("step 1 of 5: P0 (X) played a1."), "{next}");
    assert!(next.contains("1 X . . 1"), "{next}");
    let end = answers(&say(&mut h, OWNER, "!replay 1 9"), OWNER).join("");
    assert!(end.contains("step 5 of 5: P0 (X) played a3."), "{end}");
    assert!(
        end.ends_with("Tic-tac-toe: P0 (X) won — 3 in a row."),
        "{end}"
    );
    let prev = answers(&say(&mut h, OWNER, "!prev"), OWNER).join("");
    assert!(prev.contains("step 4 of 5: P1 (O) played b2."), "{prev}");
    let pgn = answers(&say(&mut h, OWNER, "!export 1"), OWNER).join("");
    assert_eq!(
        pgn,
        "[Event \"Tic-tac-toe\"]\n[Site \"lobby@conference.localhost\"]\n[Date \"2026.01.01\"]\n[Round \"-\"]\n[White \"P0\"]\n[Black \"P1\"]\n[Result \"1-0\"]\n[GameId \"1\"]\n[Variant \"tic-tac-toe\"]\n[SeatX \"P0\"]\n[SeatO \"P1\"]\n[TimeControl \"?\"]\n[Clock \"60s/move\"]\n[Termination \"3 in a row\"]\n[Rated \"yes\"]\n\n1. a1 b1 2. a2 b2 3. a3 1-0"
    );
    let missing = answers(&say(&mut h, OWNER, "!replay 7"), OWNER).join("");
    assert_eq!(missing, "There is no recent game #7.");
}

/// Chess as its rules file describes it is exported in PGN proper: SAN moves (piece letters
/// from the rules' marks, pawn captures by file, a second knight that could go there named,
/// castling, check and mate), PGN's TimeControl.
#[test]
fn a_chess_record_exports_as_pgn() {
    let mut h = table("chess", 2);
    say(&mut h, OWNER, "!clock 5+3");
    say(&mut h, &player(0), "!start");
    let moves = [
        "e2-e4", "e7-e5", "g1-f3", "b8-c6", "d2-d4", "e5xd4", "b1-d2", "f8-b4", "f1-c4", "g8-f6",
        "e1-g1", "e8-g8", "c2-c3", "d4xc3", "b2xc3", "b4xc3", "a1-b1", "c3xd2", "c1xd2", "f6xe4",
        "c4xf7", "f8xf7",
    ];
    for (i, mv) in moves.iter().enumerate() {
        let out = say(&mut h, &player(i % 2), mv);
        assert!(
            bodies_to(&out, OWNER).join("").contains(" plays "),
            "{mv}: {:?}",
            answers(&out, &player(i % 2))
        );
    }
    say(&mut h, &player(0), "!resign");
    let pgn = answers(&say(&mut h, OWNER, "!export 1"), OWNER).join("");
    assert!(
        pgn.contains("[TimeControl \"300+3\"]\n[Clock \"5+3\"]"),
        "{pgn}"
    );
    assert!(
        pgn.ends_with(
            "\n\n1. e4 e5 2. Nf3 Nc6 3. d4 exd4 4. Nbd2 Bb4 5. Bc4 Nf6 6. O-O O-O 7. c3 dxc3 \
             8. bxc3 Bxc3 9. Rb1 Bxd2 10. Bxd2 Nxe4 11. Bxf7+ Rxf7 0-1"
        ),
        "{pgn}"
    );
    // Mate is marked.
    let mut h = table("chess", 2);
    say(&mut h, &player(0), "!start");
    for (i, mv) in [
        "e2-e4", "e7-e5", "f1-c4", "b8-c6", "d1-h5", "g8-f6", "h5xf7",
    ]
    .iter()
    .enumerate()
    {
        say(&mut h, &player(i % 2), mv);
    }
    let pgn = answers(&say(&mut h, OWNER, "!export 1"), OWNER).join("");
    assert!(
        pgn.ends_with("\n\n1. e4 e5 2. Bc4 Nc6 3. Qh5 Nf6 4. Qxf7# 1-0"),
        "{pgn}"
    );
}

#[test]
fn games_in_progress_across_the_service() {
    let mut h = table("nim", 2);
    say(&mut h, &player(0), "!start");
    // A hidden room's game is not listed.
    h.create_instant("carol@localhost/c", "den@conference.localhost", "Carol");
    h.send("<iq type='set' id='h' from='carol@localhost/c' to='den@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>\
        <field var='muc#roomconfig_publicroom'><value>0</value></field><field var='palaver#roomconfig_game'><value>pig</value></field></x></query></iq>");
    h.send("<message type='groupchat' from='carol@localhost/c' to='den@conference.localhost'><body>!sit</body></message>");
    h.send("<message type='groupchat' from='carol@localhost/c' to='den@conference.localhost'><body>!sit bot</body></message>");
    h.send("<message type='groupchat' from='carol@localhost/c' to='den@conference.localhost'><body>!start</body></message>");
    let list = answers(&say(&mut h, OWNER, "!games running"), OWNER).join("");
    assert_eq!(
        list,
        "Games in progress:\nlobby@conference.localhost — P0 (A) vs P1 (B) — Nim: P0 (A) to move. 1:00 per move."
    );
    let out = h.send(
        "<iq type='get' id='d' from='dave@localhost/d' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='urn:palaver:game:0#running'/></iq>",
    );
    crate::testing::assert_stanzas(
        &out,
        &[
            "<iq type='result' id='d' from='conference.localhost' to='dave@localhost/d'><query xmlns='http://jabber.org/protocol/disco#items' node='urn:palaver:game:0#running'><item jid='lobby@conference.localhost' name='P0 (A) vs P1 (B) — Nim: P0 (A) to move. 1:00 per move.'/></query></iq>",
        ],
    );
    // Other nodes are still unknown.
    let out = h.send(
        "<iq type='get' id='e' from='dave@localhost/d' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items' node='elsewhere'/></iq>",
    );
    assert!(canonical(&out[0]).contains("item-not-found"), "{out:?}");
}

#[test]
fn secret_games_are_replayed_with_their_choices() {
    let mut h = table("rock-paper-scissors", 2);
    say(&mut h, &player(0), "!start");
    for (p, mv) in [
        (0, "rock"),
        (1, "scissors"),
        (0, "rock"),
        (1, "scissors"),
        (1, "paper"),
        (0, "paper"),
    ] {
        whisper(&mut h, &player(p), mv);
    }
    let pgn = answers(&say(&mut h, OWNER, "!export 1"), OWNER).join("");
    // In the order they were chosen.
    assert!(
        pgn.ends_with("1. rock scissors 2. rock scissors 3. paper paper 1-0"),
        "{pgn}"
    );
    let end = answers(&say(&mut h, OWNER, "!replay 1 6"), OWNER).join("");
    assert!(
        end.ends_with("Rock-paper-scissors: P0 (A) won — most rounds won (2 of 3)."),
        "{end}"
    );
}

#[test]
fn stored_clocks_that_make_no_sense_give_way_to_the_rules() {
    let mut h = table("tic-tac-toe", 2);
    say(&mut h, OWNER, "!clock 1+0");
    say(&mut h, &player(0), "!start");
    let mut stored = with_table(&mut h, |t| t.to_stored());
    if let Some(c) = stored.clocks.as_mut() {
        c.bank_ms = vec![i64::MIN, i64::MAX];
    }
    let catalog = GameCatalog(games());
    let table = Table::from_stored(stored, &catalog, at(&h)).unwrap_or_else(|| panic!("no table"));
    let clocks = table
        .live()
        .and_then(|g| g.clocks.clone())
        .unwrap_or_else(|| panic!("no clocks"));
    assert_eq!(clocks.control, clock::TimeControl::PerMove { secs: 60 });
    assert_eq!(
        clocks.deadline(0),
        Some(at(&h) + chrono::Duration::seconds(60))
    );
}

#[test]
fn clock_choices_in_a_rules_file_are_checked() {
    let text = std::fs::read_to_string("rules/tic-tac-toe.ron")
        .unwrap_or_else(|e| panic!("{e}"))
        .replace(
            "clock: (per_move_secs: 60, on_timeout: Forfeit),",
            "clock: (per_move_secs: 60, on_timeout: Forfeit, choices: Some((per_move_secs: Some((120, 10)), max_periods: 3))),",
        );
    let errors = crate::game::load_str(Path::new("bad.ron"), &text, Path::new("assets"))
        .err()
        .unwrap_or_else(|| panic!("bad choices were accepted"));
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|e| e.starts_with("bad.ron:")
            && e.ends_with(
                "clock choices: per_move_secs must be (least, most) with 0 < least <= most."
            )),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|e| e.ends_with("clock choices: byo-yomi periods need period_secs.")),
        "{text:?}"
    );
}
