//! The computer player: Monte-Carlo tree search (UCT) over any rules, with random playouts, on a
//! copy of the game that hides what the bot may not know. Bounded by iterations and by wall
//! time (the clock is read every iteration and inside long playouts) so that it never stalls
//! the service's tick.
//!
//! Generic enhancements, none tied to a game: a move that wins at once is played at once, and
//! a move after which the opponent wins at once is avoided (decisive and anti-decisive moves);
//! playouts are cut off after [`CUTOFF`] moves and scored from the rules' own count (the one a
//! `Most(..)` verdict decides by), else from the pieces won and lost since the root where the
//! ends make pieces matter (and, where having no move loses, from each seat's moves and room
//! gained since the root, [`super::mobility`], after playouts of at most [`MOBILITY_CUTOFF`]
//! moves and the capture they leave pending), else as draws. Games without hidden information
//! or chance search one tree with the whole budget and play the most visited move; the others
//! search one tree per determinization round and play the best mean over the rounds.

use std::time::{Duration, Instant};

use super::end::counts;
use super::mobility::Mobility;
use super::play::{Match, Outcome};
use super::rng::Rng;
use super::spec::{Count, End, NoMove, Turns, Verdict};

/// How much thinking a move may take.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub iterations: u32,
    pub max_time: Duration,
}

impl Budget {
    /// Random legal moves, no search.
    pub const RANDOM: Budget = Budget {
        iterations: 0,
        max_time: Duration::ZERO,
    };
}

/// Playouts longer than this are scored as draws (every shipped game ends far sooner).
const MAX_PLAYOUT: usize = 1_000;

/// Search playouts stop after this many moves at most and are scored by [`Judge::evaluate`]:
/// a long random game says little more than its material, and costs as much as many short
/// ones.
const CUTOFF: usize = 160;

/// Where having no move loses and pieces are counted, a cut-off position is also judged by
/// mobility and room ([`super::mobility`]): the opponent's moves running out is progress
/// there, and random playouts, in which neither side plans, do not see it (fox and geese: the
/// geese's wall). Such playouts stop after this many moves (early playout termination: the
/// evaluation knows more than random moves, which break any wall), and the side to move then
/// makes its best capture, if it has one, before the position is judged (a quiescence ply: a
/// piece left hanging is not counted as safe). 20-move playouts: the geese won 3 of 25 games
/// against a random fox; 4 moves with the room term and the capture ply: 8 and 16 of 25 in
/// two runs (README, Benchmarks).
const MOBILITY_CUTOFF: usize = 4;

/// Where moves are dear (chess), playouts are shortened so that the budget still buys about
/// this many iterations, but to no fewer than [`MIN_CUTOFF`] moves.
const TARGET_ITERATIONS: u32 = 200;
const MIN_CUTOFF: usize = 12;

/// Iterations of one determinization round in games with hidden information or chance.
const ROUND: u32 = 32;

/// The share of the budget the decisive/anti-decisive screen may use.
const SCREEN_SHARE: u32 = 4;

/// A uniformly random legal move of `seat`.
pub fn random_move(m: &Match, seat: usize, rng: &mut Rng) -> Option<String> {
    let moves = m.legal_moves(seat);
    (!moves.is_empty()).then(|| moves[rng.below(moves.len())].clone())
}

/// Plays random moves to the end (or [`MAX_PLAYOUT`] moves); returns the number of moves made.
pub fn playout(m: &mut Match, rng: &mut Rng) -> usize {
    playout_limited(m, rng, MAX_PLAYOUT)
}

/// Plays random moves to the end or `limit` moves; returns the number of moves made.
pub fn playout_limited(m: &mut Match, rng: &mut Rng, limit: usize) -> usize {
    playout_until(m, rng, limit, None)
}

