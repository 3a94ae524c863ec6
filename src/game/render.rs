//! Boards and game state as plain text, for an XEP-0393 preformatted block: one character per
//! cell with a space between, coordinates on every side, so that it reads in monospace and
//! stays legible in proportional fonts.

use super::play::Match;
use super::rules::{MoveSpec, Turns};

/// The mark of a seat: its name's first character; kings swap its case.
pub fn mark(m: &Match, seat: usize, king: bool) -> char {
    let c = m.seat_name(seat).chars().next().unwrap_or('?');
    if !king {
        c
    } else if c.is_lowercase() {
        c.to_ascii_uppercase()
    } else {
        c.to_ascii_lowercase()
    }
}

pub fn render(m: &Match, viewer: Option<usize>) -> String {
    let mut out = Vec::new();
    let (w, h) = m.dims();
    if w > 0 && h > 0 {
        let letters: String = (0..w)
            .map(|x| ((b'a' + x) as char).to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let pad = if h >= 10 { "   " } else { "  " };
        let hex = m.rules.file.board.as_ref().is_some_and(|b| b.hex);
        let top_pad = if hex {
            " ".repeat(h as usize - 1)
        } else {
            String::new()
        };
        out.push(format!("{top_pad}{pad}{letters}"));
        for y in (0..h).rev() {
            let row: Vec<String> = (0..w)
                .map(|x| match m.cell(x, y) {
                    Some(p) => mark(m, p.seat as usize, p.king).to_string(),
                    None => ".".into(),
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
    if !m.piles().is_empty() {
        for (i, count) in m.piles().iter().enumerate() {
            out.push(format!(
                "pile {}: {:<2} {}",
                i + 1,
                count,
                "|".repeat(*count as usize)
            ));
        }
    }
    if m.rules.file.dice.is_some() || m.state.scores.iter().any(|s| *s != 0) {
        let scores: Vec<String> = (0..m.state.players)
            .map(|s| format!("{} {}", m.seat_name(s), m.state.scores[s]))
            .collect();
        out.push(format!("scores: {}", scores.join(", ")));
        if m.rules
            .file
            .moves
            .iter()
            .any(|mv| matches!(mv, MoveSpec::Hold))
        {
            out.push(format!("this turn: {}", m.turn_total()));
        }
    }
    if !m.word().is_empty() {
        let (wrong, max) = m.misses();
        let wrong: Vec<String> = wrong.iter().map(char::to_string).collect();
        let word = if m.is_over() {
            m.word()
                .chars()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            m.word_shown()
        };
        out.push(format!("word: {word}"));
        out.push(format!(
            "misses: {} ({}/{max})",
            if wrong.is_empty() {
                "none".into()
            } else {
                wrong.join(" ")
            },
            wrong.len()
        ));
    }
    if m.rules.file.turns == Turns::Simultaneous {
        let (round, wins) = m.round_info();
        let tally: Vec<String> = (0..m.state.players)
            .map(|s| format!("{} {}", m.seat_name(s), wins[s]))
            .collect();
        out.push(format!("rounds played: {round}; won: {}", tally.join(", ")));
        let chosen: Vec<String> = m
            .chosen()
            .iter()
            .enumerate()
            .map(|(s, c)| match (c, viewer) {
                (Some(choice), Some(v)) if v == s => format!("{} chose {choice}", m.seat_name(s)),
                (Some(_), _) => format!("{} has chosen", m.seat_name(s)),
                (None, _) => format!("{} is choosing", m.seat_name(s)),
            })
            .collect();
        if !m.is_over() {
            out.push(chosen.join(", "));
        }
    }
    out.push(m.status_line());
    out.join("\n")
}
