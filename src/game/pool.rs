//! Dice pools in zones: rolling a seat's dice and keeping some between rolls (`Throw`), a score
//! sheet of categories each filled once (`Fill`, `Filled`), bids on every seat's hidden dice
//! and the challenge that reveals and judges them (`Bid`, `Challenge`), and a pawn moved along
//! a track by the roll (`Advance`, `Finish`).

use super::board::NONE;
use super::end;
use super::play::{Action, Match};
use super::spec::{Move, Pattern, Points, Verdict};
use super::zones::{self, roll_die, slot, zone};

/// The dice of zone `name` for `seat`.
fn dice<'a>(m: &'a Match, name: &str, seat: usize) -> &'a [u16] {
    zone(&m.rules, name)
        .and_then(|z| m.state.zones.get(slot(&m.rules, z, seat)))
        .map_or(&[][..], Vec::as_slice)
}

fn sides(m: &Match, name: &str) -> u8 {
    zone(&m.rules, name)
        .and_then(|z| m.rules.file.zones[z].dice)
        .map_or(6, |(_, s)| s)
}

/// The values kept by a `Throw` action's mask, sorted.
fn kept(values: &[u16], mask: u16) -> Vec<u16> {
    let mut k: Vec<u16> = values
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, v)| *v)
        .collect();
    k.sort_unstable();
    k
}

pub fn generate(m: &Match, seat: usize, r: usize, out: &mut Vec<Action>) {
    if m.state.done.get(seat).copied().unwrap_or(false) {
        return;
    }
    match &m.rules.moves[r].spec {
        Move::Throw { zone: z, times } => {
            if m.state.throws == 0 {
                out.push(Action::new(r, NONE, NONE));
                return;
            }
            if m.state.throws >= *times {
                return;
            }
            let values = dice(m, z, seat);
            let n = values.len().min(15);
            let mut seen: Vec<Vec<u16>> = Vec::new();
            for mask in 0..(1u16 << n) - 1 {
                let k = kept(values, mask);
                if !seen.contains(&k) {
                    seen.push(k);
                    let mut a = Action::new(r, NONE, NONE);
                    a.n = mask;
                    out.push(a);
                }
            }
        }
        Move::Fill => {
            let thrown = m.state.throws > 0
                || !m
                    .rules
                    .moves
                    .iter()
                    .any(|r| matches!(r.spec, Move::Throw { .. }));
            if !thrown {
                return;
            }
            if let Some(row) = m.state.sheet.get(seat) {
                for (i, v) in row.iter().enumerate() {
                    if v.is_none() {
                        let mut a = Action::new(r, NONE, NONE);
                        a.n = i as u16;
                        out.push(a);
                    }
                }
            }
        }
        Move::Bid { zone: z, .. } => {
            let total: usize = (0..m.state.players).map(|s| dice(m, z, s).len()).sum();
            let sides = sides(m, z);
            for q in 1..=total.min(255) as u16 {
                for f in 1..=sides {
                    let raises = m
                        .state
                        .bid
                        .is_none_or(|(bq, bf, _)| q > bq || (q == bq && f > bf));
                    if raises {
                        let mut a = Action::new(r, NONE, NONE);
                        a.n = q;
                        a.kind = f;
                        out.push(a);
                    }
                }
            }
        }
        Move::Challenge if m.state.bid.is_some_and(|(_, _, by)| by != seat) => {
            out.push(Action::new(r, NONE, NONE));
        }
        Move::Advance => out.push(Action::new(r, NONE, NONE)),
        _ => {}
    }
}

/// The canonical text of a dice action.
pub fn write(m: &Match, a: &Action) -> String {
    match &m.rules.moves[a.rule as usize].spec {
        Move::Throw { zone: z, .. } if a.n != 0 => {
            let k: Vec<String> = kept(dice(m, z, m.state.to_move), a.n)
                .iter()
                .map(u16::to_string)
                .collect();
            format!("keep {}", k.join(" "))
        }
        Move::Throw { .. } | Move::Advance => "roll".into(),
        Move::Fill => format!(
            "score {}",
            m.rules
                .file
                .sheet
                .as_ref()
                .and_then(|s| s.categories.get(a.n as usize))
                .map_or("?", |c| c.name.as_str())
        ),
        Move::Bid { .. } => format!("bid {} {}s", a.n, a.kind),
        Move::Challenge => "challenge".into(),
        _ => String::new(),
    }
}

