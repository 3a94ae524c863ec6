//! Checking a rules file: everything serde cannot see (names that must exist, ends that
//! cannot be reached, seats that would look alike, paths that leave the assets directory).

use std::collections::BTreeSet;
use std::path::{Component, Path};

use super::Rules;
use super::board::NONE;
pub use super::locate::{Checker, RulesError, parse};
use super::spec::*;

/// The semantic checks on the file as written.
pub fn check(rules: &RulesFile, c: &mut Checker) {
    check_players(rules, c);
    check_board(rules, c);
    check_pieces(rules, c);
    check_moves(rules, c);
    check_ends(rules, c);
    check_setup(&rules.setup, rules, c, &[]);
    super::check_zones::check(rules, c);
    if let Some(clock) = &rules.clock
        && clock.per_move_secs == 0
    {
        c.at(
            "per_move_secs",
            "clock: per_move_secs must be more than 0.".into(),
        );
    }
    if let Some(choices) = rules.clock.as_ref().and_then(|c| c.choices.as_ref()) {
        check_clock_choices(choices, c);
    }
    check_examples(rules, c);
}

/// What owners may choose must be sensible ranges.
fn check_clock_choices(choices: &ClockChoices, c: &mut Checker) {
    let ranges = [
        ("per_move_secs", choices.per_move_secs),
        ("main_secs", choices.main_secs),
        ("period_secs", choices.period_secs),
    ];
    for (name, range) in ranges {
        if let Some((least, most)) = range
            && (least == 0 || least > most)
        {
            c.at(
                name,
                format!("clock choices: {name} must be (least, most) with 0 < least <= most."),
            );
        }
    }
    if choices.max_periods > 0 && choices.period_secs.is_none() {
        c.at(
            "max_periods",
            "clock choices: byo-yomi periods need period_secs.".into(),
        );
    }
}

fn check_players(rules: &RulesFile, c: &mut Checker) {
    let p = &rules.players;
    if p.min == 0 || p.min > p.max {
        c.at(
            "min",
            format!(
                "players: min ({}) must be at least 1 and at most max ({}).",
                p.min, p.max
            ),
        );
    }
    if p.seats.len() != p.max {
        c.at(
            "seats",
            format!(
                "players: there must be one seat name per player: {} names for max {}.",
                p.seats.len(),
                p.max
            ),
        );
    }
    let unique: BTreeSet<String> = p.seats.iter().map(|s| s.to_lowercase()).collect();
    if unique.len() != p.seats.len() || p.seats.iter().any(|s| s.trim().is_empty()) {
        c.at(
            "seats",
            "players: seat names must be distinct and not empty.".into(),
        );
    }
    if p.forward.len() > p.seats.len() {
        c.at(
            "forward",
            "players: forward has more directions than there are seats.".into(),
        );
    }
    if rules.id.is_empty()
        || !rules
            .id
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
    {
        c.at(
            "id",
            format!(
                "id '{}' must be lowercase letters, digits and dashes (players type it).",
                rules.id
            ),
        );
    }
    if rules.end.is_empty() {
        c.at(
            "end",
            "end: a game needs at least one end condition.".into(),
        );
    }
    if rules.moves.is_empty() && rules.pieces.iter().all(|p| p.moves.is_empty()) {
        c.at(
            "moves",
            "moves: a game needs at least one kind of move (in moves or in a piece's moves)."
                .into(),
        );
    }
}

fn grid(rules: &RulesFile) -> Option<(u8, u8)> {
    match &rules.board {
        Some(BoardSpec::Square(w, h) | BoardSpec::Hex(w, h)) => Some((*w, *h)),
        Some(BoardSpec::Grid { width, height, .. }) => Some((*width, *height)),
        _ => None,
    }
}