/// Plays random moves to the end, `limit` moves or `deadline` (read before every move: a
/// move can cost more than the clock read).
fn playout_until(m: &mut Match, rng: &mut Rng, limit: usize, deadline: Option<Instant>) -> usize {
    let mut n = 0;
    while !m.is_over() && n < limit {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let Some(seat) = m.first_to_move() else {
            break;
        };
        if !m.play_random(seat, rng) {
            break;
        }
        n += 1;
    }
    n
}

/// Each seat's reward for an ended game: 1 shared among winners, ½ for a draw.
fn rewards(m: &Match) -> Vec<f64> {
    let n = m.state.players;
    match m.outcome() {
        Some(Outcome::Win { seats, .. }) => (0..n)
            .map(|s| {
                if seats.contains(&s) {
                    1.0 / seats.len() as f64
                } else {
                    0.0
                }
            })
            .collect(),
        Some(Outcome::Nobody { .. }) => vec![0.0; n],
        Some(Outcome::Draw { .. }) | None => vec![0.5; n],
    }
}

/// What a cut-off playout is scored by: the count a `Most` verdict of the rules decides by
/// (absolute: it is the game's own verdict); else, where the ends make pieces matter, the pieces
/// won and lost since the root; else nothing (a draw: counting pieces misleads where fewer
/// pieces are no handicap, or an advantage).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Judge {
    Absolute(Count),
    Pieces,
    Draw,
}

impl Judge {
    fn of(m: &Match) -> Judge {
        let ends = &m.rules.file.end;
        let most = ends.iter().find_map(|e| match e {
            End::Line { verdict, .. }
            | End::Full(verdict)
            | End::Blocked(verdict)
            | End::PilesEmpty(verdict)
            | End::Passes(_, verdict)
            | End::AllHit(verdict)
            | End::Emptied(_, verdict)
            | End::Filled(verdict) => match verdict {
                Verdict::Most(c) => Some(*c),
                _ => None,
            },
            // Each seat keeps the seeds on its side; most seeds (the score) wins.
            End::SideEmpty => Some(Count::Score),
            _ => None,
        });
        if let Some(count) = most {
            return Judge::Absolute(count);
        }
        // Losing pieces loses the game: too few, too many taken, the royal piece taken in
        // effect, or no piece left to move, unless joining them all wins (fewer join sooner).
        let connected = ends.iter().any(|e| matches!(e, End::Connected));
        let pieces = ends.iter().any(|e| match e {
            End::Fewer { .. } | End::Captured(_) | End::Checkmate => true,
            End::NoMove(NoMove::Lose) => !connected,
            _ => false,
        });
        if pieces { Judge::Pieces } else { Judge::Draw }
    }

    /// Each seat's count minus the others' mean (nothing for `Draw`).
    fn margins(&self, m: &Match) -> Vec<f64> {
        let count = match self {
            Judge::Absolute(c) => *c,
            Judge::Pieces => Count::Pieces,
            Judge::Draw => return Vec::new(),
        };
        let c = counts(m, count);
        let n = c.len();
        let total: f64 = c.iter().sum();
        c.iter()
            .map(|x| {
                if n > 1 {
                    x - (total - x) / (n - 1) as f64
                } else {
                    *x
                }
            })
            .collect()
    }

