//! One spelling per move, used by the board's coordinates, the announcements, the help and
//! the parser: sites as the board labels them (`b3`), columns by their letter (`d`), piece
//! moves `from-to` (`x` for a capture, `=Q` for a promotion, `c3xe5xc7` for a chain), parts of
//! one turn joined by `/`, piles `take 2 from 1`, and words (`pass`, `roll`, an option).

use super::board::{NONE, Shape, parse_cell};
use super::play::{Action, Match, MoveError, NOBODY};
use super::spec::Move;
use super::{movement, turn};

/// The canonical text of an action.
pub fn write(m: &Match, a: &Action) -> String {
    let rules = &m.rules;
    let b = &rules.board;
    let rule = &rules.moves[a.rule as usize];
    let name = |s| b.name(s).to_owned();
    match &rule.spec {
        Move::Give => format!("give {}", kind_word(m, a.kind)),
        Move::Add {
            rotate: true,
            shape,
            ..
        } if !shape.is_empty() => {
            let last = super::movement::turned_sites(m, a.to, shape, a.n == 1)
                .and_then(|v| v.last().copied())
                .map_or(String::new(), |s| format!("-{}", name(s)));
            format!("{} {}{last}", kind_word(m, a.kind), name(a.to))
        }
        Move::Add { given, .. } => {
            if rule.kinds.len() > 1 && !given {
                format!("{} {}", kind_word(m, a.kind), name(a.to))
            } else {
                name(a.to)
            }
        }
        Move::Drop { .. } => {
            let (x, _) = b.coords[a.to as usize];
            ((b'a' + x) as char).to_string()
        }
        Move::Slide { put: Some(_), .. } => name(a.to),
        Move::Step { .. }
        | Move::Slide { .. }
        | Move::Leap { .. }
        | Move::Count { .. }
        | Move::Castle { .. } => {
            let sep = if a.captures { "x" } else { "-" };
            format!("{}{sep}{}{}", name(a.from), name(a.to), promotion(m, a))
        }
        Move::Hop { .. } => {
            let sep = if a.captures { "x" } else { "-" };
            let mut parts = vec![name(a.from), name(a.to)];
            parts.extend(a.path().iter().map(|s| name(*s)));
            format!("{}{}", parts.join(sep), promotion(m, a))
        }
        Move::Sow { .. } => name(a.from),
        Move::Take { .. } => format!("take {} from {}", a.n, name(a.from)),
        Move::Pass => "pass".into(),
        Move::Pick { .. } => a
            .word()
            .map_or_else(|| super::zones::card_name(rules, a.n), str::to_owned),
        Move::Crack | Move::SetCode => {
            super::chance::code_text(rules, &super::chance::code_of(rules, a.n))
        }
        Move::Shoot { .. } => name(a.to),
        Move::Roll { .. } => "roll".into(),
        Move::Hold => "hold".into(),
        Move::PlayCard { .. } => {
            let card = super::zones::card_name(rules, a.n);
            match rules.layout.suits.get(a.kind as usize) {
                Some(s) if a.kind != NOBODY => format!("{card} {s}"),
                _ => card,
            }
        }
        Move::Draw { word, .. } => word.clone().unwrap_or_else(|| "draw".into()),
        Move::Stand => "stand".into(),
        Move::Throw { .. } | Move::Fill | Move::Bid { .. } | Move::Challenge | Move::Advance => {
            super::pool::write(m, a)
        }
        // Compiled away: the rule holds the inner move.
        Move::Only(..) => String::new(),
    }
}

/// How a kind is named in a move: its mark if it has one for everybody, else its name.
fn kind_word(m: &Match, kind: u8) -> String {
    m.rules.kinds.get(kind as usize).map_or("?".into(), |k| {
        if k.neutral {
            k.marks.first().map_or(k.name.clone(), char::to_string)
        } else {
            k.name.clone()
        }
    })
}

fn promotion(m: &Match, a: &Action) -> String {
    if a.kind == NOBODY {
        return String::new();
    }
    let mark = m.rules.kinds[a.kind as usize]
        .marks
        .first()
        .copied()
        .unwrap_or('?')
        .to_ascii_uppercase();
    format!("={mark}")
}

/// Lowercase, single spaces, `x` or nothing between sites read as `-`, `take` optional.
fn norm(text: &str) -> String {
    let t = text.trim().to_lowercase();
    let t = t.split_whitespace().collect::<Vec<_>>().join(" ");
    let t = t.strip_prefix("take ").unwrap_or(&t).to_owned();
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let after_digit = prev.is_some_and(|p| p.is_ascii_digit());
        let before_letter = next.is_some_and(|n| n.is_ascii_lowercase());
        if c == 'x' && after_digit && before_letter {
            out.push('-');
        } else if c.is_ascii_lowercase() && after_digit && c != 'x' {
            out.push('-');
            out.push(c);
        } else if c == ' ' && (prev == Some('-') || next == Some('-')) {
        } else {
            out.push(c);
        }
    }
    out
}