fn check_board(rules: &RulesFile, c: &mut Checker) {
    match &rules.board {
        Some(BoardSpec::Piles(p)) if p.is_empty() || p.len() > 26 => {
            c.at("Piles", "board: Piles needs 1 to 26 piles.".into())
        }
        Some(BoardSpec::Pits { pits, .. }) if *pits == 0 || *pits > 26 => {
            c.at("Pits", "board: Pits needs 1 to 26 pits per row.".into())
        }
        Some(BoardSpec::Grid { mask, height, .. })
            if !mask.is_empty() && mask.len() != *height as usize =>
        {
            c.at(
                "mask",
                format!(
                    "board: the mask has {} rows for a height of {height}.",
                    mask.len()
                ),
            )
        }
        _ => {}
    }
    if let Some((w, h)) = grid(rules)
        && (!(1..=26).contains(&w) || !(1..=99).contains(&h))
    {
        c.at(
            "board",
            format!(
                "board: {w}x{h} is not a board palaver can show: width 1 to 26, height 1 to 99."
            ),
        );
    }
    let mut names = BTreeSet::new();
    for (name, region) in &rules.regions {
        if !names.insert(name.as_str()) {
            c.at(
                &format!("\"{name}\""),
                format!("regions: '{name}' is named twice."),
            );
        }
        if mentions_named(region) {
            c.at(
                &format!("\"{name}\""),
                format!("regions: '{name}' may not use another named region."),
            );
        }
    }
}

fn mentions_named(r: &Region) -> bool {
    match r {
        Region::Named(_) => true,
        Region::Both(a, b) | Region::Either(a, b) => mentions_named(a) || mentions_named(b),
        Region::Not(a) => mentions_named(a),
        _ => false,
    }
}

fn check_region(r: &Region, rules: &RulesFile, c: &mut Checker) {
    match r {
        Region::Named(n) if !rules.regions.iter().any(|(name, _)| name == n) => c.at(
            &format!("Named(\"{n}\")"),
            format!("There is no region named '{n}' (add it to regions)."),
        ),
        Region::Sites(sites) => {
            for s in sites {
                if !site_exists(rules, s) {
                    c.at(
                        &format!("\"{s}\""),
                        format!("'{s}' is not a site of this board."),
                    );
                }
            }
        }
        Region::Both(a, b) | Region::Either(a, b) => {
            check_region(a, rules, c);
            check_region(b, rules, c);
        }
        Region::Not(a) => check_region(a, rules, c),
        _ => {}
    }
}

fn site_exists(rules: &RulesFile, name: &str) -> bool {
    let board = super::board::Board::build(rules.board.as_ref());
    board.site(name).is_some()
}

fn check_pieces(rules: &RulesFile, c: &mut Checker) {
    let seats = rules.players.seats.len();
    let mut names = BTreeSet::new();
    let mut seen_marks: Vec<BTreeSet<char>> = vec![BTreeSet::new(); seats.max(1)];
    for p in &rules.pieces {
        let here = format!("\"{}\"", p.name);
        if !names.insert(p.name.to_lowercase()) {
            c.at(&here, format!("pieces: '{}' is named twice.", p.name));
        }
        if let Some(m) = &p.marks {
            let n = m.chars().count();
            let want = if p.neutral { 1 } else { seats };
            if n != want {
                c.at_after(
                    &[&here],
                    "marks",
                    format!(
                        "pieces: '{}' needs {want} mark(s), one per {}; it has {n}.",
                        p.name,
                        if p.neutral { "neutral piece" } else { "seat" }
                    ),
                );
            }
            let marks: Vec<char> = m.chars().collect();
            for (s, ch) in marks.iter().enumerate() {
                if ch.is_whitespace() || *ch == '.' {
                    c.at_after(
                        &[&here],
                        "marks",
                        format!("pieces: '{}' may not be marked with a space or a dot (empty sites are dots).", p.name),
                    );
                }
                let slot = if p.neutral { 0 } else { s };
                let clash = seen_marks.iter().any(|set| set.contains(ch));
                if clash || marks[..s].contains(ch) {
                    c.at_after(
                        &[&here],
                        "marks",
                        format!(
                            "pieces: '{}' renders as '{ch}' like another piece or seat: give each its own mark.",
                            p.name
                        ),
                    );
                }
                if let Some(set) = seen_marks.get_mut(slot) {
                    set.insert(*ch);
                }
            }
        }
        if let Some(pr) = &p.promote {
            for to in &pr.to {
                if !rules.pieces.iter().any(|q| q.name.eq_ignore_ascii_case(to)) {
                    c.at_after(
                        &[&here, "promote"],
                        &format!("\"{to}\""),
                        format!("promote: there is no piece '{to}'."),
                    );
                }
            }
            check_region(&pr.at, rules, c);
        }
        for m in &p.moves {
            check_move(m, rules, c, true);
        }
    }
    // Seats must look different on the board: their first characters, when no marks are given.
    if rules.pieces.is_empty() || rules.pieces.iter().any(|p| p.marks.is_none()) {
        let initials: Vec<char> = rules
            .players
            .seats
            .iter()
            .map(|s| s.chars().next().unwrap_or('?'))
            .collect();
        let unique: BTreeSet<char> = initials.iter().map(|c| c.to_ascii_lowercase()).collect();
        if unique.len() != initials.len() && grid(rules).is_some() {
            c.at(
                "seats",
                "players: seats are marked on the board by their first letters, and two of them start alike: rename a seat or give the pieces marks.".into(),
            );
        }
    }
}