    /// Rewards of an unfinished position: ½ moved towards the seat's margin (a smooth step),
    /// and by its moves and room gained since the root where mobility is judged.
    fn evaluate(&self, m: &Match, root: &[f64], mobility: Option<&Mobility>) -> Vec<f64> {
        let (scale, relative) = match self {
            Judge::Absolute(_) => (2.0, false),
            Judge::Pieces => (3.0, true),
            Judge::Draw => return vec![0.5; m.state.players],
        };
        let gained = mobility.map(|j| j.gained(m)).unwrap_or_default();
        self.margins(m)
            .iter()
            .enumerate()
            .map(|(s, d)| {
                let base = if relative {
                    root.get(s).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                let g = gained.get(s).copied().unwrap_or(0.0);
                0.5 + 0.5 * ((d - base) / scale + g).tanh()
            })
            .collect()
    }
}

/// Whether the rules make having no legal move lose (then mobility is worth having).
fn loses_without_moves(m: &Match) -> bool {
    m.rules
        .file
        .end
        .iter()
        .any(|e| matches!(e, End::NoMove(NoMove::Lose)))
}

/// The quiescence ply: the seat to move makes the move that gains it most pieces, if any does.
fn settle_capture(game: &mut Match, judge: Judge) {
    let Some(mover) = game.first_to_move() else {
        return;
    };
    // Only the moves the rules call captures are tried: most positions have none.
    let captures: Vec<usize> = game
        .legal_ref(mover)
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.captures.then_some(i))
        .collect();
    if captures.is_empty() {
        return;
    }
    let margin = |g: &Match| judge.margins(g).get(mover).copied().unwrap_or(0.0);
    let before = margin(game);
    let mut best: Option<(f64, Match)> = None;
    for i in captures {
        let mut g = game.clone();
        g.play_nth(mover, i);
        let after = margin(&g);
        if after > best.as_ref().map_or(before, |(b, _)| *b) {
            best = Some((after, g));
        }
    }
    if let Some((_, g)) = best {
        *game = g;
    }
}

/// Whether every seat sees the whole game and no move depends on chance: then one search tree
/// serves the whole budget.
fn closed(m: &Match) -> bool {
    let f = &m.rules.file;
    f.dice.is_none()
        && f.code.is_none()
        && f.cards.is_none()
        && f.zones.is_empty()
        && f.track.is_none()
        && f.turns != Turns::Simultaneous
        && !super::hidden::hides_pieces(&m.rules)
}

/// A node of the open-loop tree: reached by a sequence of move indices from the root, it keeps
/// statistics, not a position (each iteration replays the path on a fresh copy, so dice and
/// deals come out anew instead of being fixed for the whole search).
struct Node {
    /// The child reached by each move index (grown as moves are met).
    children: Vec<Option<usize>>,
    visits: f64,
    value: Vec<f64>,
}

impl Node {
    fn new(players: usize) -> Node {
        Node {
            children: Vec::new(),
            visits: 0.0,
            value: vec![0.0; players],
        }
    }

    fn child(&self, index: usize) -> Option<usize> {
        self.children.get(index).copied().flatten()
    }
}

/// What the search shares across iterations.
struct Search {
    judge: Judge,
    root_margins: Vec<f64>,
    /// Where mobility is judged: the root's standing.
    mobility: Option<Mobility>,
    deadline: Instant,
    /// The root's moves worth searching (empty: all).
    allowed: Vec<usize>,
    /// Draw chance anew every iteration (games with dice or hidden cards).
    reseed: bool,
    /// Playout moves made and the time they took: what a move costs, for `cutoff`.
    playout_moves: u64,
    playout_time: Duration,
    /// The time one iteration's playout may take.
    per_iteration: Duration,
    cutoff: usize,
    /// The longest playout worth making: [`CUTOFF`], or [`MOBILITY_CUTOFF`].
    max_cutoff: usize,
}

impl Search {
    /// Playouts shortened to what the budget can pay for.
    fn measured(&mut self, moves: usize, took: Duration) {
        self.playout_moves += moves as u64;
        self.playout_time += took;
        if self.playout_moves >= 32 {
            let per_move = self.playout_time.as_secs_f64() / self.playout_moves as f64;
            let affordable = self.per_iteration.as_secs_f64() / per_move.max(1e-9);
            self.cutoff =
                (affordable as usize).clamp(MIN_CUTOFF.min(self.max_cutoff), self.max_cutoff);
        }
    }
}

