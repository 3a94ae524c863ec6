//! Ends and verdicts: each end condition is a test on the position after a move (or when the
//! seat to move has none), and each verdict says who that favours.

use super::board::{NONE, Shape, Site, opposite};
use super::play::{Cell, Match, NOBODY, Outcome};
use super::spec::{Count, End, NoMove, Same, Verdict};
use super::{chance, turn};

/// Checks the end conditions, in the file's order, after `mover` moved.
pub fn judge(m: &mut Match, mover: usize) {
    let rules = m.rules.clone();
    for (i, e) in rules.file.end.iter().enumerate() {
        if m.is_over() {
            return;
        }
        judge_one(m, mover, i, e);
        if m.is_over() {
            m.ended_by = Some(i);
        }
    }
}

fn judge_one(m: &mut Match, mover: usize, index: usize, e: &End) {
    {
        match e {
            End::Line {
                length,
                blocks: true,
                verdict,
                ..
            } => {
                if block_line(m, mover, *length) {
                    decide(m, verdict, mover, format!("{length} sub-boards in a row"));
                }
            }
            End::Line {
                length,
                exact,
                same,
                verdict,
                ..
            } => {
                if let Some(seat) = line(m, mover, *length, *exact, *same) {
                    let what = if *exact { "exactly " } else { "" };
                    decide(m, verdict, seat, format!("{what}{length} in a row"));
                }
            }
            End::Full(v) => {
                // From the last site: boards with gravity fill their top row last, so an
                // empty site is found at once there (and no later on other boards).
                if matches!(m.rules.board.shape, Shape::Grid { .. } | Shape::Dots)
                    && !m.state.cells.iter().rev().any(Cell::is_empty)
                {
                    decide(m, v, mover, "the board is full".into());
                }
            }
            End::Reach(region) => {
                let mine = |s: &Site| {
                    let c = m.cell(*s);
                    !c.is_empty() && c.owner as usize == mover
                };
                let goal = m.rules.goals.get(index).and_then(Option::as_ref);
                let reached = match goal.and_then(|g| g.get(mover)) {
                    Some(mask) => m
                        .state
                        .changed
                        .iter()
                        .any(|s| mine(s) && mask.get(*s as usize).copied().unwrap_or(false)),
                    None => {
                        let sites = m.rules.region(region, mover);
                        m.state.changed.iter().any(|s| mine(s) && sites.contains(s))
                    }
                };
                if reached {
                    decide(m, &Verdict::Win, mover, "reached the goal".into());
                }
            }
            End::Fewer { n, seat } => {
                let only = seat.as_deref().and_then(|s| m.seat_of(s));
                let order = (0..m.state.players).filter(|s| *s != mover).chain([mover]);
                let loser = order
                    .filter(|s| only.is_none_or(|o| o == *s))
                    .find(|s| m.pieces_of(*s) < *n as usize && !can_place(m, *s));
                if let Some(s) = loser {
                    let reason = if *n == 1 {
                        format!("{} has no pieces left", m.seat_name(s))
                    } else {
                        format!("{} has fewer than {n} pieces", m.seat_name(s))
                    };
                    decide(m, &Verdict::Lose, s, reason);
                }
            }
            End::Connected => {
                let order =
                    std::iter::once(mover).chain((0..m.state.players).filter(|s| *s != mover));
                if let Some(s) = order.into_iter().find(|s| connected(m, *s)) {
                    decide(m, &Verdict::Win, s, "all its pieces are connected".into());
                }
            }
            End::Connect => {
                let order = [mover, 1 - mover.min(1)];
                if let Some(s) = order.into_iter().find(|s| connects(m, *s)) {
                    let sides = if s == 0 {
                        "bottom to top"
                    } else {
                        "left to right"
                    };
                    decide(m, &Verdict::Win, s, format!("joined {sides}"));
                }
            }
            End::Repetition(n) => {
                if let Some(last) = m.state.history.last() {
                    let times = m.state.history.iter().filter(|h| *h == last).count();
                    if times >= *n as usize {
                        decide(
                            m,
                            &Verdict::Draw,
                            mover,
                            format!("the same position {n} times"),
                        );
                    }
                }
            }
            End::Quiet(n) => {
                if m.state.quiet >= *n {
                    decide(
                        m,
                        &Verdict::Draw,
                        mover,
                        format!("{n} moves without a capture or a pawn-like piece moving"),
                    );
                }
            }
            End::PilesEmpty(v) => {
                if m.rules.board.shape == Shape::Piles && m.state.cells.iter().all(|c| c.count == 0)
                {
                    let reason = match v {
                        Verdict::Lose => format!("{} took the last one", m.seat_name(mover)),
                        _ => "took the last one".into(),
                    };
                    decide(m, v, mover, reason);
                }
            }
            End::Score(target) => {
                if let Some(s) = (0..m.state.players).find(|s| m.state.scores[*s] >= *target) {
                    decide(m, &Verdict::Win, s, format!("reached {target}"));
                }
            }
            End::Captured(n) => {
                if let Some(s) = (0..m.state.players).find(|s| m.state.captured[*s] >= *n) {
                    decide(m, &Verdict::Win, s, format!("captured {n}"));
                }
            }
            End::Passes(n, v) => {
                if m.state.passes >= *n as usize {
                    decide(m, v, mover, format!("{n} passes in a row"));
                }
            }
            End::SideEmpty => side_empty(m, mover),
            End::Rounds(n) => super::reveal::rounds_over(m, *n),
            End::Found { zone, misses } => super::reveal::found(m, zone, *misses),
            End::Cracked => chance::cracked(m),
            End::AllHit(v) => super::hidden::all_hit(m, v),
            End::Emptied(zone, v) => super::zones::emptied(m, zone, v),
            End::Showdown(zone, limit) => super::zones::showdown(m, zone, *limit),
            End::Filled(v) => super::pool::filled(m, v, mover),
            End::Finish => super::pool::finish(m),
            End::NoMove(_) | End::Checkmate | End::Blocked(_) => {}
        }
    }
}