fn piece_named(rules: &RulesFile, name: &str) -> bool {
    if rules.pieces.is_empty() {
        return name.eq_ignore_ascii_case("stone");
    }
    rules
        .pieces
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case(name))
}

fn needs_grid(m: &Move) -> Option<&'static str> {
    match m {
        Move::Add { .. } => None,
        Move::Drop { .. } => Some("Drop"),
        Move::Step { .. } => Some("Step"),
        Move::Slide { .. } => Some("Slide"),
        Move::Leap { .. } => Some("Leap"),
        Move::Count { .. } => Some("Count"),
        Move::Hop { .. } => Some("Hop"),
        Move::Castle { .. } => Some("Castle"),
        _ => None,
    }
}

fn check_move(m: &Move, rules: &RulesFile, c: &mut Checker, of_piece: bool) {
    if let Some(what) = needs_grid(m)
        && grid(rules).is_none()
    {
        c.at(
            what,
            format!("{what} needs a board of sites: add board: Square(8, 8) (or Hex, Grid)."),
        );
    }
    match m {
        Move::Add {
            piece,
            to,
            rotate,
            shape,
            ..
        } => {
            if *rotate && shape.is_empty() {
                c.at(
                    "rotate",
                    "Add: rotate turns a shape; give the piece a shape: [(1, 0), (2, 0)].".into(),
                );
            }
            if rules.board.is_none() {
                c.at("Add", "Add needs a board: add board: Square(3, 3).".into());
            }
            if matches!(
                rules.board,
                Some(BoardSpec::Piles(_) | BoardSpec::Pits { .. })
            ) {
                c.at(
                    "Add",
                    "Add puts pieces on a board of sites, not piles or pits.".into(),
                );
            }
            for p in piece {
                if !piece_named(rules, p) {
                    c.at(
                        &format!("\"{p}\""),
                        format!("Add: there is no piece '{p}'."),
                    );
                }
            }
            if let Some(r) = to {
                check_region(r, rules, c);
            }
        }
        Move::Only(seat, inner) => {
            if !rules.players.seats.contains(seat) {
                c.at(
                    &format!("Only(\"{seat}\""),
                    format!("Only: there is no seat '{seat}'."),
                );
            }
            check_move(inner, rules, c, of_piece);
        }
        Move::Drop { piece: Some(p) } if !piece_named(rules, p) => {
            c.at(
                &format!("\"{p}\""),
                format!("Drop: there is no piece '{p}'."),
            );
        }
        Move::Step {
            from,
            then,
            distance,
            ..
        } => {
            if !of_piece {
                c.at(
                    "Step",
                    "Step moves a piece: put it in a piece's moves.".into(),
                );
            }
            if *distance == Some(0) {
                c.at("distance", "Step: distance must be at least 1.".into());
            }
            if let Some(r) = from {
                check_region(r, rules, c);
            }
            if let Some(t) = then {
                check_move(t, rules, c, true);
            }
        }
        Move::Slide { put, then, .. } => {
            if !of_piece {
                c.at(
                    "Slide",
                    "Slide moves a piece: put it in a piece's moves.".into(),
                );
            }
            if let Some(p) = put
                && !piece_named(rules, p)
            {
                c.at(
                    &format!("\"{p}\""),
                    format!("Slide: there is no piece '{p}' to put."),
                );
            }
            if let Some(t) = then {
                check_move(t, rules, c, true);
            }
        }
        Move::Leap { offsets, .. } => {
            if !of_piece {
                c.at(
                    "Leap",
                    "Leap moves a piece: put it in a piece's moves.".into(),
                );
            }
            if offsets.is_empty() || offsets.contains(&(0, 0)) {
                c.at(
                    "offsets",
                    "Leap: give offsets other than (0, 0), e.g. [(1, 2)].".into(),
                );
            }
        }
        Move::Count { .. } if !of_piece => {
            c.at(
                "Count",
                "Count moves a piece: put it in a piece's moves.".into(),
            );
        }
        Move::Hop { .. } if !of_piece => {
            c.at(
                "Hop",
                "Hop moves a piece: put it in a piece's moves.".into(),
            );
        }
        Move::Castle { with, .. } => {
            if !of_piece {
                c.at(
                    "Castle",
                    "Castle moves a piece: put it in a piece's moves.".into(),
                );
            }
            if !piece_named(rules, with) {
                c.at(
                    &format!("\"{with}\""),
                    format!("Castle: there is no piece '{with}'."),
                );
            }
        }
        Move::Sow { .. } if !matches!(rules.board, Some(BoardSpec::Pits { .. })) => {
            c.at(
                "Sow",
                "Sow needs pits: add board: Pits(pits: 6, seeds: 4).".into(),
            );
        }
        Move::Take { min, max } => {
            if !matches!(rules.board, Some(BoardSpec::Piles(_))) {
                c.at(
                    "Take",
                    "Take needs piles: add board: Piles([3, 4, 5]).".into(),
                );
            }
            if *min == 0 || max.is_some_and(|m| m < *min) {
                c.at(
                    "Take",
                    "Take: min must be at least 1 and max at least min.".into(),
                );
            }
        }
        Move::Crack => match &rules.code {
            None => c.at(
                "Crack",
                "Crack needs a code: add code: (length: 4, symbols: \"RGBYOP\", max_guesses: 10)."
                    .into(),
            ),
            Some(code) => {
                let n = code.symbols.chars().count();
                let distinct: BTreeSet<char> = code.symbols.to_lowercase().chars().collect();
                if n < 2 || distinct.len() != n || code.length == 0 {
                    c.at(
                        "symbols",
                        "code: give at least two different symbols and a length of at least 1."
                            .into(),
                    );
                } else if (n as u32).saturating_pow(u32::from(code.length))
                    > super::chance::MAX_CODES
                {
                    c.at(
                        "length",
                        format!(
                            "code: {n} symbols in {} places make more than {} codes.",
                            code.length,
                            super::chance::MAX_CODES
                        ),
                    );
                }
                if let Some(maker) = &code.maker {
                    if !rules.players.seats.contains(maker) {
                        c.at(
                            &format!("\"{maker}\""),
                            format!("code: the maker '{maker}' is not a seat."),
                        );
                    } else if !all_moves(rules).iter().any(|m| matches!(m, Move::SetCode)) {
                        c.at(
                            "maker",
                            "code: a maker sets the code with a SetCode move; add one.".into(),
                        );
                    }
                }
                if code.max_guesses == 0 {
                    c.at(
                        "max_guesses",
                        "code: max_guesses must be more than 0.".into(),
                    );
                }
            }
        },
        Move::SetCode => match rules.code.as_ref().and_then(|c| c.maker.as_ref()) {
            None => c.at(
                "SetCode",
                "SetCode needs a code with a maker: add maker: Some(\"A\") to code.".into(),
            ),
            Some(_) if !all_moves(rules).iter().any(|m| matches!(m, Move::Crack)) => c.at(
                "SetCode",
                "SetCode needs Crack moves to guess the code.".into(),
            ),
            Some(_) => {}
        },
        Move::Shoot { to, miss } => {
            if grid(rules).is_none() {
                c.at(
                    "Shoot",
                    "Shoot fires at sites: add board: Square(10, 10).".into(),
                );
            }
            if !piece_named(rules, miss) {
                c.at(
                    &format!("\"{miss}\""),
                    format!("Shoot: there is no piece '{miss}' to mark a miss."),
                );
            }
            if let Some(r) = to {
                check_region(r, rules, c);
            }
        }
        Move::Roll { bust } => match &rules.dice {
            None => c.at("Roll", "Roll needs dice: add dice: (sides: 6).".into()),
            Some(d) => {
                if d.sides < 2 {
                    c.at("sides", "dice: a die needs at least 2 sides.".into());
                }
                if let Some(b) = bust.iter().find(|b| **b == 0 || **b > d.sides) {
                    c.at(
                        "bust",
                        format!("Roll: a {}-sided die never shows {b}.", d.sides),
                    );
                }
            }
        },
        _ => {}
    }
}