/// Applies a dice action; returns whether the turn passes.
pub fn apply(m: &mut Match, seat: usize, a: &Action, events: &mut Vec<String>) -> bool {
    let rules = m.rules.clone();
    let who = m.seat_name(seat).to_owned();
    match &rules.moves[a.rule as usize].spec {
        Move::Throw { zone: name, .. } => {
            let Some(z) = zone(&rules, name) else {
                return true;
            };
            let s = slot(&rules, z, seat);
            let sides = sides(m, name);
            let mut values = m.state.zones[s].clone();
            for (i, v) in values.iter_mut().enumerate() {
                if a.n & (1 << i) == 0 {
                    *v = roll_die(m, sides);
                }
            }
            values.sort_unstable();
            m.state.zones[s] = values.clone();
            m.state.throws += 1;
            if zones::sees(m, None, z, seat) {
                let shown: Vec<String> = values.iter().map(u16::to_string).collect();
                events.push(format!("{who} rolls {}.", shown.join(" ")));
            } else {
                events.push(format!("{who} rolls."));
            }
            false
        }
        Move::Fill => {
            let Some(sheet) = &rules.file.sheet else {
                return true;
            };
            let Some(cat) = sheet.categories.get(a.n as usize) else {
                return true;
            };
            let values = dice(m, &sheet.zone, seat).to_vec();
            let points = category_points(&values, cat.when, cat.points, sides(m, &sheet.zone));
            let before = bonus_sums(m, seat);
            m.state.sheet[seat][a.n as usize] = Some(points);
            m.state.scores[seat] += points;
            events.push(format!("{who} scores {points} for {}.", cat.name));
            let after = bonus_sums(m, seat);
            for (i, (_, at, extra)) in sheet.bonus.iter().enumerate() {
                if before[i] < *at && after[i] >= *at {
                    m.state.scores[seat] += extra;
                    events.push(format!("{who} earns a bonus of {extra}."));
                }
            }
            m.state.throws = 0;
            true
        }
        Move::Bid { .. } => {
            m.state.bid = Some((a.n, a.kind, seat));
            events.push(format!("{who} bids {} {}s.", a.n, a.kind));
            true
        }
        Move::Challenge => {
            challenge(m, seat, events);
            false
        }
        Move::Advance => {
            advance(m, seat, events);
            true
        }
        _ => true,
    }
}

/// The sums of each bonus's categories so far.
fn bonus_sums(m: &Match, seat: usize) -> Vec<i64> {
    let Some(sheet) = &m.rules.file.sheet else {
        return Vec::new();
    };
    sheet
        .bonus
        .iter()
        .map(|(cats, _, _)| {
            cats.iter()
                .filter_map(|c| sheet.categories.iter().position(|k| &k.name == c))
                .filter_map(|i| m.state.sheet.get(seat).and_then(|r| r.get(i)).copied())
                .map(Option::unwrap_or_default)
                .sum()
        })
        .collect()
}

/// What the dice score in a category: its points if they show its pattern, else 0.
pub fn category_points(values: &[u16], when: Pattern, points: Points, sides: u8) -> i64 {
    let mut counts = vec![0usize; sides as usize + 1];
    for v in values {
        if let Some(c) = counts.get_mut(*v as usize) {
            *c += 1;
        }
    }
    let ok = match when {
        Pattern::Any => true,
        Pattern::OfAKind(n) => counts.iter().any(|c| *c >= n as usize),
        Pattern::FullHouse => {
            let mut k: Vec<usize> = counts.iter().copied().filter(|c| *c > 0).collect();
            k.sort_unstable();
            k == [2, 3]
        }
        Pattern::Straight(n) => {
            let mut run = 0;
            let mut best = 0;
            for c in counts.iter().skip(1) {
                run = if *c > 0 { run + 1 } else { 0 };
                best = best.max(run);
            }
            best >= n as usize
        }
    };
    if !ok {
        return 0;
    }
    match points {
        Points::Sum => values.iter().map(|v| i64::from(*v)).sum(),
        Points::Face(f) => i64::from(f) * counts.get(f as usize).copied().unwrap_or(0) as i64,
        Points::Fixed(p) => p,
    }
}

