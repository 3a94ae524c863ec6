//! Trick-taking: following suit, trumps, the winner leading, tricks counted and compared, the
//! points of captured cards, and the checks on a trick.

use std::path::Path;

use super::*;

/// Three seats dealt from these hands (a card to each in turn, so the hands interleave).
fn three(hands: [&[&str]; 3]) -> Match {
    let n = hands[0].len();
    let rules = variant(
        "(\"stock\", \"hand\", 13)",
        &format!("(\"stock\", \"hand\", {n})"),
    );
    let mut m = Match::new(rules, 3, 1);
    let mut deck = Vec::new();
    for i in 0..hands[0].len() {
        for h in hands {
            deck.push(h[i].to_owned());
        }
    }
    m.stack_deck(&deck).unwrap_or_else(|e| panic!("{e}"));
    m
}

fn play(m: &mut Match, moves: &[&str]) -> Vec<String> {
    let mut events = Vec::new();
    for mv in moves {
        let seat = m.to_move()[0];
        let p = m.play(seat, mv).unwrap_or_else(|e| panic!("{mv}: {e}"));
        events.extend(p.events);
    }
    events
}

#[test]
fn a_trump_beats_the_suit_led_and_its_player_leads_next() {
    let mut m = three([&["Ks", "2d"], &["As", "3d"], &["2h", "4d"]]);
    // C has no spade: it may play anything, and its small trump takes the trick.
    let events = play(&mut m, &["Ks", "As", "2h"]);
    assert_eq!(events, ["C wins the trick (Ks As 2h) with 2h."]);
    assert_eq!(m.to_move(), vec![2]);
    assert_eq!(m.state.tricks, [0, 0, 1]);
    // Without a trump the highest of the suit led wins, whoever led.
    let events = play(&mut m, &["4d", "2d", "3d"]);
    assert_eq!(events, ["C wins the trick (4d 2d 3d) with 4d."]);
    assert_eq!(m.state.tricks, [0, 0, 2]);
}

#[test]
fn a_seat_that_can_follow_must_and_one_that_cannot_may_play_anything() {
    let mut m = three([&["Ks", "2d"], &["As", "3d"], &["Qs", "4h"]]);
    play(&mut m, &["Ks", "As"]);
    let e = m.play(2, "4h").err().map(|e| e.0).unwrap_or_default();
    assert_eq!(e, "You must follow suit (s was led).");
    assert_eq!(m.legal_moves(2), ["Qs"]);
    play(&mut m, &["Qs"]);
    // B won with the ace and leads a diamond; C holds none and so may play its heart.
    play(&mut m, &["3d"]);
    assert_eq!(m.legal_moves(2), ["4h"]);
}

/// Whist with other words in place (a shorter deal, points, a place for won tricks).
fn variant(from: &str, to: &str) -> Arc<Rules> {
    let text = std::fs::read_to_string("rules/whist.ron").unwrap_or_else(|e| panic!("{e}"));
    let text = text.replace(from, to);
    // The shipped examples deal 13 each; a variant keeps none.
    let text = match text.find("    examples: [") {
        Some(i) => format!("{}    examples: [],\n)\n", &text[..i]),
        None => text,
    };
    Arc::new(
        load_str(Path::new("v.ron"), &text, Path::new("assets"))
            .unwrap_or_else(|e| panic!("{e:?}")),
    )
}

fn stacked(rules: Arc<Rules>, deck: &[&str]) -> Match {
    let mut m = Match::new(rules, 3, 1);
    let deck: Vec<String> = deck.iter().map(|s| (*s).to_owned()).collect();
    m.stack_deck(&deck).unwrap_or_else(|e| panic!("{e}"));
    m
}

#[test]
fn most_tricks_wins_once_the_hands_are_empty() {
    let short = variant("(\"stock\", \"hand\", 13)", "(\"stock\", \"hand\", 2)");
    let mut m = stacked(short, &["Ks", "As", "2h", "2d", "3d", "4d"]);
    play(&mut m, &["Ks", "As", "2h"]);
    assert!(!m.is_over());
    play(&mut m, &["4d", "2d", "3d"]);
    assert_eq!(
        m.status_line(),
        "C won: every hand is empty; most tricks (A 0, B 0, C 2)."
    );
}