fn can_place(m: &Match, seat: usize) -> bool {
    m.rules.seat_moves.iter().any(|r| {
        let rule = &m.rules.moves[*r];
        matches!(
            rule.spec,
            super::spec::Move::Add { .. } | super::spec::Move::Drop { .. }
        ) && rule.kinds.iter().any(|k| {
            m.state
                .supply
                .get(seat)
                .and_then(|s| s.get(*k as usize))
                .is_some_and(|n| *n > 0)
        })
    })
}

/// The seat to move has no legal move.
pub fn no_move(m: &mut Match, seat: usize, events: &mut Vec<String>) {
    let rules = m.rules.clone();
    let ends = &rules.file.end;
    let index = ends
        .iter()
        .position(|e| matches!(e, End::Checkmate | End::NoMove(_)));
    no_move_by(m, seat, events);
    if m.is_over() {
        m.ended_by = match ends.iter().position(|e| matches!(e, End::Blocked(_))) {
            Some(b) if m.state.passes >= m.state.players => Some(b),
            _ => index,
        };
    }
}

fn no_move_by(m: &mut Match, seat: usize, events: &mut Vec<String>) {
    let rules = m.rules.clone();
    let ends = &rules.file.end;
    if ends.contains(&End::Checkmate) {
        if turn::royal_attacked(m, seat) {
            let reason = format!("{} is checkmated", m.seat_name(seat));
            decide(m, &Verdict::Lose, seat, reason);
        } else {
            let reason = format!("{} cannot move (stalemate)", m.seat_name(seat));
            decide(m, &Verdict::Draw, seat, reason);
        }
        return;
    }
    let rule = ends.iter().find_map(|e| match e {
        End::NoMove(r) => Some(r.clone()),
        _ => None,
    });
    let reason = format!("{} cannot move", m.seat_name(seat));
    match rule {
        Some(NoMove::Lose) => decide(m, &Verdict::Lose, seat, reason),
        Some(NoMove::Draw) => decide(m, &Verdict::Draw, seat, reason),
        Some(NoMove::Pass) => {
            m.state.passes += 1;
            m.state.part = None;
            if m.state.passes >= m.state.players {
                let v = ends
                    .iter()
                    .find_map(|e| match e {
                        End::Blocked(v) => Some(v.clone()),
                        _ => None,
                    })
                    .unwrap_or(Verdict::Draw);
                decide(m, &v, seat, "no one can move".into());
            } else {
                events.push(format!("{} cannot move and passes.", m.seat_name(seat)));
                m.advance();
            }
        }
        None => decide(m, &Verdict::Draw, seat, "no legal move is left".into()),
    }
}