/// Every die is shown; the bid stands if enough show its face (wild ones count too).
fn challenge(m: &mut Match, seat: usize, events: &mut Vec<String>) {
    let rules = m.rules.clone();
    let Some((q, f, bidder)) = m.state.bid else {
        return;
    };
    let Some((name, wild)) = rules.moves.iter().find_map(|r| match &r.spec {
        Move::Bid { zone, wild } => Some((zone.clone(), *wild)),
        _ => None,
    }) else {
        return;
    };
    let Some(z) = zone(&rules, &name) else {
        return;
    };
    let mut shown = Vec::new();
    let mut count = 0;
    for s in 0..m.state.players {
        let values = dice(m, &name, s);
        if values.is_empty() {
            continue;
        }
        count += values
            .iter()
            .filter(|v| **v == u16::from(f) || wild.is_some_and(|w| **v == u16::from(w)))
            .count();
        let list: Vec<String> = values.iter().map(u16::to_string).collect();
        shown.push(format!("{} {}", m.seat_name(s), list.join(" ")));
    }
    let loser = if count >= q as usize { seat } else { bidder };
    events.push(format!(
        "{} challenges {} {f}s: {}; {count} in all. {} loses a die.",
        m.seat_name(seat),
        q,
        shown.join(", "),
        m.seat_name(loser)
    ));
    let ls = slot(&rules, z, loser);
    m.state.zones[ls].pop();
    m.state.bid = None;
    let sides = sides(m, &name);
    for s in 0..m.state.players {
        let sl = slot(&rules, z, s);
        let n = m.state.zones[sl].len();
        let fresh: Vec<u16> = (0..n).map(|_| roll_die(m, sides)).collect();
        m.state.zones[sl] = fresh;
    }
    // The loser starts the next round, or the next seat with dice if it has none.
    let n = m.state.players;
    m.state.to_move = (0..n)
        .map(|i| (loser + i) % n)
        .find(|s| !dice(m, &name, *s).is_empty())
        .unwrap_or(loser);
    m.cache.clear();
}

/// A pawn moves by the roll along the track, and along a link it lands on.
fn advance(m: &mut Match, seat: usize, events: &mut Vec<String>) {
    let Some(track) = m.rules.file.track.clone() else {
        return;
    };
    let sides = m.rules.file.dice.as_ref().map_or(6, |d| d.sides);
    let roll = roll_die(m, sides);
    let who = m.seat_name(seat).to_owned();
    let from = m.state.positions[seat];
    let mut to = from + roll;
    if to > track.length {
        if track.exact {
            events.push(format!("{who} rolls {roll}: too far, stays on {from}."));
            return;
        }
        to = track.length;
    }
    let mut line = format!("{who} rolls {roll}: {from} to {to}");
    if let Some((_, end)) = track.links.iter().find(|(a, _)| *a == to) {
        let how = if *end > to { "climbs" } else { "slides down" };
        line += &format!(", {how} to {end}");
        to = *end;
    }
    events.push(format!("{line}."));
    m.state.positions[seat] = to;
}

/// `Finish`: a pawn on the last square wins.
pub fn finish(m: &mut Match) {
    let Some(track) = &m.rules.file.track else {
        return;
    };
    let last = track.length;
    if let Some(s) = (0..m.state.players).find(|s| m.state.positions[*s] >= last) {
        end::decide(m, &Verdict::Win, s, format!("reached square {last}"));
    }
}

/// `Filled(v)`: every seat has filled every category.
pub fn filled(m: &mut Match, v: &Verdict, mover: usize) {
    let full = m
        .state
        .sheet
        .iter()
        .take(m.state.players)
        .all(|row| row.iter().all(Option::is_some));
    if full {
        end::decide(m, v, mover, "every category is filled".into());
    }
}