/// The move the computer plays for `seat`, or `None` when it has none.
pub fn choose(m: &Match, seat: usize, budget: Budget, seed: u64) -> Option<String> {
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let moves = m.legal_moves(seat);
    if moves.len() <= 1 || budget.iterations == 0 {
        return random_move(m, seat, &mut rng);
    }
    let deadline = start + budget.max_time;
    let closed = closed(m);
    // Only where the bot sees everything: elsewhere the real game would leak what it hides.
    let allowed = if closed {
        match screen(m, seat, moves.len(), start + budget.max_time / SCREEN_SHARE) {
            Screen::Win(i) => return moves.get(i).cloned(),
            Screen::Keep(keep) => keep,
        }
    } else {
        Vec::new()
    };
    let judge = Judge::of(m);
    // Where mobility is judged the evaluation knows more than a long random game: short
    // playouts, many more of them (early playout termination).
    let mobility = (judge == Judge::Pieces && loses_without_moves(m)).then(|| Mobility::new(m));
    let max_cutoff = if mobility.is_some() {
        MOBILITY_CUTOFF
    } else {
        CUTOFF
    };
    let mut search = Search {
        judge,
        root_margins: judge.margins(m),
        mobility,
        deadline,
        allowed,
        reseed: !closed,
        playout_moves: 0,
        playout_time: Duration::ZERO,
        per_iteration: budget.max_time / TARGET_ITERATIONS,
        cutoff: max_cutoff,
        max_cutoff,
    };
    let mut stats = vec![(0.0f64, 0.0f64); moves.len()];
    let mut iterations = 0;
    let round = if closed { budget.iterations } else { ROUND };
    while iterations < budget.iterations && Instant::now() < deadline {
        let root_game = if closed {
            m.clone()
        } else {
            m.determinize(seat, &mut rng)
        };
        let mut tree = vec![Node::new(m.state.players)];
        let batch = round.min(budget.iterations - iterations);
        for _ in 0..batch {
            if Instant::now() >= deadline {
                break;
            }
            iterate(&mut tree, &root_game, &mut search, &mut rng);
            iterations += 1;
        }
        for (index, child) in tree[0].children.iter().enumerate() {
            if let (Some(slot), Some(c)) = (stats.get_mut(index), child) {
                slot.0 += tree[*c].visits;
                slot.1 += tree[*c].value[seat];
            }
        }
    }
    // One tree: the most visited move (the mean breaks ties), a rarely tried move's mean is
    // noise. Over determinization rounds the best mean: each round's tree piles its visits on
    // what wins in its own sample (guessing a hidden word it takes for known).
    let best = stats
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let key = |(v, w): &(f64, f64)| {
                let mean = if *v > 0.0 { w / v } else { -1.0 };
                if closed { (*v, mean) } else { (mean, *v) }
            };
            let (ka, kb) = (key(a.1), key(b.1));
            ka.0.total_cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        })
        .map(|(i, _)| i)?;
    if stats[best].0 == 0.0 {
        return match search.allowed.as_slice() {
            [] => random_move(m, seat, &mut rng),
            keep => moves.get(keep[rng.below(keep.len())]).cloned(),
        };
    }
    moves.get(best).cloned()
}

enum Screen {
    /// This move wins at once.
    Win(usize),
    /// The moves to search (all of them when none is safe or the screen ran out of time).
    Keep(Vec<usize>),
}

/// Decisive and anti-decisive moves: a move that wins now, else the moves after which the next
/// seat (another) has no move that wins at once.
fn screen(m: &Match, seat: usize, count: usize, until: Instant) -> Screen {
    let wins = |g: &Match, s: usize| matches!(g.outcome(), Some(Outcome::Win { seats, .. }) if seats.contains(&s));
    let mut after = Vec::with_capacity(count);
    for i in 0..count {
        let mut g = m.clone();
        g.play_nth(seat, i);
        if wins(&g, seat) {
            return Screen::Win(i);
        }
        after.push(g);
    }
    let mut keep = Vec::with_capacity(count);
    for (i, g) in after.iter().enumerate() {
        if Instant::now() >= until {
            return Screen::Keep((0..count).collect());
        }
        let Some(&next) = g.to_move().first() else {
            keep.push(i);
            continue;
        };
        if next == seat {
            keep.push(i);
            continue;
        }
        let lost = (0..g.legal_count(next)).any(|j| {
            let mut h = g.clone();
            h.play_nth(next, j);
            h.is_over() && !wins(&h, seat) && wins(&h, next)
        });
        if !lost {
            keep.push(i);
        }
    }
    if keep.is_empty() {
        keep = (0..count).collect();
    }
    Screen::Keep(keep)
}

