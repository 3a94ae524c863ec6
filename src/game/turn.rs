//! Turn structure: which generated moves are legal (compulsory capture, royal pieces that may
//! not be left attacked, suicide, repetition), promotion choices, what a move counts toward
//! (captures, quiet moves, passes) and extra turns.

use super::Rules;
use super::board::{NONE, Site};
use super::capture;
use super::movement::{self, Applied};
use super::play::{Action, Cell, Match};
use super::spec::{Capture, End, Event, Move, Repetition};

/// Whether positions are remembered (repetition ends, superko).
pub fn tracks_history(rules: &Rules) -> bool {
    rules.file.repetition != Repetition::Allowed
        || rules
            .file
            .end
            .iter()
            .any(|e| matches!(e, End::Repetition(_)))
}

/// The position's hash (with the seat to move, except under positional superko).
pub fn position_hash(m: &Match) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    for c in &m.state.cells {
        mix(u64::from(c.owner) | (u64::from(c.kind) << 8) | (u64::from(c.count) << 16));
    }
    if m.rules.file.repetition != Repetition::Superko {
        mix(m.state.to_move as u64 + 0x1000);
    }
    h
}

fn simulates(rules: &Rules) -> bool {
    rules.kinds.iter().any(|k| k.royal)
        || rules.file.repetition != Repetition::Allowed
        || rules.file.captures.contains(&Capture::Enclose)
}

/// The legal actions of `seat` (assumed on move).
pub fn legal(m: &Match, seat: usize) -> Vec<Action> {
    let mut out = Vec::new();
    legal_into(m, seat, &mut out);
    out
}

/// The legal actions of `seat`, in place of what `out` held (a buffer reused from position to
/// position).
pub fn legal_into(m: &Match, seat: usize, out: &mut Vec<Action>) {
    out.clear();
    movement::generate(m, seat, out);
    promotions(m, seat, out);
    if m.rules.file.place_first {
        let places = |a: &Action| {
            matches!(
                m.rules.moves[a.rule as usize].spec,
                Move::Add { .. } | Move::Drop { .. }
            )
        };
        if out.iter().any(places) {
            out.retain(places);
        }
    }
    if m.rules.file.must_capture && out.iter().any(|a| a.captures) {
        out.retain(|a| a.captures);
    }
    if simulates(&m.rules) {
        out.retain(|a| refusal(m, seat, a).is_none());
    }
}

/// Why a generated action is not legal after all, if it is not.
pub fn refusal(m: &Match, seat: usize, a: &Action) -> Option<&'static str> {
    let rules = m.rules.clone();
    if !simulates(&rules) {
        return None;
    }
    let mut next = m.scratch();
    let applied = movement::apply(&mut next, &rules, seat, a);
    let mut ignored = Vec::new();
    after_move(&mut next, &rules, seat, a, &applied, &mut ignored);
    if rules.file.captures.contains(&Capture::Enclose) && capture::suicide(&next, applied.landed) {
        return Some("it would leave your own group without a liberty (suicide)");
    }
    if rules.kinds.iter().any(|k| k.royal) && royal_attacked(&next, seat) {
        return Some("it would leave your king attacked");
    }
    // A pass leaves the board as it is: repetition forbids only moves that change it.
    let passes = matches!(rules.moves[a.rule as usize].spec, Move::Pass);
    if rules.file.repetition == Repetition::Superko && next.state.part.is_none() && !passes {
        next.state.to_move = (seat + 1) % next.state.players.max(1);
        let h = position_hash(&next);
        if m.state.history.contains(&h) {
            return Some("it would repeat an earlier position (ko)");
        }
    }
    None
}

/// A promotion with a choice becomes one action per piece it may become.
fn promotions(m: &Match, seat: usize, out: &mut Vec<Action>) {
    let rules = &m.rules;
    let mut extra = Vec::new();
    for a in out.iter_mut() {
        let rule = &rules.moves[a.rule as usize];
        let Some(k) = rule.kind else { continue };
        if matches!(rule.spec, Move::Castle { .. }) || rule.then.is_some() {
            continue;
        }
        let Some((to, at)) = &rules.kinds[k as usize].promote else {
            continue;
        };
        let land = a.path().last().copied().unwrap_or(a.to);
        if to.len() < 2 || land == NONE || !at.get(seat).is_some_and(|mk| mk[land as usize]) {
            continue;
        }
        a.kind = to[0];
        for &other in &to[1..] {
            let mut b = a.clone();
            b.kind = other;
            extra.push(b);
        }
    }
    out.extend(extra);
}