fn check_moves(rules: &RulesFile, c: &mut Checker) {
    for m in &rules.moves {
        check_move(m, rules, c, false);
    }
    if rules.captures.contains(&Capture::Claim) != matches!(rules.board, Some(BoardSpec::Dots(..)))
    {
        c.at(
            "captures",
            "Claim and a Dots board go together: boxes are claimed on dots.".into(),
        );
    }
    if rules.captures.iter().any(|k| *k != Capture::Claim) && grid(rules).is_none() {
        c.at("captures", "captures need a board of sites.".into());
    }
    for (seat, _) in &rules.bonus {
        if !rules.players.seats.contains(seat) {
            c.at_after(
                &["bonus"],
                &format!("\"{seat}\""),
                format!("bonus: there is no seat '{seat}'."),
            );
        }
    }
}

/// Every move of the file, those inside `Only` included.
fn all_moves(rules: &RulesFile) -> Vec<&Move> {
    let mut out: Vec<&Move> = rules.moves.iter().collect();
    for p in &rules.pieces {
        out.extend(p.moves.iter());
    }
    let mut i = 0;
    while i < out.len() {
        if let Move::Only(_, inner) = out[i] {
            out.push(inner);
        }
        i += 1;
    }
    out
}

fn check_verdict(v: &Verdict, rules: &RulesFile, c: &mut Checker) {
    if let Verdict::WinFor(s) = v
        && !rules.players.seats.contains(s)
    {
        c.at(
            &format!("WinFor(\"{s}\")"),
            format!("There is no seat '{s}'."),
        );
    }
}