/// Ends the game by a verdict about `concerned`.
pub fn decide(m: &mut Match, v: &Verdict, concerned: usize, reason: String) {
    let outcome = match v {
        Verdict::Win => Outcome::Win {
            seats: vec![concerned],
            reason,
        },
        Verdict::Lose => {
            let others: Vec<usize> = (0..m.state.players).filter(|s| *s != concerned).collect();
            if others.is_empty() {
                Outcome::Nobody { reason }
            } else {
                Outcome::Win {
                    seats: others,
                    reason,
                }
            }
        }
        Verdict::Draw => Outcome::Draw { reason },
        Verdict::WinFor(name) => match m.seat_of(name) {
            Some(s) => Outcome::Win {
                seats: vec![s],
                reason,
            },
            None => Outcome::Draw { reason },
        },
        Verdict::Most(count) => {
            let counts = counts(m, *count);
            let best = counts.iter().copied().fold(f64::MIN, f64::max);
            let top: Vec<usize> = (0..m.state.players)
                .filter(|s| counts[*s] == best)
                .collect();
            let what = match count {
                Count::Pieces => "pieces",
                Count::Score => "points",
                Count::Tricks => "tricks",
                Count::Area => "area",
            };
            let tally: Vec<String> = counts
                .iter()
                .enumerate()
                .map(|(s, c)| format!("{} {c}", m.seat_name(s)))
                .collect();
            if top.len() == 1 {
                Outcome::Win {
                    seats: top,
                    reason: format!("{reason}; most {what} ({})", tally.join(", ")),
                }
            } else {
                Outcome::Draw {
                    reason: format!("{reason}; equal {what} ({})", tally.join(", ")),
                }
            }
        }
    };
    m.finish(outcome);
}

/// Each seat's count of a kind, with its bonus.
pub fn counts(m: &Match, count: Count) -> Vec<f64> {
    let n = m.state.players;
    let mut out: Vec<f64> = match count {
        Count::Pieces => (0..n).map(|s| m.pieces_of(s) as f64).collect(),
        Count::Score => m.state.scores.iter().map(|s| *s as f64).collect(),
        Count::Tricks => m.state.tricks.iter().map(|t| f64::from(*t)).collect(),
        Count::Area => area(m),
    };
    for (s, c) in out.iter_mut().enumerate() {
        *c += m.rules.bonus.get(s).copied().unwrap_or(0.0);
    }
    out
}

/// Area scoring: stones, plus empty regions that touch only one seat's stones.
fn area(m: &Match) -> Vec<f64> {
    let n = m.state.players;
    let b = &m.rules.board;
    let mut out: Vec<f64> = (0..n).map(|s| m.pieces_of(s) as f64).collect();
    let mut seen = vec![false; b.len()];
    for start in 0..b.len() {
        if seen[start] || !m.state.cells[start].is_empty() {
            continue;
        }
        let mut region = 0usize;
        let mut touches: Vec<u8> = Vec::new();
        let mut stack = vec![start as Site];
        seen[start] = true;
        while let Some(x) = stack.pop() {
            region += 1;
            for d in 0..8u8 {
                let y = b.step(x, d);
                if y == NONE {
                    continue;
                }
                let c = m.cell(y);
                if c.is_empty() {
                    if !seen[y as usize] {
                        seen[y as usize] = true;
                        stack.push(y);
                    }
                } else if !touches.contains(&c.owner) {
                    touches.push(c.owner);
                }
            }
        }
        if let [owner] = touches.as_slice()
            && (*owner as usize) < n
        {
            out[*owner as usize] += region as f64;
        }
    }
    out
}

/// A line of `length` through a changed site: the mover's first, else another's.
fn line(m: &Match, mover: usize, length: u8, exact: bool, same: Same) -> Option<usize> {
    let b = &m.rules.board;
    let mut found = None;
    for &s in &m.state.changed {
        let c = m.cell(s);
        if c.is_empty() || (same == Same::Owner && c.owner == NOBODY) {
            continue;
        }
        let kinds = &m.rules.kinds;
        // Trait lines: one test per trait of the piece placed (no list built for the others:
        // this runs after every move of a playout).
        let traits: &[String] = match same {
            Same::Trait => kinds.get(c.kind as usize).map_or(&[], |k| &k.traits),
            _ => &[],
        };
        let tests = traits
            .iter()
            .map(Some)
            .chain((same != Same::Trait).then_some(None));
        for t in tests {
            let matches = |x: Site| {
                let o = m.cell(x);
                !o.is_empty()
                    && match same {
                        Same::Owner => o.owner == c.owner,
                        Same::Kind => o.kind == c.kind,
                        Same::Trait => t.is_some_and(|t| {
                            kinds
                                .get(o.kind as usize)
                                .is_some_and(|k| k.traits.contains(t))
                        }),
                    }
            };
            for &a in &b.axes {
                let mut run = 1;
                for d in [a, opposite(a)] {
                    let mut x = b.step(s, d);
                    while x != NONE && matches(x) {
                        run += 1;
                        x = b.step(x, d);
                    }
                }
                let ok = if exact {
                    run == length as usize
                } else {
                    run >= length as usize
                };
                if ok {
                    let seat = match same {
                        Same::Owner => c.owner as usize,
                        Same::Kind | Same::Trait => mover,
                    };
                    if seat == mover {
                        return Some(mover);
                    }
                    found = found.or(Some(seat));
                }
            }
        }
    }
    found
}

