//! The starting position: `Put`, `Fill` and `Fen` entries, read against the board and pieces.

use super::Rules;
use super::board::{Board, Site};
use super::spec::{RulesFile, Setup};

/// The marks of piece `i` per seat (one for a neutral piece), as the board shows them.
pub fn kind_marks(file: &RulesFile, i: usize) -> Vec<char> {
    let initials = || {
        file.players
            .seats
            .iter()
            .map(|s| s.chars().next().unwrap_or('?'))
    };
    match file.pieces.get(i) {
        None => initials().collect(),
        Some(p) => match &p.marks {
            Some(m) => m.chars().collect(),
            None => initials()
                .map(|c| {
                    if i == 0 {
                        c
                    } else if c.is_lowercase() {
                        c.to_ascii_uppercase()
                    } else {
                        c.to_ascii_lowercase()
                    }
                })
                .collect(),
        },
    }
}

fn kind_count(file: &RulesFile) -> usize {
    file.pieces.len().max(1)
}

fn kind_index(file: &RulesFile, name: &str) -> Option<usize> {
    if file.pieces.is_empty() {
        return name.eq_ignore_ascii_case("stone").then_some(0);
    }
    file.pieces
        .iter()
        .position(|p| p.name.eq_ignore_ascii_case(name))
}

/// `"white"`, `"white queen"` or a neutral `"arrow"` → (seat, kind).
pub fn owner_kind(file: &RulesFile, who: &str) -> Result<(Option<usize>, usize), String> {
    let words: Vec<&str> = who.split_whitespace().collect();
    let seat = |n: &str| {
        file.players
            .seats
            .iter()
            .position(|s| s.eq_ignore_ascii_case(n))
    };
    match words.as_slice() {
        [one] => {
            if let Some(s) = seat(one) {
                return Ok((Some(s), 0));
            }
            match kind_index(file, one) {
                Some(k) if file.pieces.get(k).is_some_and(|p| p.neutral) => Ok((None, k)),
                Some(_) => Err(format!("setup: say whose '{one}' it is: \"SEAT {one}\".")),
                None => Err(format!("setup: there is no seat or piece '{one}'.")),
            }
        }
        [s, k] => {
            let s = seat(s).ok_or_else(|| format!("setup: there is no seat '{s}'."))?;
            let k =
                kind_index(file, k).ok_or_else(|| format!("setup: there is no piece '{k}'."))?;
            Ok((Some(s), k))
        }
        _ => Err(format!(
            "setup: '{who}' should be a seat, optionally followed by a piece."
        )),
    }
}

/// A piece of a setup: column, row, seat (none: neutral), kind.
pub type Placed = (u8, u8, Option<usize>, usize);

/// A FEN-like string: rows from the top separated by `/`, marks for pieces, digits for runs
/// of empty sites. Returns (column, row, seat, kind) for each piece.
pub fn read_fen(file: &RulesFile, fen: &str) -> Result<Vec<Placed>, String> {
    let board = Board::build(file.board.as_ref());
    if !board.is_grid() {
        return Err("Fen needs a grid board.".into());
    }
    let rows: Vec<&str> = fen.trim().split('/').collect();
    if rows.len() != board.height as usize {
        return Err(format!(
            "Fen has {} rows; the board has {}.",
            rows.len(),
            board.height
        ));
    }
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let y = board.height as usize - 1 - i;
        let mut x = 0usize;
        let mut digits = String::new();
        let flush = |digits: &mut String, x: &mut usize| {
            if !digits.is_empty() {
                *x += digits.parse::<usize>().unwrap_or(0);
                digits.clear();
            }
        };
        for ch in row.chars() {
            if ch.is_ascii_digit() {
                digits.push(ch);
                continue;
            }
            flush(&mut digits, &mut x);
            let found = (0..kind_count(file)).find_map(|k| {
                let neutral = file.pieces.get(k).is_some_and(|p| p.neutral);
                kind_marks(file, k)
                    .iter()
                    .position(|m| *m == ch)
                    .map(|s| (if neutral { None } else { Some(s) }, k))
            });
            let Some((seat, kind)) = found else {
                return Err(format!("Fen: no piece is marked '{ch}'."));
            };
            out.push((x as u8, y as u8, seat, kind));
            x += 1;
        }
        flush(&mut digits, &mut x);
        if x != board.width as usize {
            return Err(format!(
                "Fen row {} covers {x} columns; the board has {}.",
                i + 1,
                board.width
            ));
        }
    }
    Ok(out)
}

/// Pieces of a setup as (site, seat or 255, kind); entries that do not resolve are skipped
/// (the checker reported them).
pub fn pieces(rules: &Rules, setup: &[Setup]) -> Vec<(Site, u8, u8)> {
    let mut out = Vec::new();
    for s in setup {
        match s {
            Setup::Put(who, sites) => {
                let Ok((seat, kind)) = owner_kind(&rules.file, who) else {
                    continue;
                };
                for name in sites.split_whitespace() {
                    if let Some(site) = rules.board.site(name) {
                        out.push((site, seat.map_or(255, |s| s as u8), kind as u8));
                    }
                }
            }
            Setup::Fill(who, region) => {
                let Ok((seat, kind)) = owner_kind(&rules.file, who) else {
                    continue;
                };
                for site in rules.region(region, seat.unwrap_or(0)) {
                    out.push((site, seat.map_or(255, |s| s as u8), kind as u8));
                }
            }
            Setup::Fen(fen) => {
                for (x, y, seat, kind) in read_fen(&rules.file, fen).unwrap_or_default() {
                    if let Some(site) = rules.board.site_at(x as i16, y as i16) {
                        out.push((site, seat.map_or(255, |s| s as u8), kind as u8));
                    }
                }
            }
        }
    }
    out
}