fn check_ends(rules: &RulesFile, c: &mut Checker) {
    let moves = all_moves(rules);
    let has = |f: &dyn Fn(&Move) -> bool| moves.iter().any(|m| f(m));
    for e in &rules.end {
        match e {
            End::Line {
                length, verdict, ..
            } => {
                check_verdict(verdict, rules, c);
                match grid(rules) {
                    None => c.at(
                        "Line",
                        "Line needs a board of sites: add board: Square(3, 3).".into(),
                    ),
                    Some((w, h)) => {
                        if *length == 0 || *length > w.max(h) {
                            c.at_after(
                                &["Line"],
                                "length",
                                format!(
                                    "Line: a line of {length} can never fit on a {w}x{h} board, so this end is unreachable."
                                ),
                            );
                        }
                    }
                }
            }
            End::Full(v) | End::Blocked(v) => {
                check_verdict(v, rules, c);
                if matches!(e, End::Full(_))
                    && grid(rules).is_none()
                    && !matches!(rules.board, Some(BoardSpec::Dots(..)))
                {
                    c.at("Full", "Full needs a board of sites.".into());
                }
            }
            End::PilesEmpty(v) => {
                check_verdict(v, rules, c);
                if !has(&|m| matches!(m, Move::Take { .. })) {
                    c.at(
                        "PilesEmpty",
                        "PilesEmpty is unreachable without Take moves.".into(),
                    );
                }
            }
            End::Score(target) => {
                if !has(&|m| matches!(m, Move::Hold | Move::Sow { .. })) {
                    c.at(
                        "Score",
                        "Score is unreachable: no move (Hold, Sow) adds to a score.".into(),
                    );
                }
                if *target <= 0 {
                    c.at("Score", "Score: the target must be more than 0.".into());
                }
            }
            End::Cracked => {
                if !has(&|m| matches!(m, Move::Crack)) {
                    c.at(
                        "Cracked",
                        "Cracked is unreachable without Crack moves.".into(),
                    );
                }
            }
            End::AllHit(v) => {
                if !has(&|m| matches!(m, Move::Shoot { .. })) {
                    c.at(
                        "AllHit",
                        "AllHit is unreachable without Shoot moves.".into(),
                    );
                }
                if !rules.pieces.iter().any(|p| p.hidden != Visibility::Public) {
                    c.at(
                        "AllHit",
                        "AllHit counts hidden pieces: give a piece hidden: Owner.".into(),
                    );
                }
                check_verdict(v, rules, c);
            }
            End::Quiet(n) => {
                if *n == 0 {
                    c.at("Quiet", "Quiet: the count must be more than 0.".into());
                }
            }
            End::Repetition(n) => {
                if *n < 2 {
                    c.at(
                        "Repetition",
                        "Repetition: the count must be at least 2.".into(),
                    );
                }
            }
            End::Connect | End::Connected => {
                if rules.players.max != 2 && matches!(e, End::Connect) {
                    c.at("Connect", "Connect is for two players (one joins top and bottom, one left and right).".into());
                }
                if grid(rules).is_none() {
                    c.at("Connect", "Connect needs a board of sites.".into());
                }
            }
            End::Checkmate => {
                if !rules.pieces.iter().any(|p| p.royal) {
                    c.at(
                        "Checkmate",
                        "Checkmate needs a royal piece: add royal: true to one.".into(),
                    );
                }
            }
            End::Captured(_) => {
                let captures = !rules.captures.is_empty()
                    || has(&|m| {
                        matches!(
                            m,
                            Move::Hop { capture: true, .. }
                                | Move::Step {
                                    to: Target::Enemy | Target::NotOwn,
                                    ..
                                }
                                | Move::Slide {
                                    to: Target::Enemy | Target::NotOwn,
                                    ..
                                }
                                | Move::Leap {
                                    to: Target::Enemy | Target::NotOwn,
                                    ..
                                }
                        )
                    });
                if !captures {
                    c.at(
                        "Captured",
                        "Captured is unreachable: nothing in this game captures.".into(),
                    );
                }
            }
            End::Passes(n, v) => {
                check_verdict(v, rules, c);
                if !has(&|m| matches!(m, Move::Pass)) {
                    c.at(
                        "Passes",
                        "Passes is unreachable without a Pass move.".into(),
                    );
                }
                if *n == 0 {
                    c.at("Passes", "Passes: the count must be more than 0.".into());
                }
            }
            End::SideEmpty => {
                if !matches!(rules.board, Some(BoardSpec::Pits { .. })) {
                    c.at(
                        "SideEmpty",
                        "SideEmpty needs pits: add board: Pits(pits: 6, seeds: 4).".into(),
                    );
                }
            }
            End::Reach(r) => check_region(r, rules, c),
            End::Fewer { seat: Some(s), .. } if !rules.players.seats.contains(s) => {
                c.at_after(
                    &["Fewer"],
                    &format!("\"{s}\""),
                    format!("Fewer: there is no seat '{s}'."),
                );
            }
            End::NoMove(_) | End::Fewer { .. } => {}
            // Checked with the zones.
            End::Emptied(..)
            | End::Filled(_)
            | End::Finish
            | End::Showdown(..)
            | End::Rounds(_)
            | End::Found { .. } => {}
        }
    }
}

