//! The computer player: Monte-Carlo tree search (UCT) over any rules, with random playouts, on a
//! copy of the game that hides what the bot may not know. Bounded by iterations and by wall
//! time so that it never stalls the service's tick.

use std::time::{Duration, Instant};

use super::play::{Match, Outcome};
use super::rng::Rng;

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
    let mut n = 0;
    while !m.is_over() && n < limit {
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

/// Each seat's reward for an ended (or abandoned) game: 1 shared among winners, ½ for a draw.
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

struct Node {
    game: Match,
    /// The seat choosing at this node.
    mover: Option<usize>,
    untried: Vec<usize>,
    children: Vec<(usize, usize)>,
    visits: f64,
    value: Vec<f64>,
}

impl Node {
    fn new(game: Match) -> Node {
        let mover = game.to_move().first().copied();
        let untried = mover.map_or(Vec::new(), |s| (0..game.legal_count(s)).collect());
        let n = game.state.players;
        Node {
            game,
            mover,
            untried,
            children: Vec::new(),
            visits: 0.0,
            value: vec![0.0; n],
        }
    }
}

/// The move the computer plays for `seat`, or `None` when it has none.
pub fn choose(m: &Match, seat: usize, budget: Budget, seed: u64) -> Option<String> {
    let mut rng = Rng::new(seed);
    let moves = m.legal_moves(seat);
    if moves.len() <= 1 || budget.iterations == 0 {
        return random_move(m, seat, &mut rng);
    }
    let start = Instant::now();
    let mut stats = vec![(0.0f64, 0.0f64); moves.len()];
    let mut iterations = 0;
    // One tree per determinization round keeps hidden information hidden.
    while iterations < budget.iterations && start.elapsed() < budget.max_time {
        let root_game = m.determinize(seat, &mut rng);
        let mut tree = vec![Node::new(root_game)];
        let batch = 32.min(budget.iterations - iterations);
        for _ in 0..batch {
            iterate(&mut tree, &mut rng);
            iterations += 1;
        }
        for (index, child) in &tree[0].children {
            if let Some(slot) = stats.get_mut(*index) {
                slot.0 += tree[*child].visits;
                slot.1 += tree[*child].value[seat];
            }
        }
    }
    let best = stats
        .iter()
        .enumerate()
        .max_by(|a, b| {
            let score = |(v, w): &(f64, f64)| if *v > 0.0 { w / v + v * 1e-9 } else { -1.0 };
            score(a.1).total_cmp(&score(b.1))
        })
        .map(|(i, _)| i)?;
    if stats[best].0 == 0.0 {
        return random_move(m, seat, &mut rng);
    }
    moves.get(best).cloned()
}

/// One selection–expansion–playout–backpropagation pass.
fn iterate(tree: &mut Vec<Node>, rng: &mut Rng) {
    let mut path = vec![0usize];
    let mut node = 0;
    loop {
        if !tree[node].untried.is_empty() || tree[node].children.is_empty() {
            break;
        }
        let parent_visits = tree[node].visits.max(1.0);
        let mover = tree[node].mover.unwrap_or(0);
        let pick = tree[node]
            .children
            .iter()
            .max_by(|a, b| {
                let ucb = |c: usize| {
                    let n = &tree[c];
                    let mean = if n.visits > 0.0 {
                        n.value[mover] / n.visits
                    } else {
                        0.0
                    };
                    mean + 1.4 * (parent_visits.ln() / n.visits.max(1e-9)).sqrt()
                };
                ucb(a.1).total_cmp(&ucb(b.1))
            })
            .map(|c| c.1);
        let Some(next) = pick else { break };
        node = next;
        path.push(node);
    }
    if !tree[node].untried.is_empty() && !tree[node].game.is_over() {
        let k = rng.below(tree[node].untried.len());
        let index = tree[node].untried.swap_remove(k);
        let mut game = tree[node].game.clone();
        if let Some(seat) = tree[node].mover {
            game.play_nth(seat, index);
        }
        tree.push(Node::new(game));
        let child = tree.len() - 1;
        tree[node].children.push((index, child));
        node = child;
        path.push(node);
    }
    let mut game = tree[node].game.clone();
    playout(&mut game, rng);
    let reward = rewards(&game);
    for n in path {
        tree[n].visits += 1.0;
        for (v, r) in tree[n].value.iter_mut().zip(&reward) {
            *v += r;
        }
    }
}
