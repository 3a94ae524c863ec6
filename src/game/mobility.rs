//! What the computer player judges a position by where having no legal move loses: how many
//! moves each seat has (Ludii's Mobility heuristic) and how much room its pieces have left
//! (the empty sites they could reach by repeated steps and slides). A seat shut into a small
//! room is close to losing long before its move count says so: the geese's wall takes a row
//! from the fox while the fox still has as many moves as before.

use super::board::{NONE, Site};
use super::play::Match;
use super::spec::Move;

/// The mobility judgement of one search: each seat's standing at the root, against which a
/// cut-off position is judged, and each seat's directions of travel per piece kind.
#[derive(Debug, Clone)]
pub(super) struct Mobility {
    /// Per seat, per kind: the directions its steps and slides go (repeated: the room).
    dirs: Vec<Vec<Vec<u8>>>,
    root_moves: Vec<f64>,
    root_room: Vec<f64>,
}

/// How much a share of the legal moves gained weighs (a share of ¼ as much as three pieces won).
const MOVES_WEIGHT: f64 = 4.0;

/// How much the room term weighs: a seat's danger is 1/(1 + its room), so that the last sites
/// taken from a shut-in seat count most (taking a room from 5 sites to 2 weighs as much as five
/// pieces won; from 19 to 18, a tenth of one).
const ROOM_WEIGHT: f64 = 10.0;

impl Mobility {
    pub(super) fn new(m: &Match) -> Mobility {
        let rules = &m.rules;
        let dirs = (0..m.state.players)
            .map(|seat| {
                (0..rules.kinds.len())
                    .map(|kind| {
                        let mut d: Vec<u8> = rules
                            .moves
                            .iter()
                            .filter(|r| r.kind == Some(kind as u8))
                            .filter(|r| matches!(r.spec, Move::Step { .. } | Move::Slide { .. }))
                            .filter(|r| r.only.is_none_or(|o| o == seat))
                            .filter_map(|r| r.dirs.get(seat))
                            .flatten()
                            .copied()
                            .collect();
                        d.sort_unstable();
                        d.dedup();
                        d
                    })
                    .collect()
            })
            .collect();
        let mut j = Mobility {
            dirs,
            root_moves: Vec::new(),
            root_room: Vec::new(),
        };
        j.root_moves = moves_share(m);
        j.root_room = j.room_margins(m);
        j
    }

    /// The term added to each seat's evaluation: its share of the moves and its room margin,
    /// both as gained since the root.
    pub(super) fn gained(&self, m: &Match) -> Vec<f64> {
        let moves = moves_share(m);
        let room = self.room_margins(m);
        (0..m.state.players)
            .map(|s| {
                let g = |now: &[f64], then: &[f64]| match (now.get(s), then.get(s)) {
                    (Some(a), Some(b)) => a - b,
                    _ => 0.0,
                };
                MOVES_WEIGHT * g(&moves, &self.root_moves) + ROOM_WEIGHT * g(&room, &self.root_room)
            })
            .collect()
    }

    /// Each seat's room: the empty sites its pieces could reach by repeated steps or slides
    /// along their own directions (through empty sites only).
    pub(super) fn rooms(&self, m: &Match) -> Vec<usize> {
        let board = &m.rules.board;
        let sites = board.len();
        let mut seen = vec![false; sites];
        let mut stack: Vec<(Site, u8)> = Vec::new();
        (0..m.state.players)
            .map(|seat| {
                seen.iter_mut().for_each(|x| *x = false);
                stack.clear();
                stack.extend((0..sites as Site).filter_map(|s| {
                    let c = m.cell(s);
                    (!c.is_empty() && c.owner as usize == seat).then_some((s, c.kind))
                }));
                let mut room = 0;
                while let Some((s, kind)) = stack.pop() {
                    let dirs = self
                        .dirs
                        .get(seat)
                        .and_then(|k| k.get(kind as usize))
                        .map_or(&[][..], Vec::as_slice);
                    for &d in dirs {
                        let t = board
                            .neighbours
                            .get(s as usize * 8 + d as usize)
                            .copied()
                            .unwrap_or(NONE);
                        if t == NONE || seen.get(t as usize).is_none_or(|x| *x) {
                            continue;
                        }
                        if !m.cell(t).is_empty() {
                            continue;
                        }
                        seen[t as usize] = true;
                        room += 1;
                        stack.push((t, kind));
                    }
                }
                room
            })
            .collect()
    }

    /// Each seat's danger of being shut in, 1/(1 + room), taken from the others' mean: what
    /// shutting the others in and keeping one's own room are worth.
    fn room_margins(&self, m: &Match) -> Vec<f64> {
        let danger: Vec<f64> = self
            .rooms(m)
            .iter()
            .map(|r| 1.0 / (1.0 + *r as f64))
            .collect();
        let n = danger.len();
        let total: f64 = danger.iter().sum();
        danger
            .iter()
            .map(|d| (total - d) / (n.max(2) - 1) as f64 - d)
            .collect()
    }
}

/// Each seat's share of all the legal moves on the board.
pub(super) fn moves_share(m: &Match) -> Vec<f64> {
    let n = m.state.players;
    let c: Vec<f64> = (0..n)
        .map(|s| super::turn::legal(m, s).len() as f64)
        .collect();
    let total: f64 = c.iter().sum();
    if total <= 0.0 {
        return vec![1.0 / n.max(1) as f64; n];
    }
    c.iter().map(|x| x / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(id: &str) -> Match {
        Match::new(super::super::shipped_rules(id), 2, 1)
    }

    fn play(m: &mut Match, moves: &[&str]) {
        for mv in moves {
            let seat = m.to_move()[0];
            m.play(seat, mv).unwrap_or_else(|e| panic!("{mv}: {e}"));
        }
    }

    #[test]
    fn a_seat_s_room_is_where_its_pieces_could_go() {
        // Fox and geese: the fox (all directions) reaches all 19 empty points; the geese, which
        // never step back, the same 19 ahead of them.
        let mut fg = start("fox-and-geese");
        let j = Mobility::new(&fg);
        assert_eq!(j.rooms(&fg), [19, 19]);
        // A goose steps forward from d3, whose point no line joins to the fox's side: the fox
        // loses d4 and gains nothing; the geese keep d3 behind their wall.
        play(&mut fg, &["d3-d4"]);
        assert_eq!(j.rooms(&fg), [19, 18]);
        // Amazons: queens slide every way, the whole empty board is each seat's room.
        let am = start("amazons");
        let j = Mobility::new(&am);
        assert_eq!(j.rooms(&am), [92, 92]);
        // Pieces that are only ever added have no room: the term is even.
        let dom = start("domineering");
        let j = Mobility::new(&dom);
        assert_eq!(j.rooms(&dom), [0, 0]);
        assert_eq!(j.gained(&dom), [0.0, 0.0]);
    }

    #[test]
    fn shutting_the_other_seat_in_is_worth_more_than_keeping_one_s_own_room() {
        // The trapped-fox position of the rules' example, one move before: the fox at d7 has
        // only e7 left; the geese are far better off than at the start.
        let fg = start("fox-and-geese");
        let j = Mobility::new(&fg);
        let rules = fg.rules.clone();
        let setup = &rules.file.examples[2];
        let near = Match::with_setup(rules.clone(), 2, 1, &setup.setup, rules.seat_index("geese"));
        assert_eq!(j.rooms(&near)[1], 1);
        let g = j.gained(&near);
        assert!(g[0] > 1.0 && g[1] < -1.0, "{g:?}");
    }
}
