//! Captures that follow a move: flanking (turning over enclosed lines), custodial (removing
//! enclosed enemies), and enclosure (removing groups without liberties; suicide).

use super::board::{NONE, Site};
use super::play::{Cell, DRAWN, Match, NOBODY};
use super::spec::Capture;

#[inline]
fn enemy(c: Cell, seat: usize) -> bool {
    !c.is_empty() && c.owner != NOBODY && c.owner as usize != seat
}

#[inline]
fn own(c: Cell, seat: usize) -> bool {
    !c.is_empty() && c.owner as usize == seat
}

/// The enemy sites `seat` would enclose in lines by a piece on `s` (every direction).
pub fn flips(m: &Match, seat: usize, s: Site) -> Vec<Site> {
    let b = &m.rules.board;
    let mut out = Vec::new();
    for d in 0..8u8 {
        let start = out.len();
        let mut t = b.step(s, d);
        while t != NONE && enemy(m.cell(t), seat) {
            out.push(t);
            t = b.step(t, d);
        }
        if t == NONE || !own(m.cell(t), seat) {
            out.truncate(start);
        }
    }
    out
}

/// Whether a piece on `s` would enclose at least one line.
pub fn flanks(m: &Match, seat: usize, s: Site) -> bool {
    let b = &m.rules.board;
    (0..8u8).any(|d| {
        let mut t = b.step(s, d);
        let mut n = 0;
        while t != NONE && enemy(m.cell(t), seat) {
            n += 1;
            t = b.step(t, d);
        }
        n > 0 && t != NONE && own(m.cell(t), seat)
    })
}

/// Turns over what a flanking placement on `s` encloses.
pub fn flank(m: &mut Match, seat: usize, s: Site) {
    for t in flips(m, seat, s) {
        let c = m.cell(t);
        m.set(
            t,
            Cell {
                owner: seat as u8,
                ..c
            },
        );
    }
}

/// The file's captures after `seat`'s piece landed on `s`; returns how many were taken.
pub fn after(m: &mut Match, seat: usize, s: Site) -> u16 {
    let mut taken = 0;
    let rules = m.rules.clone();
    for c in &rules.file.captures {
        match c {
            Capture::Custodial { length, exact } => taken += custodial(m, seat, s, *length, *exact),
            Capture::Enclose => taken += enclose(m, seat, s),
            Capture::Claim => {}
            Capture::ClaimBlock { length } => claim_block(m, seat, s, *length),
        }
    }
    taken
}

fn custodial(m: &mut Match, seat: usize, s: Site, length: u16, exact: bool) -> u16 {
    if !own(m.cell(s), seat) {
        return 0;
    }
    let rules = m.rules.clone();
    let b = &rules.board;
    let mut taken = 0;
    for d in 0..8u8 {
        let mut line = Vec::new();
        let mut t = b.step(s, d);
        while t != NONE && enemy(m.cell(t), seat) && line.len() <= length as usize {
            line.push(t);
            t = b.step(t, d);
        }
        let n = line.len() as u16;
        let fits = if exact {
            n == length
        } else {
            n >= 1 && n <= length
        };
        if fits && t != NONE && own(m.cell(t), seat) {
            for x in line {
                m.set(x, Cell::EMPTY);
                taken += 1;
            }
        }
    }
    taken
}

/// The group of `s` and whether it has a liberty (an empty neighbour).
pub fn group(m: &Match, s: Site) -> (Vec<Site>, bool) {
    let b = &m.rules.board;
    let c = m.cell(s);
    let mut seen = vec![s];
    let mut stack = vec![s];
    let mut free = false;
    while let Some(x) = stack.pop() {
        for d in 0..8u8 {
            let n = b.step(x, d);
            if n == NONE {
                continue;
            }
            let nc = m.cell(n);
            if nc.is_empty() {
                free = true;
            } else if nc.owner == c.owner && !seen.contains(&n) {
                seen.push(n);
                stack.push(n);
            }
        }
    }
    (seen, free)
}

/// Removes the enemy groups next to `s` that have no liberty.
fn enclose(m: &mut Match, seat: usize, s: Site) -> u16 {
    let rules = m.rules.clone();
    let b = &rules.board;
    let mut taken = 0;
    for d in 0..8u8 {
        let n = b.step(s, d);
        if n == NONE || !enemy(m.cell(n), seat) {
            continue;
        }
        let (stones, free) = group(m, n);
        if !free {
            for x in stones {
                m.set(x, Cell::EMPTY);
                taken += 1;
            }
        }
    }
    taken
}

/// After the captures: a piece on `s` whose group has no liberty was a suicide.
pub fn suicide(m: &Match, s: Site) -> bool {
    s != NONE && !m.cell(s).is_empty() && !group(m, s).1
}

/// Dots boards: the boxes beside `line` whose four lines are now drawn go to `seat`; true if
/// any did.
pub fn claim(m: &mut Match, seat: usize, line: Site) -> bool {
    let (bw, bh) = m.rules.board.boxes();
    let mut any = false;
    for y in 0..bh {
        for x in 0..bw {
            let i = y as usize * bw as usize + x as usize;
            if m.state.claims.get(i) != Some(&NOBODY) {
                continue;
            }
            let lines = m.rules.board.box_lines(x, y);
            if lines.contains(&line) && lines.iter().all(|l| !m.cell(*l).is_empty()) {
                m.state.claims[i] = seat as u8;
                m.state.scores[seat] += 1;
                any = true;
            }
        }
    }
    any
}

/// Boards of sub-boards: a line of `length` through `s` inside its sub-board wins it for
/// `seat`; a sub-board full without one is won by nobody.
fn claim_block(m: &mut Match, seat: usize, s: Site, length: u8) {
    let rules = m.rules.clone();
    let b = &rules.board;
    let Some((own, _)) = b.block_of(s) else {
        return;
    };
    if m.state.claims.get(own) != Some(&NOBODY) || !own_piece(m, seat, s) {
        return;
    }
    let inside = |t: Site| t != NONE && b.block_of(t).is_some_and(|(o, _)| o == own);
    let line = b.axes.iter().any(|&a| {
        let mut run = 1;
        for d in [a, super::board::opposite(a)] {
            let mut t = b.step(s, d);
            while inside(t) && own_piece(m, seat, t) {
                run += 1;
                t = b.step(t, d);
            }
        }
        run >= length as usize
    });
    let full = (0..b.len() as Site)
        .filter(|t| inside(*t))
        .all(|t| !m.cell(t).is_empty());
    if line {
        m.state.claims[own] = seat as u8;
    } else if full {
        m.state.claims[own] = DRAWN;
    }
}

fn own_piece(m: &Match, seat: usize, s: Site) -> bool {
    own(m.cell(s), seat)
}