/// The score sheet and the track, as everyone sees them.
pub fn lines(m: &Match, out: &mut Vec<String>) {
    if let Some(sheet) = &m.rules.file.sheet {
        let width = sheet
            .categories
            .iter()
            .map(|c| c.name.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        let seats: Vec<String> = (0..m.state.players)
            .map(|s| format!("{:>5}", m.seat_name(s)))
            .collect();
        out.push(format!("{:width$} {}", "", seats.join(" ")));
        for (i, c) in sheet.categories.iter().enumerate() {
            let row: Vec<String> = (0..m.state.players)
                .map(
                    |s| match m.state.sheet.get(s).and_then(|r| r.get(i)).copied() {
                        Some(Some(v)) => format!("{v:>5}"),
                        _ => format!("{:>5}", "-"),
                    },
                )
                .collect();
            out.push(format!("{:width$} {}", c.name, row.join(" ")));
        }
        let totals: Vec<String> = (0..m.state.players)
            .map(|s| format!("{:>5}", m.state.scores[s]))
            .collect();
        out.push(format!("{:width$} {}", "total", totals.join(" ")));
        if m.state.throws > 0 {
            out.push(format!("rolls this turn: {}", m.state.throws));
        }
    }
    if let Some(track) = &m.rules.file.track {
        let at: Vec<String> = (0..m.state.players)
            .map(|s| format!("{} on {}", m.seat_name(s), m.state.positions[s]))
            .collect();
        out.push(format!("track 1-{}: {}", track.length, at.join(", ")));
        let (up, down): (Vec<_>, Vec<_>) = track.links.iter().partition(|(a, b)| b > a);
        let show = |v: &[&(u16, u16)]| {
            v.iter()
                .map(|(a, b)| format!("{a}>{b}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        if !up.is_empty() {
            out.push(format!("up: {}", show(&up)));
        }
        if !down.is_empty() {
            out.push(format!("down: {}", show(&down)));
        }
    }
}

/// The reason a typed dice move is refused, when it has a dice move's shape.
pub fn why_not(m: &Match, seat: usize, t: &str) -> Option<String> {
    let has = |f: &dyn Fn(&Move) -> bool| m.rules.moves.iter().any(|r| f(&r.spec));
    if let Some(name) = t.strip_prefix("score ")
        && let Some(sheet) = &m.rules.file.sheet
    {
        let Some(i) = sheet.categories.iter().position(|c| c.name == name) else {
            let names: Vec<&str> = sheet.categories.iter().map(|c| c.name.as_str()).collect();
            return Some(format!(
                "There is no category '{name}': {}.",
                names.join(", ")
            ));
        };
        if m.state
            .sheet
            .get(seat)
            .and_then(|r| r.get(i))
            .is_some_and(Option::is_some)
        {
            return Some(format!("You have filled {name} already."));
        }
        if m.state.throws == 0 {
            return Some("Roll the dice before you score.".into());
        }
    }
    if t.starts_with("keep") && has(&|mv| matches!(mv, Move::Throw { .. })) {
        if m.state.throws == 0 {
            return Some("Roll all the dice first (roll).".into());
        }
        let times = m.rules.moves.iter().find_map(|r| match r.spec {
            Move::Throw { times, .. } => Some(times),
            _ => None,
        });
        if times.is_some_and(|n| m.state.throws >= n) {
            return Some(format!(
                "You have rolled {} times: score the dice in a category.",
                m.state.throws
            ));
        }
        return Some("You can keep only dice you rolled (keep 6 6 rolls the others).".into());
    }
    if t == "roll" && has(&|mv| matches!(mv, Move::Throw { .. })) && m.state.throws > 0 {
        return Some(format!(
            "You have rolled {} times: score the dice in a category.",
            m.state.throws
        ));
    }
    if t.starts_with("bid") && has(&|mv| matches!(mv, Move::Bid { .. })) {
        return Some(match m.state.bid {
            Some((q, f, _)) => format!(
                "A bid must raise {q} {f}s: more dice, or {q} of a higher face (bid 4 2s, bid {q} 6s)."
            ),
            None => "Bid a quantity and a face: bid 3 5s.".into(),
        });
    }
    if t == "challenge" && has(&|mv| matches!(mv, Move::Challenge)) {
        return Some(match m.state.bid {
            None => "There is no bid to challenge yet.".into(),
            Some(_) => "You cannot challenge your own bid.".into(),
        });
    }
    None
}

/// Whether `t` has the shape of a dice move.
pub fn looks_like(m: &Match, t: &str) -> bool {
    m.rules.moves.iter().any(|r| match &r.spec {
        Move::Throw { .. } => t == "roll" || t.starts_with("keep"),
        Move::Advance => t == "roll",
        Move::Fill => t.starts_with("score "),
        Move::Bid { .. } => t.starts_with("bid "),
        Move::Challenge => t == "challenge",
        _ => false,
    })
}