/// Reads a typed move of `seat`: the legal action it names, or why it is refused.
pub fn read(m: &Match, seat: usize, text: &str) -> Result<Action, MoveError> {
    let t = norm(text);
    let legal = m.legal(seat);
    if let Some(a) = legal.iter().find(|a| norm(&write(m, a)) == t) {
        return Ok(a.clone());
    }
    // A site under another of its names (a line named from its other end).
    if let Some(site) = m.rules.board.site(&t)
        && let Some(a) = legal.iter().find(|a| {
            let rule = &m.rules.moves[a.rule as usize];
            matches!(rule.spec, Move::Add { .. }) && rule.kinds.len() == 1 && a.to == site
        })
    {
        return Ok(a.clone());
    }
    // Short forms: an option's unique prefix, a whole word guessed, `r`, `h`.
    for a in &legal {
        let rule = &m.rules.moves[a.rule as usize];
        match &rule.spec {
            Move::Roll { .. } if t == "r" => return Ok(a.clone()),
            Move::Hold if t == "h" => return Ok(a.clone()),
            _ => {}
        }
    }
    for &r in &m.rules.seat_moves {
        if let Move::Pick { solve, .. } = &m.rules.moves[r].spec {
            let hits: Vec<&Action> = legal
                .iter()
                .filter(|a| {
                    a.rule as usize == r
                        && !t.is_empty()
                        && super::zones::card_name(&m.rules, a.n)
                            .to_lowercase()
                            .starts_with(&t)
                })
                .collect();
            if let [one] = hits.as_slice() {
                return Ok((*one).clone());
            }
            let can_pick = legal.iter().any(|a| a.rule as usize == r);
            if solve.is_some()
                && can_pick
                && t.chars().count() > 1
                && t.chars().all(|c| c.is_ascii_lowercase())
            {
                return Ok(Action::new(r, NONE, NONE).with_word(t.clone()));
            }
        }
    }
    Err(MoveError(why_not(m, seat, &t, &legal)))
}

/// The reason a typed move is not legal, as precise as its shape allows.
fn why_not(m: &Match, seat: usize, t: &str, legal: &[Action]) -> String {
    let b = &m.rules.board;
    // Generated, then refused by the turn rules.
    let mut raw = Vec::new();
    movement::generate(m, seat, &mut raw);
    if let Some(a) = raw.iter().find(|a| norm(&write(m, a)) == t) {
        if m.rules.file.must_capture && !a.captures && legal.iter().any(|l| l.captures) {
            return must_capture(m, legal);
        }
        if let Some(why) = turn::refusal(m, seat, a) {
            return format!("{t} is not allowed: {why}.");
        }
    }
    if m.state.part.is_some() {
        return format!(
            "{t} is not a legal second part; finish your move with one of {}.",
            sample(m, legal)
        );
    }
    if let Some(why) =
        super::zones::why_not(m, seat, t).or_else(|| super::pool::why_not(m, seat, t))
    {
        return why;
    }
    let rules = &m.rules;
    let has = |f: &dyn Fn(&Move) -> bool| rules.seat_moves.iter().any(|r| f(&rules.moves[*r].spec));
    if has(&|mv| matches!(mv, Move::Shoot { .. }))
        && let Some(s) = b.site(t)
    {
        let placing = legal
            .iter()
            .any(|a| matches!(rules.moves[a.rule as usize].spec, Move::Add { .. }));
        return if placing {
            format!("Place your pieces first. {}", hint(m))
        } else if super::hidden::sees(m, Some(seat), m.cell(s)) && !m.cell(s).is_empty() {
            format!("{t} was fired at already (or holds your own piece).")
        } else {
            format!("You may not fire at {t}: fire at the other side's sites.")
        };
    }
    // A site.
    if let Some(s) = b.site(t)
        && (b.is_grid() || b.shape == Shape::Dots || has(&|mv| matches!(mv, Move::Sow { .. })))
    {
        if has(&|mv| matches!(mv, Move::Sow { .. })) {
            let c = m.cell(s);
            return if c.count == 0 {
                format!("Pit {t} is empty.")
            } else {
                format!("Pit {t} is not yours: sow from your own row.")
            };
        }
        if has(&|mv| matches!(mv, Move::Add { .. })) {
            if !m.cell(s).is_empty() {
                return format!("{t} is taken.");
            }
            if has(&|mv| matches!(mv, Move::Add { flank: true, .. })) {
                return format!("{t} encloses none of your opponents' pieces.");
            }
            return format!("You may not place on {t} now. {}", hint(m));
        }
    }
    // A column.
    if has(&|mv| matches!(mv, Move::Drop { .. }))
        && t.len() == 1
        && let Some(c) = t.chars().next()
        && c.is_ascii_lowercase()
        && (c as u8 - b'a') < b.width
    {
        return format!("Column {c} is full.");
    }
    // A piece's move.
    let sites: Vec<&str> = t.split(['-', '=']).collect();
    if sites.len() >= 2 && b.is_grid() && sites[..2].iter().all(|s| parse_cell(s).is_some()) {
        let from = b.site(sites[0]);
        let mine = from.is_some_and(|f| {
            let c = m.cell(f);
            !c.is_empty() && c.owner as usize == seat
        });
        if !mine {
            return format!("There is no piece of yours on {}.", sites[0]);
        }
        if m.rules.file.must_capture && legal.iter().any(|l| l.captures) {
            return must_capture(m, legal);
        }
        return format!("{t} is not a legal move. {}", hint(m));
    }
    // Piles.
    if let Some((n, pile)) = t.split_once(" from ")
        && let (Ok(n), Some(s)) = (n.trim().parse::<u32>(), b.site(pile))
        && b.shape == Shape::Piles
        && let Some(Move::Take { min, max }) = rules
            .seat_moves
            .iter()
            .map(|r| &rules.moves[*r].spec)
            .find(|mv| matches!(mv, Move::Take { .. }))
    {
        let count = u32::from(m.cell(s).count);
        return if n < u32::from(*min) {
            format!("Take at least {min}.")
        } else if count == 0 {
            format!("Pile {pile} is empty.")
        } else if n > count {
            format!("Pile {pile} has only {count}.")
        } else if max.is_some_and(|mx| n > u32::from(mx)) {
            format!("Take at most {}.", max.unwrap_or(0))
        } else {
            format!("{t} is not a legal move.")
        };
    }
    if let Some(why) = super::reveal::refusal(m, seat, t) {
        return why;
    }
    if has(&|mv| matches!(mv, Move::Hold)) && (t == "hold" || t == "h") {
        return "Roll at least once before you hold.".into();
    }
    if has(&|mv| matches!(mv, Move::Pass)) && t == "pass" {
        return "You may not pass now.".into();
    }
    format!("'{t}' is not a move here. {}", hint(m))
}