/// Whether all of `seat`'s pieces (at least one) form one group.
fn connected(m: &Match, seat: usize) -> bool {
    let b = &m.rules.board;
    let mine: Vec<Site> = (0..b.len() as Site)
        .filter(|s| {
            let c = m.cell(*s);
            !c.is_empty() && c.owner as usize == seat
        })
        .collect();
    let Some(&first) = mine.first() else {
        return false;
    };
    let mut seen = vec![first];
    let mut stack = vec![first];
    while let Some(x) = stack.pop() {
        for d in 0..8u8 {
            let y = b.step(x, d);
            if y != NONE && !seen.contains(&y) && mine.contains(&y) {
                seen.push(y);
                stack.push(y);
            }
        }
    }
    seen.len() == mine.len()
}

/// Seat 0 joins the bottom row to the top, seat 1 the left column to the right.
fn connects(m: &Match, seat: usize) -> bool {
    let b = &m.rules.board;
    let (w, h) = (b.width, b.height);
    let mine = |s: Site| {
        let c = m.cell(s);
        !c.is_empty() && c.owner as usize == seat
    };
    let start_side = |s: Site| {
        let (x, y) = b.coords[s as usize];
        if seat == 0 { y == 0 } else { x == 0 }
    };
    let end_side = |s: Site| {
        let (x, y) = b.coords[s as usize];
        if seat == 0 { y + 1 == h } else { x + 1 == w }
    };
    let mut seen = vec![false; b.len()];
    let mut stack: Vec<Site> = (0..b.len() as Site)
        .filter(|s| start_side(*s) && mine(*s))
        .collect();
    for s in &stack {
        seen[*s as usize] = true;
    }
    while let Some(x) = stack.pop() {
        if end_side(x) {
            return true;
        }
        for d in 0..8u8 {
            let y = b.step(x, d);
            if y != NONE && !seen[y as usize] && mine(y) {
                seen[y as usize] = true;
                stack.push(y);
            }
        }
    }
    false
}

/// Pits: when a seat's row is empty, each seat keeps what is left on its side.
fn side_empty(m: &mut Match, mover: usize) {
    let Shape::Pits { pits } = m.rules.board.shape else {
        return;
    };
    let p = pits as usize;
    let row_sum =
        |m: &Match, s: usize| -> u16 { (s * p..(s + 1) * p).map(|i| m.state.cells[i].count).sum() };
    if (0..2).any(|s| row_sum(m, s) == 0) {
        for s in 0..2 {
            let left = row_sum(m, s);
            for i in s * p..(s + 1) * p {
                m.state.cells[i].count = 0;
            }
            m.state.cells[2 * p + s].count += left;
            if let Some(score) = m.state.scores.get_mut(s) {
                *score = i64::from(m.state.cells[2 * p + s].count);
            }
        }
        decide(
            m,
            &Verdict::Most(Count::Score),
            mover,
            "a row of pits is empty".into(),
        );
    }
}

/// A line of `length` sub-boards won by `seat` on the board of sub-boards.
fn block_line(m: &Match, seat: usize, length: u8) -> bool {
    let (gw, gh) = m.rules.board.block_grid();
    let won = |x: i16, y: i16| {
        x >= 0
            && y >= 0
            && x < gw as i16
            && y < gh as i16
            && m.state.claims.get(y as usize * gw as usize + x as usize) == Some(&(seat as u8))
    };
    for y in 0..gh as i16 {
        for x in 0..gw as i16 {
            if !won(x, y) {
                continue;
            }
            for (dx, dy) in [(1, 0), (0, 1), (1, 1), (1, -1)] {
                let run = (0..length as i16)
                    .take_while(|i| won(x + dx * i, y + dy * i))
                    .count();
                if run >= length as usize {
                    return true;
                }
            }
        }
    }
    false
}
