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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use super::super::spec::Setup;
    use super::*;

    fn rules(id: &str) -> Arc<Rules> {
        let text =
            std::fs::read_to_string(format!("rules/{id}.ron")).unwrap_or_else(|e| panic!("{e}"));
        Arc::new(
            super::super::load_str(Path::new("x.ron"), &text, Path::new("assets"))
                .unwrap_or_else(|e| panic!("{e:?}")),
        )
    }

    /// `moves` from `fen` (white first), in SAN.
    fn san_of(fen: Option<&str>, moves: &[&str]) -> Option<Vec<String>> {
        let r = rules("chess");
        let m = match fen {
            Some(f) => Match::with_setup(r, 2, 1, &[Setup::Fen(f.into())], None),
            None => Match::new(r, 2, 1),
        };
        let moves: Vec<(usize, String)> = moves
            .iter()
            .enumerate()
            .map(|(i, t)| (i % 2, (*t).to_owned()))
            .collect();
        super::moves(m, &moves)
    }

    #[test]
    fn en_passant_promotion_ranks_and_the_long_castle() {
        assert_eq!(
            san_of(None, &["e2-e4", "a7-a6", "e4-e5", "d7-d5", "e5xd6"]),
            Some(
                vec!["e4", "a6", "e5", "d5", "exd6"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
        assert_eq!(
            san_of(Some("7k/P7/8/8/8/8/8/K7"), &["a7-a8=Q"]),
            Some(vec!["a8=Q+".to_owned()])
        );
        // Two rooks on one file: the rank tells them apart.
        assert_eq!(
            san_of(Some("7k/8/8/R7/8/8/8/R6K"), &["a1-a3"]),
            Some(vec!["R1a3".to_owned()])
        );
        assert_eq!(
            san_of(Some("4k3/8/8/8/8/8/8/R3K3"), &["e1-c1"]),
            Some(vec!["O-O-O".to_owned()])
        );
        // A move that does not replay: no SAN at all, the caller keeps the game's notation.
        assert_eq!(san_of(None, &["e2-e5"]), None);
    }

    #[test]
    fn only_games_pgn_readers_can_read() {
        assert!(applies(&rules("chess")));
        for id in ["checkers", "breakthrough", "tic-tac-toe", "amazons", "go"] {
            assert!(!applies(&rules(id)), "{id}");
        }
    }
}