fn must_capture(m: &Match, legal: &[Action]) -> String {
    let caps: Vec<&Action> = legal.iter().filter(|a| a.captures).collect();
    format!(
        "You must capture: {}.",
        sample(m, &caps.into_iter().cloned().collect::<Vec<_>>())
    )
}

/// A few legal moves, spelt out.
fn sample(m: &Match, legal: &[Action]) -> String {
    let mut v: Vec<String> = legal.iter().take(6).map(|a| write(m, a)).collect();
    if legal.len() > 6 {
        v.push("…".into());
    }
    v.join(", ")
}

/// A reminder of the move syntax.
pub fn hint(m: &Match) -> String {
    format!(
        "Moves look like: {}.",
        super::explain::syntax(&m.rules).join("; ")
    )
}

/// Whether `text` has the shape of a move in this game (legal or not).
pub fn looks_like_move(m: &Match, text: &str) -> bool {
    text.split('/').all(|part| looks_like_one(m, part))
}

fn looks_like_one(m: &Match, text: &str) -> bool {
    let t = norm(text);
    if t.is_empty() {
        return false;
    }
    if super::zones::looks_like(m, &t) || super::pool::looks_like(m, &t) {
        return true;
    }
    let rules = &m.rules;
    let b = &rules.board;
    let all: Vec<&Move> = rules.moves.iter().map(|r| &r.spec).collect();
    let any = |f: &dyn Fn(&Move) -> bool| all.iter().any(|mv| f(mv));
    let site = |s: &str| b.site(s).is_some();
    if (any(&|mv| {
        matches!(
            mv,
            Move::Add { .. } | Move::Sow { .. } | Move::Slide { put: Some(_), .. }
        )
    })) && (site(&t) || t.split_once(' ').is_some_and(|(_, s)| site(s)))
    {
        return true;
    }
    if any(&|mv| matches!(mv, Move::Shoot { .. })) && site(&t) {
        return true;
    }
    if any(&|mv| matches!(mv, Move::Add { rotate: true, .. }))
        && let Some((_, span)) = t.split_once(' ')
        && span.split('-').all(site)
    {
        return true;
    }
    if any(&|mv| matches!(mv, Move::Drop { .. }))
        && t.len() == 1
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() && (c as u8 - b'a') < b.width)
    {
        return true;
    }
    let body = t.split('=').next().unwrap_or_default();
    let parts: Vec<&str> = body.split('-').collect();
    if parts.len() >= 2 && b.is_grid() && parts.iter().all(|p| site(p)) {
        return true;
    }
    if any(&|mv| matches!(mv, Move::Take { .. }))
        && let Some((n, p)) = t.split_once(" from ")
    {
        return n.trim().parse::<u32>().is_ok() && site(p);
    }
    for mv in &all {
        let ok = match mv {
            Move::Pass => t == "pass",
            Move::Give => t.starts_with("give "),
            Move::Roll { .. } => t == "roll" || t == "r",
            Move::Hold => t == "hold" || t == "h",
            Move::Pick { solve, .. } => {
                super::reveal::names_card(rules, &t)
                    || (solve.is_some()
                        && !t.is_empty()
                        && t.chars().all(|c| c.is_ascii_lowercase()))
            }
            Move::Crack | Move::SetCode => super::chance::read_code(rules, &t).is_some(),
            _ => false,
        };
        if ok {
            return true;
        }
    }
    false
}