#[test]
fn a_trick_can_score_its_cards_into_its_winners_pile() {
    let rules = variant(
        "(name: \"trick\"),",
        "(name: \"trick\"), (name: \"taken\", per_seat: true),",
    );
    let text = std::fs::read_to_string("rules/whist.ron").unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("trick: Some((zone: \"trick\", trump: Some(\"h\")))"));
    let mut file = rules.file.clone();
    file.trick = Some(spec::TrickSpec {
        zone: "trick".into(),
        trump: None,
        won: Some("taken".into()),
        points: true,
    });
    file.cards = Some(spec::CardSpec {
        deck: file.cards.map(|c| c.deck).unwrap_or_default(),
        values: vec![0, 0, 0, 0, 0, 0, 0, 0, 10, 2, 3, 4, 11],
        soft: 0,
    });
    file.deal = vec![("stock".into(), "hand".into(), 1)];
    file.end = vec![spec::End::Emptied(
        "hand".into(),
        spec::Verdict::Most(spec::Count::Score),
    )];
    let rules = Arc::new(Rules::compile(file, Vec::new(), Path::new("v.ron")));
    let mut m = stacked(rules, &["Ks", "As", "10h"]);
    let events = play(&mut m, &["Ks", "As", "10h"]);
    // No trumps: the heart is a discard; the ace wins 4 + 11 + 10.
    assert_eq!(events, ["B wins the trick (Ks As 10h) with As, 25 points."]);
    assert_eq!(m.state.scores, [0, 25, 0]);
    let z = zones::zone(&m.rules, "taken").unwrap_or(0);
    assert_eq!(m.state.zones[zones::slot(&m.rules, z, 1)].len(), 3);
}

#[test]
fn trick_mistakes_are_placed_in_the_file() {
    let text = r#"(
    id: "bad",
    name: "Bad",
    description: "d",
    players: (min: 2, max: 2, seats: ["A", "B"]),
    cards: (deck: Standard52),
    zones: [(name: "stock", visible: Nobody, deck: true), (name: "hand", per_seat: true, visible: Owner)],
    trick: Some((zone: "hand", trump: Some("x"))),
    moves: [PlayCard(from: "hand", to: "stock", follow: true)],
    end: [Emptied("hand", Most(Tricks))],
)"#;
    let shown: Vec<String> = load_str(Path::new("bad.ron"), text, Path::new("assets"))
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    for (line, words) in [
        (7, "the zone 'hand' must be shared"),
        (8, "the trump 'x' is not a suit of the deck (shdc)"),
        (8, "no PlayCard puts cards in 'hand'"),
    ] {
        assert!(
            shown
                .iter()
                .any(|e| e.starts_with(&format!("bad.ron:{line}:")) && e.contains(words)),
            "{words}: {shown:?}"
        );
    }
    let no_trick = text.replace(
        "    trick: Some((zone: \"hand\", trump: Some(\"x\"))),\n",
        "",
    );
    let shown: Vec<String> = load_str(Path::new("bad.ron"), &no_trick, Path::new("assets"))
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(
        shown.iter().any(|e| e.contains("follow needs a trick")),
        "{shown:?}"
    );
    assert!(
        shown
            .iter()
            .any(|e| e.contains("Most(Tricks) needs a trick")),
        "{shown:?}"
    );
}

#[test]
fn the_bot_deals_no_card_of_a_suit_a_seat_failed_to_follow() {
    let mut m = three([
        &["Ks", "2d", "5c"],
        &["As", "3d", "6c"],
        &["2h", "4d", "7c"],
    ]);
    play(&mut m, &["Ks", "As", "2h"]);
    let spades = |d: &Match, seat: usize| {
        let z = super::zones::zone(&d.rules, "hand").unwrap_or(0);
        d.state.zones[super::zones::slot(&d.rules, z, seat)]
            .iter()
            .filter(|c| super::zones::card_name(&d.rules, **c).ends_with('s'))
            .count()
    };
    let mut rng = super::rng::Rng::new(5);
    let mut b_spades = 0;
    for _ in 0..60 {
        let d = m.determinize(0, &mut rng);
        assert_eq!(spades(&d, 2), 0, "C showed it has no spade");
        b_spades += spades(&d, 1);
    }
    // B is not known to lack spades: its sampled hands hold some.
    assert!(b_spades > 0);
}