/// Whether any royal piece of `seat` is attacked.
pub fn royal_attacked(m: &Match, seat: usize) -> bool {
    let royals: Vec<Site> = m
        .state
        .cells
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            !c.is_empty() && c.owner as usize == seat && m.rules.kinds[c.kind as usize].royal
        })
        .map(|(s, _)| s as Site)
        .collect();
    royals.iter().any(|s| attacked(m, seat, *s))
}

/// Whether another seat could capture on `site` (a piece of `seat`'s, or an empty site as if
/// one of `seat`'s pieces stood there).
pub fn attacked(m: &Match, seat: usize, site: Site) -> bool {
    let probe;
    let m = if m.cell(site).is_empty() {
        let mut p = m.scratch();
        p.state.cells[site as usize] = Cell::piece(seat as u8, 0);
        probe = p;
        &probe
    } else {
        m
    };
    let mut out = Vec::new();
    (0..m.state.players).filter(|o| *o != seat).any(|o| {
        out.clear();
        movement::captures(m, o, &mut out);
        out.iter().any(|a| a.to == site)
    })
}

/// What a move counts toward, and the captures that follow it; true if it earns an extra
/// turn.
pub fn after_move(
    m: &mut Match,
    rules: &Rules,
    seat: usize,
    a: &Action,
    applied: &Applied,
    _events: &mut Vec<String>,
) -> bool {
    let rule = &rules.moves[a.rule as usize];
    let mut taken = applied.captured;
    if let Move::Add { flank: true, .. } = rule.spec {
        capture::flank(m, seat, a.to);
    }
    if applied.landed != NONE && !rules.file.captures.is_empty() {
        taken += capture::after(m, seat, applied.landed);
    }
    if applied.landed != NONE {
        m.state.last_site = Some(applied.landed);
    }
    if let Some(c) = m.state.captured.get_mut(seat) {
        *c = c.saturating_add(taken);
    }
    let progress = rule
        .kind
        .is_some_and(|k| rules.kinds.get(k as usize).is_some_and(|k| k.progress));
    if taken > 0 || progress {
        m.state.quiet = 0;
    } else {
        m.state.quiet += 1;
    }
    if matches!(rule.spec, Move::Pass) {
        m.state.passes += 1;
    } else {
        m.state.passes = 0;
    }
    let claimed = rules.file.captures.contains(&Capture::Claim)
        && a.to != NONE
        && capture::claim(m, seat, a.to);
    (applied.extra_turn && rules.file.extra_turn.contains(&Event::InStore))
        || (claimed && rules.file.extra_turn.contains(&Event::Claimed))
}

impl Match {
    /// A copy for trying a move: no record, no history, no cache.
    pub(super) fn scratch(&self) -> Match {
        Match {
            rules: self.rules.clone(),
            state: self.state.clone_core(),
            cache: super::play::Cache::default(),
            ended_by: None,
        }
    }
}

impl super::play::State {
    /// The position's core: a clone that leaves out the long vectors the caller replaces.
    fn clone_core(&self) -> super::play::State {
        super::play::State {
            rules_id: String::new(),
            players: self.players,
            seed: self.seed,
            rng: self.rng.clone(),
            cells: self.cells.clone(),
            supply: self.supply.clone(),
            scores: self.scores.clone(),
            captured: self.captured.clone(),
            turn_total: self.turn_total,
            to_move: self.to_move,
            passes: self.passes,
            quiet: self.quiet,
            last_mover: self.last_mover,
            misses: self.misses,
            round: self.round,
            round_wins: self.round_wins.clone(),
            part: self.part,
            passed: self.passed,
            claims: self.claims.clone(),
            last_site: self.last_site,
            given: self.given,
            code: self.code.clone(),
            cracks: self.cracks.clone(),
            code_set: self.code_set,
            zones: self.zones.clone(),
            declared: self.declared,
            done: self.done.clone(),
            throws: self.throws,
            sheet: self.sheet.clone(),
            bid: self.bid,
            positions: self.positions.clone(),
            tricks: self.tricks.clone(),
            leader: self.leader,
            voids: self.voids.clone(),
            history: Vec::new(),
            moves: Vec::new(),
            scripted_rolls: Default::default(),
            outcome: self.outcome.clone(),
            changed: Vec::new(),
        }
    }
}