/// Setup entries: seats, kinds and sites must exist. `anchors` place the mistakes (an example).
fn check_setup(setup: &[Setup], rules: &RulesFile, c: &mut Checker, anchors: &[&str]) {
    let dots = matches!(rules.board, Some(BoardSpec::Dots(..)));
    if !setup.is_empty() && grid(rules).is_none() && !dots {
        c.at_after(
            anchors,
            "setup",
            "setup places pieces on a board of sites.".into(),
        );
        return;
    }
    for s in setup {
        match s {
            Setup::Put(who, sites) => {
                if let Err(e) = super::setup::owner_kind(rules, who) {
                    c.at_after(anchors, &format!("\"{who}\""), e);
                }
                for site in sites.split_whitespace() {
                    if !site_exists(rules, site) {
                        c.at_after(
                            anchors,
                            &format!("\"{sites}\""),
                            format!("setup: '{site}' is not a site of this board."),
                        );
                    }
                }
            }
            Setup::Fill(who, region) => {
                if let Err(e) = super::setup::owner_kind(rules, who) {
                    c.at_after(anchors, &format!("\"{who}\""), e);
                }
                check_region(region, rules, c);
            }
            Setup::Fen(fen) => {
                if let Err(e) = super::setup::read_fen(rules, fen) {
                    c.at_after(anchors, "Fen", format!("setup: {e}"));
                }
            }
        }
    }
}

