//! Standard algebraic notation (SAN, the movetext of PGN) for the games PGN readers can read:
//! two seats moving pieces on an 8x8 grid, with a royal piece. Piece letters come from the
//! rules' own marks, the letter is left out for the kinds whose moves count as progress (the
//! pawn-like ones), castling is `O-O`/`O-O-O`, `+` and `#` follow a royal piece attacked.

use super::Rules;
use super::board::Shape;
use super::play::{Action, Match, NOBODY, Outcome};
use super::spec::Move;
use super::{notation, turn};

/// Whether this game's moves can be written in SAN for PGN readers.
pub fn applies(rules: &Rules) -> bool {
    matches!(rules.board.shape, Shape::Grid { hex: false })
        && rules.board.width == 8
        && rules.board.height == 8
        && rules.seats().len() == 2
        && rules.kinds.iter().any(|k| k.royal)
        && rules.moves.iter().all(|r| {
            r.then.is_none()
                && matches!(
                    r.spec,
                    Move::Step { .. }
                        | Move::Slide { put: None, .. }
                        | Move::Leap { .. }
                        | Move::Castle { .. }
                )
        })
}

/// The moves of a game from its start, in SAN; `None` when one of them no longer replays (the
/// caller then keeps the game's own notation).
pub fn moves(mut m: Match, moves: &[(usize, String)]) -> Option<Vec<String>> {
    if !applies(&m.rules) {
        return None;
    }
    let mut out = Vec::with_capacity(moves.len());
    for (seat, text) in moves {
        let action = notation::read(&m, *seat, text).ok()?;
        let base = san(&m, *seat, &action)?;
        m.play(*seat, text).ok()?;
        let other = 1 - (*seat).min(1);
        let check = turn::royal_attacked(&m, other);
        let mate = check
            && matches!(m.outcome(), Some(Outcome::Win { seats, .. }) if seats == &vec![*seat]);
        out.push(format!(
            "{base}{}",
            if mate {
                "#"
            } else if check {
                "+"
            } else {
                ""
            }
        ));
    }
    Some(out)
}

/// One move in SAN, before its check mark.
fn san(m: &Match, seat: usize, a: &Action) -> Option<String> {
    let rules = &m.rules;
    let b = &rules.board;
    let moving = m.cell(a.from);
    if moving.is_empty() {
        return None;
    }
    let (fx, _) = *b.coords.get(a.from as usize)?;
    let (tx, _) = *b.coords.get(a.to as usize)?;
    if matches!(rules.moves.get(a.rule as usize)?.spec, Move::Castle { .. }) {
        return Some(if tx > fx { "O-O" } else { "O-O-O" }.into());
    }
    let kind = rules.kinds.get(moving.kind as usize)?;
    let to = b.name(a.to);
    let file = |s: u16| b.name(s).chars().next().unwrap_or('?');
    let promotion = if a.kind == NOBODY {
        String::new()
    } else {
        format!("={}", rules.mark(a.kind, 0).to_ascii_uppercase())
    };
    let x = if a.captures { "x" } else { "" };
    if kind.progress {
        let from = if a.captures {
            file(a.from).to_string()
        } else {
            String::new()
        };
        return Some(format!("{from}{x}{to}{promotion}"));
    }
    // Another piece of the same kind that could go there too: name the file, else the rank,
    // else both.
    let rivals: Vec<u16> = m
        .legal(seat)
        .iter()
        .filter(|o| o.to == a.to && o.from != a.from && m.cell(o.from).kind == moving.kind)
        .map(|o| o.from)
        .collect();
    let name = b.name(a.from);
    let from = if rivals.is_empty() {
        String::new()
    } else if rivals.iter().all(|r| file(*r) != file(a.from)) {
        file(a.from).to_string()
    } else if rivals.iter().all(|r| b.name(*r).get(1..) != name.get(1..)) {
        name.get(1..).unwrap_or_default().to_owned()
    } else {
        name.to_owned()
    };
    let letter = rules.mark(moving.kind, 0).to_ascii_uppercase();
    Some(format!("{letter}{from}{x}{to}{promotion}"))
}
