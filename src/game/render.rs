//! Boards and game state as plain text, for an XEP-0393 preformatted block: one character per
//! site with a space between, coordinates on every side (the same names moves use), so that it
//! reads in monospace and stays legible in proportional fonts.

use super::board::Shape;
use super::play::Match;
use super::spec::{Count, End, Move};

/// The mark of a site's piece as `viewer` may see it: `.` when empty or hidden from it, `x`
/// for a hidden piece that was hit.
fn mark_at(m: &Match, s: u16, viewer: Option<usize>) -> char {
    let c = m.cell(s);
    if c.is_empty() || !super::hidden::sees(m, viewer, c) {
        '.'
    } else if c.hit && !m.is_over() {
        'x'
    } else {
        m.rules.mark(c.kind, c.owner)
    }
}

fn grid(m: &Match, viewer: Option<usize>, out: &mut Vec<String>) {
    let b = &m.rules.board;
    let (w, h) = (b.width, b.height);
    let hex = b.is_hex();
    let letters: String = (0..w)
        .map(|x| ((b'a' + x) as char).to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let pad = if h >= 10 { "   " } else { "  " };
    let top_pad = if hex {
        " ".repeat(h as usize - 1)
    } else {
        String::new()
    };
    out.push(format!("{top_pad}{pad}{letters}"));
    for y in (0..h).rev() {
        let row: Vec<String> = (0..w)
            .map(|x| match b.site_at(x as i16, y as i16) {
                Some(s) => mark_at(m, s, viewer).to_string(),
                None => " ".into(),
            })
            .collect();
        let n = if h >= 10 {
            format!("{:>2}", y + 1)
        } else {
            format!("{}", y + 1)
        };
        // Hexagonal cells: each row half a cell to the right of the one below.
        let shift = if hex {
            " ".repeat(y as usize)
        } else {
            String::new()
        };
        out.push(format!("{shift}{n} {} {n}", row.join(" ")));
    }
    out.push(format!("{pad}{letters}"));
}

fn pits(m: &Match, pits: u8, out: &mut Vec<String>) {
    let p = pits as usize;
    let cell = |i: usize| format!("{:>2}", m.state.cells[i].count);
    let letters: Vec<String> = (0..p)
        .map(|x| format!("{:>2}", (b'a' + x as u8) as char))
        .collect();
    let row2: Vec<String> = (p..2 * p).map(cell).collect();
    let row1: Vec<String> = (0..p).map(cell).collect();
    out.push(format!("      {}", letters.join(" ")));
    out.push(format!("2     {}", row2.join(" ")));
    out.push(format!(
        "  {:>2}  {}  {:>2}",
        m.state.cells[2 * p + 1].count,
        " ".repeat(p * 3 - 1),
        m.state.cells[2 * p].count
    ));
    out.push(format!("1     {}", row1.join(" ")));
    out.push(format!("      {}", letters.join(" ")));
    out.push(format!(
        "stores: {} (right) {}, {} (left) {}",
        m.seat_name(0),
        m.state.cells[2 * p].count,
        m.seat_name(1),
        m.state.cells[2 * p + 1].count
    ));
}

/// Dots, the lines drawn between them, and each claimed box's owner.
fn dots(m: &Match, out: &mut Vec<String>) {
    let b = &m.rules.board;
    let (w, h) = (b.width, b.height);
    let (bw, _) = b.boxes();
    let drawn = |s: u16| !m.cell(s).is_empty();
    let letters: Vec<String> = (0..w).map(|x| ((b'a' + x) as char).to_string()).collect();
    let pad = if h >= 10 { "   " } else { "  " };
    out.push(format!("{pad}{}", letters.join("   ")));
    for y in (0..h).rev() {
        let mut line = format!("{:>width$} ", y + 1, width = pad.len() - 1);
        for x in 0..w {
            line.push('+');
            if x + 1 < w {
                let edge = (y as usize * (w as usize - 1) + x as usize) as u16;
                line.push_str(if drawn(edge) { "---" } else { "   " });
            }
        }
        out.push(line.trim_end().to_owned());
        if y > 0 {
            let mut line = pad.to_owned();
            for x in 0..w {
                let edge = if x + 1 < w {
                    b.box_lines(x, y - 1)[2]
                } else {
                    b.box_lines(x - 1, y - 1)[3]
                };
                line.push(if drawn(edge) { '|' } else { ' ' });
                if x + 1 < w {
                    let owner = m
                        .state
                        .claims
                        .get((y - 1) as usize * bw as usize + x as usize)
                        .copied()
                        .unwrap_or(super::play::NOBODY);
                    let mark = if owner == super::play::NOBODY {
                        ' '
                    } else {
                        m.seat_name(owner as usize).chars().next().unwrap_or('?')
                    };
                    line.push_str(&format!(" {mark} "));
                }
            }
            out.push(line.trim_end().to_owned());
        }
    }
    out.push(format!("{pad}{}", letters.join("   ")));
}

pub fn render(m: &Match, viewer: Option<usize>) -> String {
    let mut out = Vec::new();
    let rules = &m.rules;
    match rules.board.shape {
        Shape::Grid { .. } => grid(m, viewer, &mut out),
        Shape::Piles => {
            for (i, c) in m.state.cells.iter().enumerate() {
                out.push(format!(
                    "pile {}: {:<2} {}",
                    i + 1,
                    c.count,
                    "|".repeat(c.count as usize)
                ));
            }
        }
        Shape::Pits { pits: p } => pits(m, p, &mut out),
        Shape::Dots => dots(m, &mut out),
        Shape::None => {}
    }
    if rules.board.blocks.is_some() {
        let (gw, gh) = rules.board.block_grid();
        out.push("sub-boards won (- drawn):".into());
        for y in (0..gh as usize).rev() {
            let row: Vec<String> = (0..gw as usize)
                .map(|x| match m.state.claims.get(y * gw as usize + x).copied() {
                    Some(super::play::NOBODY) | None => ".".into(),
                    Some(super::play::DRAWN) => "-".into(),
                    Some(s) => m
                        .seat_name(s as usize)
                        .chars()
                        .next()
                        .unwrap_or('?')
                        .to_string(),
                })
                .collect();
            out.push(format!("  {}", row.join(" ")));
        }
    }
    if let Some(k) = m.state.given
        && let Some(kind) = rules.kinds.get(k as usize)
    {
        out.push(format!(
            "to place: {} ({})",
            rules.mark(k, 0),
            kind.traits.join(", ")
        ));
    }
    let ends = &rules.file.end;
    if ends.iter().any(|e| matches!(e, End::Captured(_))) {
        let tally: Vec<String> = (0..m.state.players)
            .map(|s| format!("{} {}", m.seat_name(s), m.state.captured[s]))
            .collect();
        out.push(format!("captured: {}", tally.join(", ")));
    }
    if ends
        .iter()
        .any(|e| matches!(e, End::Passes(_, super::spec::Verdict::Most(Count::Area))))
    {
        let area = super::end::counts(m, Count::Area);
        let tally: Vec<String> = (0..m.state.players)
            .map(|s| format!("{} {}", m.seat_name(s), area[s]))
            .collect();
        out.push(format!("area now: {}", tally.join(", ")));
    }
    let dice = rules.file.dice.is_some();
    if dice
        || (m.state.scores.iter().any(|s| *s != 0)
            && !matches!(rules.board.shape, Shape::Pits { .. }))
    {
        let scores: Vec<String> = (0..m.state.players)
            .map(|s| format!("{} {}", m.seat_name(s), m.state.scores[s]))
            .collect();
        out.push(format!("scores: {}", scores.join(", ")));
        if rules.moves.iter().any(|r| matches!(r.spec, Move::Hold)) {
            out.push(format!("this turn: {}", m.turn_total()));
        }
    }
    if rules.file.code.is_some() {
        let max = rules.file.code.as_ref().map_or(0, |c| c.max_guesses);
        out.push(format!("guesses ({}/{max}):", m.state.cracks.len()));
        for (i, (g, b, w)) in m.state.cracks.iter().enumerate() {
            out.push(format!(
                "{:>2}. {}  {b} right place, {w} misplaced",
                i + 1,
                super::chance::code_text(rules, g)
            ));
        }
        if m.is_over() || (viewer.is_some() && viewer == code_maker(m) && m.state.code_set) {
            out.push(format!(
                "code: {}",
                super::chance::code_text(rules, &m.state.code)
            ));
        }
    }
    super::zones::lines(m, viewer, &mut out);
    super::pool::lines(m, &mut out);
    super::reveal::lines(m, &mut out);
    out.push(m.status_line());
    out.join("\n")
}

/// The seat that sets the code, if a seat does.
fn code_maker(m: &Match) -> Option<usize> {
    let maker = m.rules.file.code.as_ref()?.maker.as_deref()?;
    m.seat_of(maker)
}

/// What `seat` alone may see, if anything: for a private message.
pub fn private(m: &Match, seat: usize) -> Option<String> {
    let mut lines = Vec::new();
    if code_maker(m) == Some(seat) && m.state.code_set && !m.is_over() {
        lines.push(format!(
            "Your code: {}.",
            super::chance::code_text(&m.rules, &m.state.code)
        ));
    }
    if !m.is_over()
        && let Some(pieces) = super::hidden::own_pieces(m, seat)
    {
        lines.push(pieces);
    }
    if let Some(zones) = super::zones::own(m, seat) {
        lines.push(zones);
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}