fn check_examples(rules: &RulesFile, c: &mut Checker) {
    let p = &rules.players;
    let mut names = BTreeSet::new();
    for ex in &rules.examples {
        let here = format!("\"{}\"", ex.name);
        if !names.insert(ex.name.as_str()) {
            c.at(
                &here,
                format!("example '{}': two examples have this name.", ex.name),
            );
        }
        let players = ex.players.unwrap_or(p.min);
        if players < p.min || players > p.max {
            c.at_after(
                &[&here],
                "players",
                format!(
                    "example '{}': {players} players is outside {}..={}.",
                    ex.name, p.min, p.max
                ),
            );
        }
        match &ex.expect {
            Expect::Win(seats) => {
                for s in seats {
                    match p.seats.iter().position(|x| x == s) {
                        None => c.at_after(
                            &[&here, "Win"],
                            &format!("\"{s}\""),
                            format!("example '{}': there is no seat '{s}'.", ex.name),
                        ),
                        Some(i) if i >= players => c.at_after(
                            &[&here, "Win"],
                            &format!("\"{s}\""),
                            format!(
                                "example '{}': seat '{s}' does not play in a game of {players}.",
                                ex.name
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
            Expect::Illegal { at, .. } if *at == 0 || *at > ex.moves.len() => {
                c.at_after(
                    &[&here, "Illegal"],
                    "at",
                    format!(
                        "example '{}': at counts the moves from 1 to {}; {at} is none of them.",
                        ex.name,
                        ex.moves.len()
                    ),
                );
            }
            Expect::Perft(counts) if counts.is_empty() || counts.len() > 6 => {
                c.at_after(
                    &[&here],
                    "Perft",
                    format!("example '{}': give 1 to 6 counts.", ex.name),
                );
            }
            _ => {}
        }
        if let Some(s) = &ex.to_move
            && !p.seats.contains(s)
        {
            c.at_after(
                &[&here, "to_move"],
                &format!("\"{s}\""),
                format!("example '{}': there is no seat '{s}'.", ex.name),
            );
        }
        check_setup(&ex.setup, rules, c, &[&here]);
    }
}

/// Reads a word list from `assets`, refusing paths that leave it.
pub fn word_list(list: &str, assets: &Path, c: &mut Checker) -> Vec<String> {
    let rel = Path::new(list);
    if rel.is_absolute() || rel.components().any(|k| !matches!(k, Component::Normal(_))) {
        c.at(
            &format!("\"{list}\""),
            format!(
                "word: '{list}' must be a path inside the assets directory (no '..', not absolute)."
            ),
        );
        return Vec::new();
    }
    let path = assets.join(rel);
    match std::fs::read_to_string(&path) {
        Ok(t) => {
            let words: Vec<String> = t
                .lines()
                .map(|l| l.trim().to_lowercase())
                .filter(|w| {
                    !w.is_empty() && w.len() <= 40 && w.chars().all(|c| c.is_ascii_lowercase())
                })
                .collect();
            if words.is_empty() {
                c.at(
                    "list",
                    format!("word: {} has no words of letters a to z.", path.display()),
                );
            }
            words
        }
        Err(e) => {
            c.at(
                "list",
                format!("word: cannot read the word list {}: {e}.", path.display()),
            );
            Vec::new()
        }
    }
}

/// Checks that need the compiled tables.
pub fn check_compiled(rules: &Rules, c: &mut Checker) {
    for (i, m) in rules.moves.iter().enumerate() {
        let dirless = matches!(
            m.spec,
            Move::Step { .. } | Move::Slide { .. } | Move::Hop { .. }
        ) && m.dirs.iter().all(|d| {
            d.iter().all(|slot| {
                (0..rules.board.len()).all(|s| rules.board.step(s as u16, *slot) == NONE)
            })
        });
        if dirless && !rules.board.is_empty() {
            let what = match m.spec {
                Move::Step { .. } => "Step",
                Move::Slide { .. } => "Slide",
                _ => "Hop",
            };
            let _ = i;
            c.at(
                what,
                format!("{what}: none of its directions links two sites of this board (on hexagons there are no diagonals)."),
            );
        }
    }
    for (k, kind) in rules.kinds.iter().enumerate() {
        if let Some((to, _)) = &kind.promote
            && to.contains(&(k as u8))
        {
            c.at(
                "promote",
                format!("promote: '{}' cannot become itself.", kind.name),
            );
        }
    }
}
