//! Checking zones, cards, dice pools, the score sheet, the track and the house: every name a
//! move or an end gives must be a zone of the right kind, and every end must be reachable.

use std::collections::BTreeSet;

use super::check::Checker;
use super::spec::*;

fn zone<'a>(rules: &'a RulesFile, name: &str) -> Option<&'a ZoneSpec> {
    rules.zones.iter().find(|z| z.name == name)
}

/// Every move of the file, pieces' moves and second parts included.
fn moves(rules: &RulesFile) -> Vec<&Move> {
    fn walk<'a>(m: &'a Move, out: &mut Vec<&'a Move>) {
        out.push(m);
        match m {
            Move::Only(_, inner) => walk(inner, out),
            Move::Add { then: Some(t), .. }
            | Move::Step { then: Some(t), .. }
            | Move::Slide { then: Some(t), .. } => walk(t, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for m in rules
        .moves
        .iter()
        .chain(rules.pieces.iter().flat_map(|p| &p.moves))
    {
        walk(m, &mut out);
    }
    out
}

/// A zone named by a move or an end: it must exist, hold cards or dice as the use needs, and
/// (when `own`) be one per seat.
fn need(rules: &RulesFile, c: &mut Checker, name: &str, what: &str, dice: Option<bool>, own: bool) {
    let Some(z) = zone(rules, name) else {
        let known: Vec<&str> = rules.zones.iter().map(|z| z.name.as_str()).collect();
        c.at(
            &format!("\"{name}\""),
            format!(
                "{what}: there is no zone '{name}' (zones: {}).",
                if known.is_empty() {
                    "none; add zones: [(name: \"hand\", per_seat: true)]".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        );
        return;
    };
    match dice {
        Some(true) if z.dice.is_none() => c.at(
            &format!("\"{name}\""),
            format!("{what}: the zone '{name}' holds no dice; give it dice: Some((5, 6))."),
        ),
        Some(false) if z.dice.is_some() => c.at(
            &format!("\"{name}\""),
            format!("{what}: the zone '{name}' holds dice, not cards."),
        ),
        _ => {}
    }
    if own && !z.per_seat {
        c.at(
            &format!("\"{name}\""),
            format!("{what}: the zone '{name}' must be one per seat (per_seat: true)."),
        );
    }
}

pub fn check(rules: &RulesFile, c: &mut Checker) {
    let mut names = BTreeSet::new();
    for z in &rules.zones {
        if !names.insert(z.name.as_str()) || z.name.trim().is_empty() {
            c.at(
                &format!("\"{}\"", z.name),
                format!("zones: the name '{}' is empty or used twice.", z.name),
            );
        }
        if z.visible == Visibility::Owner && !z.per_seat {
            c.at(
                &format!("\"{}\"", z.name),
                format!(
                    "zone '{}': only a zone per seat has an owner to see it; use Nobody or per_seat: true.",
                    z.name
                ),
            );
        }
        if z.deck && rules.cards.is_none() {
            c.at(
                "deck",
                format!(
                    "zone '{}' starts with the deck, but there are no cards: add cards: (deck: Standard52).",
                    z.name
                ),
            );
        }
        if let Some((n, sides)) = z.dice
            && (n == 0 || n > 15 || sides < 2)
        {
            c.at(
                "dice",
                format!("zone '{}': from 1 to 15 dice of at least 2 sides.", z.name),
            );
        }
    }
    if rules.zones.iter().filter(|z| z.deck).count() > 1 {
        c.at("deck", "zones: only one zone starts with the deck.".into());
    }
    if let Some(cards) = &rules.cards
        && let DeckKind::Deck {
            suits,
            ranks,
            copies,
            ..
        } = &cards.deck
    {
        let distinct: BTreeSet<char> = suits.to_lowercase().chars().collect();
        if distinct.len() != suits.chars().count() || suits.len() > 16 {
            c.at(
                "suits",
                "cards: suits are up to 16 different characters (\"shdc\"; \"\" for cards named by their rank alone).".into(),
            );
        }
        let rs: BTreeSet<String> = ranks.iter().map(|r| r.to_lowercase()).collect();
        if ranks.is_empty() || rs.len() != ranks.len() || ranks.len() > 60 {
            c.at(
                "ranks",
                "cards: ranks are 1 to 60 different names ([\"A\", \"2\"]).".into(),
            );
        }
        if *copies == 0 || *copies > 16 {
            c.at("copies", "cards: copies must be 1 to 16.".into());
        }
    }
    let cards = rules.cards.is_some();
    for (from, to, _) in &rules.deal {
        need(rules, c, from, "deal", Some(false), false);
        need(rules, c, to, "deal", Some(false), false);
    }
    for m in moves(rules) {
        match m {
            Move::PlayCard { from, to, wild, .. } => {
                need(rules, c, from, "PlayCard", Some(false), true);
                need(rules, c, to, "PlayCard", Some(false), false);
                if !cards {
                    c.at(
                        "PlayCard",
                        "PlayCard needs cards: add cards: (deck: Standard52).".into(),
                    );
                }
                for w in wild {
                    if !rank_exists(rules, w) {
                        c.at(
                            &format!("\"{w}\""),
                            format!("PlayCard: '{w}' is not a rank of the deck."),
                        );
                    }
                }
            }
            Move::Draw {
                from, to, refill, ..
            } => {
                need(rules, c, from, "Draw", Some(false), false);
                need(rules, c, to, "Draw", Some(false), true);
                if let Some(r) = refill {
                    need(rules, c, r, "Draw", Some(false), false);
                }
            }
            Move::Throw { zone: z, times } => {
                need(rules, c, z, "Throw", Some(true), true);
                if *times == 0 {
                    c.at("times", "Throw: times must be at least 1.".into());
                }
            }
            Move::Bid { zone: z, wild } => {
                need(rules, c, z, "Bid", Some(true), true);
                if wild.is_some_and(|w| {
                    zone(rules, z)
                        .and_then(|z| z.dice)
                        .is_some_and(|(_, s)| w == 0 || w > s)
                }) {
                    c.at("wild", "Bid: the wild face is not on the dice.".into());
                }
            }
            Move::Challenge if !moves(rules).iter().any(|m| matches!(m, Move::Bid { .. })) => {
                c.at(
                    "Challenge",
                    "Challenge needs Bid moves to challenge.".into(),
                );
            }
            Move::Fill if rules.sheet.is_none() => c.at(
                "Fill",
                "Fill needs a score sheet: add sheet: (zone: \"dice\", categories: [...]).".into(),
            ),
            Move::Advance => {
                if rules.track.is_none() {
                    c.at(
                        "Advance",
                        "Advance needs a track: add track: (length: 100).".into(),
                    );
                }
                if rules.dice.is_none() {
                    c.at(
                        "Advance",
                        "Advance needs dice: add dice: (sides: 6).".into(),
                    );
                }
            }
            _ => {}
        }
    }
    let has = |f: &dyn Fn(&Move) -> bool| moves(rules).iter().any(|m| f(m));
    if let Some(sheet) = &rules.sheet {
        need(rules, c, &sheet.zone, "sheet", Some(true), true);
        if sheet.categories.is_empty() {
            c.at("categories", "sheet: give at least one category.".into());
        }
        let mut seen = BTreeSet::new();
        for cat in &sheet.categories {
            if !seen.insert(cat.name.to_lowercase()) || cat.name.trim().is_empty() {
                c.at(
                    &format!("\"{}\"", cat.name),
                    format!(
                        "sheet: the category '{}' is empty or named twice.",
                        cat.name
                    ),
                );
            }
        }
        for (cats, _, _) in &sheet.bonus {
            for n in cats {
                if !sheet.categories.iter().any(|k| &k.name == n) {
                    c.at_after(
                        &["bonus"],
                        &format!("\"{n}\""),
                        format!("sheet: the bonus names '{n}', which is not a category."),
                    );
                }
            }
        }
        if !has(&|m| matches!(m, Move::Fill)) {
            c.at(
                "sheet",
                "sheet: categories are filled by a Fill move; add one.".into(),
            );
        }
    }
    if let Some(t) = &rules.track {
        if t.length < 2 {
            c.at("length", "track: the length must be at least 2.".into());
        }
        for (a, b) in &t.links {
            if *a == 0 || *b == 0 || *a >= t.length || *b > t.length || a == b {
                c.at(
                    "links",
                    format!(
                        "track: the link ({a}, {b}) must join two different squares from 1 to {}, starting before the last.",
                        t.length
                    ),
                );
            }
        }
    }
    if let Some(h) = &rules.house {
        need(rules, c, &h.hand, "house", Some(false), false);
        need(rules, c, &h.draw, "house", Some(false), false);
        for r in &h.reveal {
            need(rules, c, r, "house", Some(false), false);
        }
        if !rules.end.iter().any(|e| matches!(e, End::Showdown(..))) {
            c.at(
                "house",
                "house: the house plays for a Showdown; add one to end.".into(),
            );
        }
    }
    for e in &rules.end {
        match e {
            End::Emptied(z, v) => {
                need(rules, c, z, "Emptied", None, true);
                if !matches!(v, Verdict::Win | Verdict::Lose | Verdict::Most(_)) {
                    c.at(
                        "Emptied",
                        "Emptied: the verdict is Win, Lose or Most(…).".into(),
                    );
                }
            }
            End::Filled(_) if rules.sheet.is_none() => c.at(
                "Filled",
                "Filled is unreachable without a score sheet.".into(),
            ),
            End::Finish if rules.track.is_none() || !has(&|m| matches!(m, Move::Advance)) => {
                c.at("Finish", "Finish needs a track and Advance moves.".into())
            }
            End::Showdown(z, _) => {
                need(rules, c, z, "Showdown", Some(false), true);
                if !has(&|m| matches!(m, Move::Stand)) {
                    c.at(
                        "Showdown",
                        "Showdown waits for every seat to be done: add a Stand move.".into(),
                    );
                }
            }
            _ => {}
        }
    }
    check_trick(rules, c);
    check_reveal(rules, c);
}

/// `Pick`, `reveal`, words in a zone and `Found`: the zones they name exist and fit.
fn check_reveal(rules: &RulesFile, c: &mut Checker) {
    let has = |f: &dyn Fn(&Move) -> bool| moves(rules).into_iter().any(f);
    for m in moves(rules) {
        if let Move::Pick { to, solve } = m {
            need(rules, c, to, "Pick", Some(false), false);
            if rules.cards.is_none() {
                c.at(
                    "Pick",
                    "Pick picks a card by name: add cards: (deck: Deck(suits: \"\", ranks: [\"rock\", \"paper\"])).".into(),
                );
            }
            if let Some(z) = solve {
                need(rules, c, z, "Pick", Some(false), false);
            }
        }
    }
    if rules.turns == Turns::Simultaneous
        && !moves(rules).iter().all(
            |m| matches!(m, Move::Pick { to, .. } if zone(rules, to).is_some_and(|z| z.per_seat)),
        )
    {
        c.at(
            "Simultaneous",
            "turns: Simultaneous only works with Pick moves into a zone per seat.".into(),
        );
    }
    let words: Vec<&ZoneSpec> = rules.zones.iter().filter(|z| z.words.is_some()).collect();
    if words.len() > 1 || words.iter().any(|z| z.per_seat) {
        c.at(
            "words",
            "zones: one shared zone at most holds a word.".into(),
        );
    }
    if !words.is_empty() && rules.cards.is_none() {
        c.at(
            "words",
            "words: the letters are cards; add cards: (deck: Deck(suits: \"\", ranks: [\"a\", \"b\"])).".into(),
        );
    }
    for r in &rules.reveal {
        need(
            rules,
            c,
            &r.zone,
            "reveal",
            Some(false),
            r.at == RevealAt::Chosen,
        );
        if let RevealAt::Matched(by) = &r.at {
            need(rules, c, by, "Matched", Some(false), false);
        }
        if !r.beats.is_empty() && r.at != RevealAt::Chosen {
            c.at(
                "beats",
                "reveal: beats compares the cards of a Chosen reveal.".into(),
            );
        }
        for (w, l) in &r.beats {
            for n in [w, l] {
                if !rank_exists(rules, n) {
                    c.at_after(
                        &["beats"],
                        &format!("\"{n}\""),
                        format!("reveal: '{n}' in beats is not a card of the deck."),
                    );
                }
            }
        }
    }
    let chosen = |beats: bool| {
        rules
            .reveal
            .iter()
            .any(|r| r.at == RevealAt::Chosen && (!beats || !r.beats.is_empty()))
    };
    if rules.turns == Turns::Simultaneous && !chosen(false) {
        c.at(
            "Simultaneous",
            "turns: Simultaneous needs a reveal at: Chosen to end each round.".into(),
        );
    }
    for e in &rules.end {
        match e {
            End::Rounds(n) => {
                if !chosen(true) {
                    c.at(
                        "Rounds",
                        "Rounds is unreachable without a reveal at: Chosen with beats.".into(),
                    );
                }
                if *n == 0 {
                    c.at("Rounds", "Rounds: the count must be more than 0.".into());
                }
            }
            End::Found { zone: z, .. } => {
                need(rules, c, z, "Found", Some(false), false);
                let matched = rules
                    .reveal
                    .iter()
                    .any(|r| r.zone == *z && matches!(r.at, RevealAt::Matched(_)));
                if !matched || !has(&|m| matches!(m, Move::Pick { .. })) {
                    c.at(
                        "Found",
                        format!("Found is unreachable without Pick moves and a reveal of '{z}' at: Matched(…)."),
                    );
                }
            }
            _ => {}
        }
    }
}

/// The trick: a shared card zone, a trump the deck has, a per-seat zone for won tricks; and
/// what needs a trick (`follow`, `Most(Tricks)`) has one.
fn check_trick(rules: &RulesFile, c: &mut Checker) {
    let follows = moves(rules)
        .iter()
        .any(|m| matches!(m, Move::PlayCard { follow: true, .. }));
    let counts_tricks = rules.end.iter().any(|e| {
        matches!(
            e,
            End::Emptied(_, Verdict::Most(Count::Tricks))
                | End::Filled(Verdict::Most(Count::Tricks))
                | End::Blocked(Verdict::Most(Count::Tricks))
                | End::Passes(_, Verdict::Most(Count::Tricks))
                | End::Full(Verdict::Most(Count::Tricks))
        )
    });
    let Some(t) = &rules.trick else {
        if follows {
            c.at(
                "follow",
                "PlayCard: follow needs a trick: add trick: (zone: \"trick\").".into(),
            );
        }
        if counts_tricks {
            c.at(
                "Tricks",
                "Most(Tricks) needs a trick: add trick: (zone: \"trick\").".into(),
            );
        }
        return;
    };
    need(rules, c, &t.zone, "trick", Some(false), false);
    if zone(rules, &t.zone).is_some_and(|z| z.per_seat) {
        c.at(
            &format!("\"{}\"", t.zone),
            format!(
                "trick: the zone '{}' must be shared (not per_seat).",
                t.zone
            ),
        );
    }
    if let Some(w) = &t.won {
        need(rules, c, w, "trick", Some(false), true);
    }
    if let Some(trump) = &t.trump {
        let suits: Vec<char> = match rules.cards.as_ref().map(|c| &c.deck) {
            Some(DeckKind::Standard52) => vec!['s', 'h', 'd', 'c'],
            Some(DeckKind::Deck { suits, .. }) => suits.to_lowercase().chars().collect(),
            None => Vec::new(),
        };
        let t = trump.to_lowercase();
        if t.chars().count() != 1 || !t.chars().all(|ch| suits.contains(&ch)) {
            let known: String = suits.iter().collect();
            c.at(
                &format!("\"{trump}\""),
                format!("trick: the trump '{trump}' is not a suit of the deck ({known})."),
            );
        }
    }
    let plays_to = moves(rules)
        .iter()
        .any(|m| matches!(m, Move::PlayCard { to, .. } if *to == t.zone));
    if !plays_to {
        c.at(
            "trick",
            format!(
                "trick: no PlayCard puts cards in '{}'; add PlayCard(from: \"hand\", to: \"{}\", follow: true).",
                t.zone, t.zone
            ),
        );
    }
}

fn rank_exists(rules: &RulesFile, name: &str) -> bool {
    match rules.cards.as_ref().map(|c| &c.deck) {
        Some(DeckKind::Standard52) => [
            "a", "2", "3", "4", "5", "6", "7", "8", "9", "10", "j", "q", "k",
        ]
        .contains(&name.to_lowercase().as_str()),
        Some(DeckKind::Deck { ranks, .. }) => ranks.iter().any(|r| r.eq_ignore_ascii_case(name)),
        None => false,
    }
}