/// One selection–expansion–playout–backpropagation pass, on a fresh copy of `root`.
fn iterate(tree: &mut Vec<Node>, root: &Match, search: &mut Search, rng: &mut Rng) {
    let mut game = root.clone();
    if search.reseed {
        game.state.rng = Rng::new(rng.next_u64());
    }
    let mut path = vec![0usize];
    let mut node = 0;
    let mut candidates = Vec::new();
    while !game.is_over() {
        let Some(&mover) = game.to_move().first() else {
            break;
        };
        candidates.clear();
        if node == 0 && !search.allowed.is_empty() {
            candidates.extend_from_slice(&search.allowed);
        } else {
            candidates.extend(0..game.legal_count(mover));
        }
        if candidates.is_empty() {
            break;
        }
        let untried = candidates
            .iter()
            .filter(|i| tree[node].child(**i).is_none())
            .count();
        if untried > 0 {
            // Expand one untried move, chosen at random.
            let k = rng.below(untried);
            let Some(&index) = candidates
                .iter()
                .filter(|i| tree[node].child(**i).is_none())
                .nth(k)
            else {
                break;
            };
            game.play_nth(mover, index);
            tree.push(Node::new(game.state.players));
            let child = tree.len() - 1;
            let kids = &mut tree[node].children;
            if kids.len() <= index {
                kids.resize(index + 1, None);
            }
            kids[index] = Some(child);
            path.push(child);
            break;
        }
        let parent_visits = tree[node].visits.max(1.0).ln();
        let ucb = |c: usize| {
            let n = &tree[c];
            let mean = if n.visits > 0.0 {
                n.value[mover] / n.visits
            } else {
                0.0
            };
            mean + 1.4 * (parent_visits / n.visits.max(1e-9)).sqrt()
        };
        let pick = candidates
            .iter()
            .filter_map(|i| tree[node].child(*i).map(|c| (*i, c)))
            .max_by(|a, b| ucb(a.1).total_cmp(&ucb(b.1)));
        let Some((index, child)) = pick else { break };
        game.play_nth(mover, index);
        node = child;
        path.push(node);
    }
    let began = Instant::now();
    let moves = playout_until(&mut game, rng, search.cutoff, Some(search.deadline));
    search.measured(moves, began.elapsed());
    if search.mobility.is_some() && !game.is_over() {
        settle_capture(&mut game, search.judge);
    }
    let reward = if game.is_over() {
        rewards(&game)
    } else {
        search
            .judge
            .evaluate(&game, &search.root_margins, search.mobility.as_ref())
    };
    for n in path {
        tree[n].visits += 1.0;
        for (v, r) in tree[n].value.iter_mut().zip(&reward) {
            *v += r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(id: &str) -> Match {
        Match::new(super::super::shipped_rules(id), 2, 1)
    }

    #[test]
    fn one_tree_only_where_nothing_is_hidden_or_left_to_chance() {
        assert!(closed(&start("chess")));
        assert!(closed(&start("go")));
        assert!(!closed(&start("pig")));
        assert!(!closed(&start("mastermind-duel")));
        assert!(!closed(&start("battleship")));
        assert!(!closed(&start("rock-paper-scissors")));
    }

    #[test]
    fn a_cut_off_playout_is_judged_by_the_rules_count() {
        // Go decides by area with komi: an empty board favours white, absolutely.
        let go = start("go");
        let judge = Judge::of(&go);
        assert_eq!(judge, Judge::Absolute(Count::Area));
        let r = judge.evaluate(&go, &judge.margins(&go), None);
        assert!(r[1] > 0.9 && r[0] < 0.1, "{r:?}");
        // Chess is lost with the king: pieces won since the root, so the start is even.
        let chess = start("chess");
        let judge = Judge::of(&chess);
        assert_eq!(judge, Judge::Pieces);
        let r = judge.evaluate(&chess, &judge.margins(&chess), None);
        assert!(
            (r[0] - 0.5).abs() < 1e-9 && (r[1] - 0.5).abs() < 1e-9,
            "{r:?}"
        );
        assert_eq!(Judge::of(&start("checkers")), Judge::Pieces);
        assert_eq!(Judge::of(&start("pente")), Judge::Pieces);
        // Joining all one's pieces wins: fewer pieces are no handicap, so no count.
        let loa = start("lines-of-action");
        let judge = Judge::of(&loa);
        assert_eq!(judge, Judge::Draw);
        assert_eq!(judge.evaluate(&loa, &judge.margins(&loa), None), [0.5, 0.5]);
        assert_eq!(Judge::of(&start("gomoku")), Judge::Draw);
        assert_eq!(Judge::of(&start("kalah")), Judge::Absolute(Count::Score));
    }

    #[test]
    fn mobility_is_judged_where_having_no_move_loses() {
        // Fox and geese: no move loses and geese are counted. At the root the evaluation is
        // even; the goose stepping from d3 takes d4 from the fox's room for good (no line joins
        // d3 to the fox's side), which the geese's evaluation counts.
        let mut fg = start("fox-and-geese");
        let judge = Judge::of(&fg);
        assert_eq!(judge, Judge::Pieces);
        assert!(loses_without_moves(&fg));
        let mobility = Mobility::new(&fg);
        let margins = judge.margins(&fg);
        let even = judge.evaluate(&fg, &margins, Some(&mobility));
        assert!((even[0] - 0.5).abs() < 1e-9, "{even:?}");
        fg.play(0, "d3-d4").unwrap_or_else(|e| panic!("{e}"));
        let r = judge.evaluate(&fg, &margins, Some(&mobility));
        assert!(r[0] > 0.5 && r[1] < 0.5, "{r:?}");
        // Yet the goose hangs: the capture ply lets the fox take it before the position is
        // judged, so that the count the evaluation reads has the goose gone.
        let hanging = judge.margins(&fg);
        settle_capture(&mut fg, judge);
        assert_eq!(fg.pieces_of(0), 12);
        assert_eq!(fg.state.moves.len(), 1, "the ply is not recorded as a move");
        let taken = judge.margins(&fg);
        assert!(taken[0] < hanging[0] && taken[1] > hanging[1], "{taken:?}");
        // A seat with no capture to make leaves the position as it is.
        let before = fg.state.cells.clone();
        settle_capture(&mut fg, judge);
        assert_eq!(fg.state.cells, before);
        // Chess ends by checkmate, not by having no move: no mobility term.
        assert!(!loses_without_moves(&start("chess")));
    }

    #[test]
    fn the_screen_keeps_only_moves_that_do_not_lose_at_once() {
        // Tic-tac-toe, X a1 a2, O b2: O must take a3 or lose.
        let mut m = start("tic-tac-toe");
        for mv in ["a1", "b2", "a2"] {
            let seat = m.to_move()[0];
            m.play(seat, mv).unwrap_or_else(|e| panic!("{e}"));
        }
        let moves = m.legal_moves(1);
        let far = Instant::now() + Duration::from_secs(60);
        match screen(&m, 1, moves.len(), far) {
            Screen::Keep(keep) => {
                let kept: Vec<&str> = keep.iter().map(|i| moves[*i].as_str()).collect();
                assert_eq!(kept, ["a3"]);
            }
            Screen::Win(i) => panic!("no win here, yet {}", moves[i]),
        }
    }
}
