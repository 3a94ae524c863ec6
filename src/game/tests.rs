//! The engine against every shipped rules file: examples, checks, playouts, bots, persistence.

use std::path::Path;

use proptest::prelude::*;

use super::bot::{self, Budget};
use super::rng::Rng;
use super::*;

fn shipped() -> Vec<Arc<Rules>> {
    let (games, errors) = load_dir(Path::new("rules"), Path::new("assets"));
    assert!(errors.is_empty(), "{errors:?}");
    games
}

fn game(id: &str) -> Arc<Rules> {
    shipped()
        .into_iter()
        .find(|g| g.id() == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

#[test]
fn every_game_ships_and_every_example_replays() {
    let games = shipped();
    let ids: Vec<&str> = games.iter().map(|g| g.id()).collect();
    for id in [
        "tic-tac-toe",
        "connect-four",
        "gomoku",
        "reversi",
        "nim",
        "rock-paper-scissors",
        "hangman",
        "pig",
        "checkers",
        "misere-nim",
        "hex",
        "misere-tic-tac-toe",
        "three-mens-morris",
        "breakthrough",
        "domineering",
        "order-and-chaos",
        "pente",
        "kalah",
        "amazons",
        "chess",
        "go",
        "fox-and-geese",
        "lines-of-action",
        "dots-and-boxes",
        "ultimate-tic-tac-toe",
        "quarto",
        "mastermind",
        "battleship",
        "mastermind-duel",
        "whist",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for g in &games {
        assert!(!g.file.examples.is_empty(), "{} has no examples", g.id());
        let failures = run_examples(g);
        assert!(failures.is_empty(), "{}: {failures:?}", g.id());
    }
}

#[test]
fn a_wrong_example_is_reported() {
    let g = game("tic-tac-toe");
    let mut file = g.file.clone();
    file.examples = vec![rules::Example {
        name: "wrong".into(),
        players: None,
        seed: 0,
        setup: Vec::new(),
        to_move: None,
        word: None,
        code: None,
        rolls: Vec::new(),
        deck: Vec::new(),
        moves: vec![
            "a1".into(),
            "b1".into(),
            "a2".into(),
            "b2".into(),
            "a3".into(),
        ],
        expect: rules::Expect::Win(vec!["O".into()]),
    }];
    let wrong = Arc::new(Rules {
        file,
        ..(*g).clone()
    });
    let failures = run_examples(&wrong);
    assert_eq!(failures.len(), 1);
    assert!(failures[0].problem.contains("X won"), "{failures:?}");
}

fn errors_of(text: &str) -> Vec<String> {
    match load_str(Path::new("bad.ron"), text, Path::new("assets")) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

const GOOD: &str = r#"(
    id: "t",
    name: "T",
    description: "d",
    players: (min: 2, max: 2, seats: ["X", "O"]),
    board: Square(3, 3),
    moves: [Add()],
    end: [Line(length: 3), Full(Draw)],
)"#;

#[test]
fn mistakes_have_file_line_column_and_a_sentence() {
    assert!(errors_of(GOOD).is_empty());
    let unknown = GOOD.replace("name: \"T\",", "name: \"T\",\n    colour: \"red\",");
    let e = &errors_of(&unknown)[0];
    assert!(
        e.starts_with("bad.ron:4:5: ") && e.contains("colour"),
        "{e}"
    );
    let wrong_type = GOOD.replace("Square(3, 3)", "Square(\"three\", 3)");
    let e = &errors_of(&wrong_type)[0];
    assert_eq!(e, "bad.ron:6:19: Expected integer.");
    let too_long = GOOD.replace("length: 3", "length: 4");
    assert_eq!(
        errors_of(&too_long),
        [
            "bad.ron:8:16: Line: a line of 4 can never fit on a 3x3 board, so this end is unreachable."
        ]
    );
    let no_board = GOOD.replace("    board: Square(3, 3),\n", "");
    let e = errors_of(&no_board);
    assert!(
        e.iter()
            .any(|e| e.starts_with("bad.ron:6:13: Add needs a board")),
        "{e:?}"
    );
    let seats = GOOD.replace("seats: [\"X\", \"O\"]", "seats: [\"X\"]");
    assert!(errors_of(&seats)[0].contains("one seat name per player"));
    let word = GOOD.replace(
        "board:",
        "cards: (deck: Deck(suits: \"\", ranks: [\"a\"])),\n    zones: [(name: \"w\", words: Some(\"words/none.txt\"))],\n    board:",
    );
    let e = errors_of(&word);
    assert!(
        e.iter().any(|e| e.contains("cannot read the word list")),
        "{e:?}"
    );
}

#[test]
fn unknown_fields_are_refused_at_every_depth() {
    // Inside a move, a piece, an end: typos are mistakes at their place.
    let typo = GOOD.replace("moves: [Add()]", "moves: [Add(flnk: true)]");
    let e = errors_of(&typo);
    assert!(
        e[0].starts_with("bad.ron:7:17: ") && e[0].contains("flnk"),
        "{e:?}"
    );
    let typo = GOOD.replace("Line(length: 3)", "Line(lenght: 3)");
    let e = errors_of(&typo);
    assert!(
        e[0].starts_with("bad.ron:8:16: ") && e[0].contains("lenght"),
        "{e:?}"
    );
    let nim = r#"(id: "n", name: "N", description: "d",
    players: (min: 2, max: 2, seats: ["A", "B"]),
    board: Piles([3]),
    moves: [Take(maxx: 2)],
    end: [PilesEmpty(Win)],
)"#;
    let e = errors_of(nim);
    assert!(
        e[0].starts_with("bad.ron:4:18: ") && e[0].contains("maxx"),
        "{e:?}"
    );
    let piece = GOOD.replace(
        "moves: [Add()]",
        "pieces: [(name: \"man\", move: [])],\n    moves: [Add()]",
    );
    let e = errors_of(&piece);
    assert!(
        e[0].starts_with("bad.ron:7:28: ") && e[0].contains("`move` in `piece`"),
        "{e:?}"
    );
}

#[test]
fn the_issues_bugs_stay_fixed() {
    // A mistake is never placed inside a comment.
    let commented = GOOD.replace("(\n    id:", "// length: is explained below\n(\n    id:");
    let e = errors_of(&commented.replace("length: 3", "length: 4"));
    assert!(e[0].starts_with("bad.ron:9:16: "), "{e:?}");
    // Illegal(at: 0) and a Win for a seat that does not play are refused.
    let at_zero = GOOD.replace(
        "end: [Line(length: 3), Full(Draw)],",
        "end: [Line(length: 3), Full(Draw)],\n    examples: [(name: \"e\", moves: [\"a1\"], expect: Illegal(at: 0, reason: \"x\"))],",
    );
    let e = errors_of(&at_zero);
    assert!(
        e[0].starts_with("bad.ron:9:59: ") && e[0].contains("0 is none of them"),
        "{e:?}"
    );
    let three = GOOD
        .replace("max: 2, seats: [\"X\", \"O\"]", "max: 3, seats: [\"X\", \"O\", \"Z\"]")
        .replace(
            "end: [Line(length: 3), Full(Draw)],",
            "end: [Line(length: 3), Full(Draw)],\n    examples: [(name: \"e\", moves: [\"a1\"], expect: Win([\"Z\"]))],",
        );
    let e = errors_of(&three);
    assert!(
        e[0].contains("seat 'Z' does not play in a game of 2"),
        "{e:?}"
    );
    // Word lists stay inside the assets directory.
    let escape = GOOD.replace(
        "board:",
        "cards: (deck: Deck(suits: \"\", ranks: [\"a\"])),\n    zones: [(name: \"w\", words: Some(\"../../etc/hostname\"))],\n    board:",
    );
    let e = errors_of(&escape);
    assert!(
        e.iter().any(|e| e.contains("inside the assets directory")),
        "{e:?}"
    );
    // Seats that would look alike on the board.
    let alike = GOOD.replace("seats: [\"X\", \"O\"]", "seats: [\"Xa\", \"Xb\"]");
    let e = errors_of(&alike);
    assert!(e.iter().any(|e| e.contains("start alike")), "{e:?}");
}

#[test]
fn hex_lines_follow_hexagons_and_flanks_stay_on_them() {
    let hex_line = GOOD.replace("Square(3, 3)", "Hex(3, 3)");
    let rules = Arc::new(
        load_str(Path::new("h.ron"), &hex_line, Path::new("assets"))
            .unwrap_or_else(|e| panic!("{e:?}")),
    );
    // a1 b2 c3 is a square diagonal, not a hexagonal line.
    let mut m = Match::new(rules.clone(), 2, 1);
    for mv in ["a1", "a3", "b2", "b3", "c3"] {
        let seat = m.to_move()[0];
        m.play(seat, mv).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(!m.is_over(), "{}", m.status_line());
    // a3 b2 c1 is a hexagonal line.
    let mut m = Match::new(rules, 2, 1);
    for mv in ["a3", "a1", "b2", "b1", "c1"] {
        let seat = m.to_move()[0];
        m.play(seat, mv).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(m.status_line().starts_with("X won"), "{}", m.status_line());
    // Flanking on hexagons: c3 encloses b2 from a1? Not a hexagonal line, so it is refused.
    let flank = GOOD.replace("Square(3, 3)", "Hex(3, 3)").replace(
        "moves: [Add()]",
        "setup: [Put(\"X\", \"a1\"), Put(\"O\", \"b2 b1\")],\n    moves: [Add(flank: true)]",
    );
    let rules = Arc::new(
        load_str(Path::new("f.ron"), &flank, Path::new("assets"))
            .unwrap_or_else(|e| panic!("{e:?}")),
    );
    let mut m = Match::new(rules, 2, 1);
    let e = m.play(0, "c3").err().map(|e| e.0).unwrap_or_default();
    assert!(e.contains("encloses none"), "{e}");
}

#[test]
fn a_bad_file_is_refused_and_the_others_load() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("good.ron"), GOOD).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("bad.ron"),
        GOOD.replace("length: 3", "length: 9"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (games, errors) = load_dir(dir.path(), Path::new("assets"));
    assert_eq!(games.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().contains("bad.ron:8:16: "),
        "{}",
        errors[0]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random playouts of every rules file end, and nothing panics on the way.
    #[test]
    fn random_playouts_always_terminate(seed in any::<u64>()) {
        for g in shipped() {
            for players in g.min_players()..=g.max_players() {
                let mut m = Match::new(g.clone(), players, seed);
                let mut rng = Rng::new(seed ^ 0x5eed);
                let n = bot::playout(&mut m, &mut rng);
                prop_assert!(m.is_over(), "{} ({players} players) still on after {n} moves", g.id());
                prop_assert!(!m.render(None).is_empty());
            }
        }
    }

    /// Garbage never panics the interpreter and is refused with a reason.
    #[test]
    fn any_text_is_a_move_or_a_refusal(text in ".{0,12}") {
        for g in shipped() {
            let mut m = Match::new(g.clone(), g.min_players(), 1);
            let seat = m.to_move()[0];
            if let Err(e) = m.play(seat, &text) {
                prop_assert!(!e.0.is_empty());
            }
        }
    }
}

#[test]
fn the_same_seed_replays_the_same_game() {
    for g in shipped() {
        let play = |seed| {
            let mut m = Match::new(g.clone(), g.max_players(), seed);
            bot::playout(&mut m, &mut Rng::new(seed));
            m.state.moves.clone()
        };
        assert_eq!(play(42), play(42), "{}", g.id());
    }
}

#[test]
fn a_stored_game_restores_and_goes_on() {
    let g = game("connect-four");
    let mut m = Match::new(g.clone(), 2, 7);
    for mv in ["d", "d", "c"] {
        let seat = m.to_move()[0];
        m.play(seat, mv).unwrap_or_else(|e| panic!("{e}"));
    }
    let text = ron::to_string(&m.state).unwrap_or_else(|e| panic!("{e}"));
    let state: play::State = ron::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let mut back = Match::restore(g.clone(), state).unwrap_or_else(|| panic!("restore"));
    assert_eq!(back.render(None), m.render(None));
    assert!(back.play(1, "c").is_ok());
    assert!(Match::restore(game("nim"), m.state.clone()).is_none());
}

#[test]
fn the_computer_takes_a_win_and_blocks_a_loss() {
    let g = game("tic-tac-toe");
    let budget = Budget {
        iterations: 3_000,
        max_time: std::time::Duration::from_secs(5),
    };
    // X: a1 a2, O: b1 b2; X to move wins at a3.
    let mut m = Match::new(g.clone(), 2, 1);
    for mv in ["a1", "b1", "a2", "b2"] {
        let seat = m.to_move()[0];
        m.play(seat, mv).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(bot::choose(&m, 0, budget, 3).as_deref(), Some("a3"));
    // X: a1 a2, O: b2; O to move must block a3.
    let mut m = Match::new(g, 2, 1);
    for mv in ["a1", "b2", "a2"] {
        let seat = m.to_move()[0];
        m.play(seat, mv).unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(bot::choose(&m, 1, budget, 3).as_deref(), Some("a3"));
}

#[test]
fn the_computer_plays_every_game_within_its_time() {
    let budget = Budget {
        iterations: 100_000,
        max_time: std::time::Duration::from_millis(30),
    };
    for g in shipped() {
        let m = Match::new(g.clone(), g.min_players(), 5);
        let seat = m.to_move()[0];
        let mv = bot::choose(&m, seat, budget, 1).unwrap_or_else(|| panic!("{}: no move", g.id()));
        assert!(m.legal_moves(seat).contains(&mv), "{}: {mv}", g.id());
    }
}

#[test]
fn hidden_information_stays_hidden() {
    let g = game("hangman");
    let mut m = Match::new(g.clone(), 1, 3);
    m.set_word("comet").unwrap_or_else(|e| panic!("{e}"));
    m.play(0, "e").unwrap_or_else(|e| panic!("{e}"));
    m.play(0, "x").unwrap_or_else(|e| panic!("{e}"));
    let board = m.render(Some(0));
    assert!(board.contains("word: _ _ _ e _"), "{board}");
    assert!(board.contains("misses: x (1/6)"), "{board}");
    assert!(!board.contains("comet"));
    // The bot's copy keeps what shows and draws the rest among the words that fit.
    let mut rng = Rng::new(2);
    let words: std::collections::BTreeSet<String> = (0..40)
        .map(|_| {
            let d = m.determinize(0, &mut rng);
            let w = d.state.zones[zones::slot(&d.rules, 0, 0)]
                .iter()
                .map(|c| zones::card_name(&d.rules, *c))
                .collect::<String>();
            assert!(d.render(Some(0)).contains("word: _ _ _ e _"), "{w}");
            w
        })
        .collect();
    assert!(words.len() > 1, "{words:?}");
    let rps = game("rock-paper-scissors");
    let mut m = Match::new(rps, 2, 1);
    m.play(0, "rock").unwrap_or_else(|e| panic!("{e}"));
    assert!(m.render(None).contains("A has chosen"));
    assert!(!m.render(None).contains("rock"));
    assert!(!m.render(Some(1)).contains("rock"));
    assert!(m.render(Some(0)).contains("A choice: rock"));
    assert_eq!(m.private_view(0).as_deref(), Some("Your choice: rock."));
    // B's bot does not know A's choice: its copies hold every option.
    let mut rng = Rng::new(1);
    let choices: std::collections::BTreeSet<String> = (0..40)
        .map(|_| {
            let d = m.determinize(1, &mut rng);
            zones::card_name(&d.rules, d.state.zones[zones::slot(&d.rules, 0, 0)][0])
        })
        .collect();
    assert_eq!(choices.len(), 3, "{choices:?}");
    let played = m.play(1, "paper").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        played.events,
        vec!["Round 1: A rock, B paper — B wins the round.".to_owned()]
    );
    assert!(m.private_view(0).is_none());
    // A hidden code: shown to nobody until the end; the bot samples codes that fit the replies.
    let mm = game("mastermind");
    let mut m = Match::new(mm, 1, 9);
    assert!(m.set_code("RGBY"));
    m.play(0, "RRGG").unwrap_or_else(|e| panic!("{e}"));
    m.play(0, "BGOY").unwrap_or_else(|e| panic!("{e}"));
    assert!(!m.render(None).contains("RGBY"), "{}", m.render(None));
    for seed in 0..20 {
        let d = m.determinize(0, &mut Rng::new(seed));
        for (g, b, w) in &m.state.cracks {
            assert_eq!(chance::pegs(&d.state.code, g), (*b, *w));
        }
    }
    let stored = ron::to_string(&m.state).unwrap_or_default();
    let back = Match::restore(
        m.rules.clone(),
        ron::from_str(&stored).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|| panic!("restore"));
    assert!(!back.render(None).contains("RGBY"));
    assert_eq!(back.state.code, m.state.code);
    // A code set by a seat: a secret move; the maker alone sees it, the breaker's bot samples.
    let duel = game("mastermind-duel");
    let mut m = Match::new(duel, 2, 4);
    let set = m.play(0, "OOWB").unwrap_or_else(|e| panic!("{e}"));
    assert!(set.secret);
    assert!(set.events.iter().all(|e| !e.contains("OOWB")), "{set:?}");
    m.play(1, "RRGG").unwrap_or_else(|e| panic!("{e}"));
    assert!(!m.render(None).contains("OOWB"));
    assert!(!m.render(Some(1)).contains("OOWB"));
    assert!(m.render(Some(0)).contains("code: OOWB"));
    assert_eq!(m.private_view(0).as_deref(), Some("Your code: OOWB."));
    assert_eq!(m.private_view(1), None);
    assert_eq!(m.determinize(0, &mut Rng::new(3)).state.code, m.state.code);
    let guesses: Vec<Vec<u8>> = (0..20)
        .map(|seed| m.determinize(1, &mut Rng::new(seed)).state.code)
        .collect();
    assert!(guesses.iter().any(|c| *c != m.state.code));
}

/// The sites holding a piece of `seat` in a seat's (or the room's) view of the board.
fn marks_in(view: &str, marks: &[char]) -> usize {
    view.lines()
        .skip(1)
        .take(6)
        .map(|l| l.chars().filter(|c| marks.contains(c)).count())
        .sum()
}

#[test]
fn hidden_pieces_show_only_to_their_owner_and_the_bot_lays_them_again() {
    let g = game("battleship");
    let mut m = Match::new(g.clone(), 2, 5);
    for mv in [
        "battleship a1-d1",
        "battleship h6-k6",
        "cruiser a3-a5",
        "cruiser m1-m3",
        "destroyer c3-d3",
        "destroyer h1-i1",
    ] {
        let seat = m.to_move()[0];
        let played = m.play(seat, mv).unwrap_or_else(|e| panic!("{mv}: {e}"));
        assert!(played.secret, "{mv}");
    }
    let a = ['B', 'C', 'D'];
    let b = ['b', 'c', 'd'];
    // The room sees no ship; each seat sees its own 9 cells and none of the other's.
    let public = m.view(None);
    assert_eq!(marks_in(&public, &a) + marks_in(&public, &b), 0, "{public}");
    let seen_by_a = m.view(Some(0));
    assert_eq!((marks_in(&seen_by_a, &a), marks_in(&seen_by_a, &b)), (9, 0));
    let seen_by_b = m.view(Some(1));
    assert_eq!((marks_in(&seen_by_b, &a), marks_in(&seen_by_b, &b)), (0, 9));
    let private = m.private_view(0).unwrap_or_default();
    assert!(private.contains("battleship a1 b1 c1 d1"), "{private}");
    assert!(
        !private.contains("h6") && !private.contains("m1"),
        "{private}"
    );
    // A hit shows to everyone; a miss leaves a marker.
    let hit = m.play(0, "h6").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hit.events, ["A fires at h6: hit."]);
    assert!(!hit.secret);
    let miss = m.play(1, "f6").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(miss.events, ["B fires at f6: miss."]);
    let public = m.view(None);
    assert_eq!(marks_in(&public, &['x']), 1, "{public}");
    assert_eq!(marks_in(&public, &['o']), 1, "{public}");
    // The bot's copy for A keeps A's fleet, keeps the hit, and lays B's fleet anew: still 9
    // cells of B in B's waters, never on a site A fired at and missed or in A's waters.
    let truth: Vec<play::Cell> = m.state.cells.clone();
    let mut moved = false;
    for seed in 0..20 {
        let d = m.determinize(0, &mut Rng::new(seed));
        let of = |owner: u8| {
            d.state
                .cells
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.is_empty() && c.owner == owner)
                .map(|(s, _)| s)
                .collect::<Vec<_>>()
        };
        let mine: Vec<usize> = truth
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty() && c.owner == 0)
            .map(|(s, _)| s)
            .collect();
        assert_eq!(of(0), mine);
        let theirs = of(1);
        assert_eq!(theirs.len(), 9);
        let h6 = g.board.site("h6").unwrap_or(0) as usize;
        assert!(theirs.contains(&h6) && d.state.cells[h6].hit);
        assert!(theirs.iter().all(|s| {
            g.board
                .name(*s as u16)
                .starts_with(['h', 'i', 'j', 'k', 'l', 'm'])
        }));
        moved |= d.state.cells != truth;
    }
    assert!(moved, "the enemy fleet is never laid anew");
    // Stored, the fleet is kept; restored, it is still shown to nobody else.
    let stored = ron::to_string(&m.state).unwrap_or_default();
    let back = Match::restore(
        m.rules.clone(),
        ron::from_str(&stored).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|| panic!("restore"));
    assert_eq!(back.state.cells, m.state.cells);
    assert_eq!(back.view(None), m.view(None));
    assert_eq!(marks_in(&back.view(Some(1)), &a), 0);
}

#[test]
fn boards_have_coordinates_on_every_side() {
    let g = game("connect-four");
    let m = Match::new(g, 2, 1);
    let board = m.render(None);
    let lines: Vec<&str> = board.lines().collect();
    assert_eq!(lines[0], "  a b c d e f g");
    assert_eq!(lines[1], "6 . . . . . . . 6");
    assert_eq!(lines[7], "  a b c d e f g");
    assert_eq!(lines[8], "X to move.");
}

#[test]
fn hexagonal_boards_are_drawn_as_a_rhombus() {
    let g = game("hex");
    let mut m = Match::new(g, 2, 1);
    m.play(0, "a7").unwrap_or_else(|e| panic!("{e}"));
    let board = m.render(None);
    let lines: Vec<&str> = board.lines().collect();
    assert_eq!(lines[0], "        a b c d e f g");
    assert_eq!(lines[1], "      7 r . . . . . . 7");
    assert_eq!(lines[7], "1 . . . . . . . 1");
    assert_eq!(lines[8], "  a b c d e f g");
}

/// The fields of a small valid file, in order; a guide example replaces its own field.
const BASE: [(&str, &str); 7] = [
    ("id", "id: \"t\""),
    ("name", "name: \"T\""),
    ("description", "description: \"d\""),
    (
        "players",
        "players: (min: 2, max: 2, seats: [\"X\", \"O\"])",
    ),
    ("board", "board: Square(3, 3)"),
    ("moves", "moves: [Add()]"),
    ("end", "end: [Line(length: 3), Full(Draw)]"),
];

/// Whether a one-line example of the guide reads as some construct of the language.
fn guide_fragment_parses(fragment: &str) -> Result<(), String> {
    let opts =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut tries: Vec<String> = Vec::new();
    // A field of the file.
    if let Some((field, _)) = fragment.split_once(':') {
        let field = field.trim();
        let mut fields: Vec<String> = BASE
            .iter()
            .filter(|(f, _)| *f != field)
            .map(|(_, v)| (*v).to_owned())
            .collect();
        fields.push(fragment.to_owned());
        tries.push(format!("({})", fields.join(", ")));
        // A field of a piece, or of an example.
        tries.push(format!(
            "(id: \"t\", name: \"T\", description: \"d\", players: (min: 2, max: 2, seats: [\"X\", \"O\"]), board: Square(3, 3), pieces: [(name: \"p\", {fragment})], moves: [Add()], end: [Full(Draw)])"
        ));
        for base in [
            "name: \"e\"",
            "name: \"e\", moves: []",
            "name: \"e\", expect: Ongoing",
            "name: \"e\", moves: [], expect: Ongoing",
        ] {
            tries.push(format!(
                "(id: \"t\", name: \"T\", description: \"d\", players: (min: 2, max: 2, seats: [\"X\", \"O\"]), board: Square(3, 3), moves: [Add()], end: [Full(Draw)], examples: [({base}, {fragment})])"
            ));
        }
    }
    for t in &tries {
        if opts.from_str::<spec::RulesFile>(t).is_ok() {
            return Ok(());
        }
    }
    let as_value = [
        opts.from_str::<spec::Move>(fragment).is_ok(),
        opts.from_str::<spec::Move>(&format!("Step({fragment})"))
            .is_ok(),
        opts.from_str::<spec::End>(fragment).is_ok(),
        opts.from_str::<spec::Region>(fragment).is_ok(),
        opts.from_str::<spec::Setup>(fragment).is_ok(),
        opts.from_str::<spec::Capture>(fragment).is_ok(),
        opts.from_str::<spec::PieceSpec>(fragment).is_ok(),
    ];
    if as_value.contains(&true) {
        Ok(())
    } else {
        Err(format!("'{fragment}' is not a construct of the language"))
    }
}

#[test]
fn every_example_in_the_guide_is_checked() {
    let guide = std::fs::read_to_string("rules/README.md").unwrap_or_else(|e| panic!("{e}"));
    // Whole files: they load and their examples replay.
    let mut files = 0;
    for block in guide.split("```ron\n").skip(1) {
        let text = block.split("```").next().unwrap_or_default();
        let rules = load_str(Path::new("guide.ron"), text, Path::new("assets"))
            .unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        let failures = run_examples(&Arc::new(rules));
        assert!(failures.is_empty(), "{failures:?}");
        files += 1;
    }
    assert!(files >= 2);
    // The reference: the first backticked text of each table row's second column.
    let mut rows = 0;
    let mut bad = Vec::new();
    for line in guide.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let Some(example) = cells.get(1) else {
            continue;
        };
        let Some(code) = example.split('`').nth(1) else {
            continue;
        };
        if code.contains('…') {
            continue;
        }
        rows += 1;
        if let Err(e) = guide_fragment_parses(code) {
            bad.push(e);
        }
    }
    assert!(rows > 60, "{rows} examples");
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn chess_matches_the_standard_perft_counts() {
    let chess = game("chess");
    let start = Match::new(chess.clone(), 2, 1);
    let counts: Vec<u64> = (1..=4).map(|d| examples::perft(&start, d)).collect();
    assert_eq!(counts, [20, 400, 8_902, 197_281]);
    let kiwipete = [spec::Setup::Fen(
        "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R".into(),
    )];
    let m = Match::with_setup(chess, 2, 1, &kiwipete, None);
    let counts: Vec<u64> = (1..=3).map(|d| examples::perft(&m, d)).collect();
    assert_eq!(counts, [48, 2_039, 97_862]);
}

#[test]
fn the_bot_samples_only_what_its_seat_may_see_of_the_zones() {
    let g = game("crazy-eights");
    let m = Match::new(g.clone(), 2, 7);
    let z = |name: &str| super::zones::zone(&g, name).unwrap_or(0);
    let slot = |name: &str, seat: usize| super::zones::slot(&g, z(name), seat);
    let mut rng = super::rng::Rng::new(3);
    let mut differs = false;
    for _ in 0..10 {
        let d = m.determinize(0, &mut rng);
        // Its own hand and the public pile are as they are.
        assert_eq!(
            d.state.zones[slot("hand", 0)],
            m.state.zones[slot("hand", 0)]
        );
        assert_eq!(
            d.state.zones[slot("discard", 0)],
            m.state.zones[slot("discard", 0)]
        );
        // The other hand and the stock keep their sizes and, together, the same cards.
        let unseen = |m: &Match| {
            let mut v: Vec<u16> = [slot("hand", 1), slot("stock", 0)]
                .iter()
                .flat_map(|s| m.state.zones[*s].clone())
                .collect();
            v.sort_unstable();
            v
        };
        assert_eq!(unseen(&d), unseen(&m));
        assert_eq!(
            d.state.zones[slot("hand", 1)].len(),
            m.state.zones[slot("hand", 1)].len()
        );
        differs |= d.state.zones[slot("hand", 1)] != m.state.zones[slot("hand", 1)];
    }
    assert!(differs, "the other hand is never resampled");
    // Liar's dice: another seat's dice are rolled again, one's own kept.
    let g = game("liars-dice");
    let m = Match::new(g.clone(), 2, 5);
    let dz = super::zones::zone(&g, "dice").unwrap_or(0);
    let (mine, theirs) = (super::zones::slot(&g, dz, 1), super::zones::slot(&g, dz, 0));
    let mut differs = false;
    for _ in 0..10 {
        let d = m.determinize(1, &mut rng);
        assert_eq!(d.state.zones[mine], m.state.zones[mine]);
        differs |= d.state.zones[theirs] != m.state.zones[theirs];
    }
    assert!(differs);
}

#[test]
fn zone_mistakes_are_placed_in_the_file() {
    let text = r#"(
    id: "bad",
    name: "Bad",
    description: "d",
    players: (min: 2, max: 2, seats: ["A", "B"]),
    cards: (deck: Standard52),
    zones: [(name: "stock", visible: Nobody, deck: true), (name: "pile", visible: Owner)],
    moves: [PlayCard(from: "hand", to: "pile", wild: ["11"])],
    end: [Emptied("hand", Win)],
)"#;
    let errors = load_str(Path::new("bad.ron"), text, Path::new("assets"))
        .err()
        .unwrap_or_default();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("bad.ron:7:") && e.contains("only a zone per seat")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|e| e.starts_with("bad.ron:8:") && e.contains("there is no zone 'hand'")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|e| e.contains("'11' is not a rank of the deck")),
        "{shown:?}"
    );
}

#[test]
fn a_game_stored_before_zones_restores() {
    let g = game("connect-four");
    let mut m = Match::new(g.clone(), 2, 7);
    m.play(0, "d").unwrap_or_else(|e| panic!("{e}"));
    // The fields zones brought are absent from an older record.
    let mut old = m.state.clone();
    old.done = Vec::new();
    old.positions = Vec::new();
    old.sheet = Vec::new();
    let mut back = Match::restore(g, old).unwrap_or_else(|| panic!("restore"));
    assert!(back.play(1, "d").is_ok());
    // A card game keeps its hands through a store.
    let g = game("crazy-eights");
    let m = Match::new(g.clone(), 2, 7);
    let text = ron::to_string(&m.state).unwrap_or_else(|e| panic!("{e}"));
    let state: play::State = ron::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let back = Match::restore(g, state).unwrap_or_else(|| panic!("restore"));
    assert_eq!(back.private_view(0), m.private_view(0));
    assert_eq!(back.render(None), m.render(None));
}
