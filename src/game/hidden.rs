//! Hidden information on the board: who may see a piece (`hidden: Owner`), the views of one
//! seat and of the room, secret moves (placing a hidden piece, setting the code), `Shoot`
//! (a feedback move: hit, sunk or miss), `AllHit`, and the bot's information set — every
//! piece its seat may not see is laid again where it could be.

use super::board::{NONE, Site};
use super::end;
use super::play::{Action, Cell, Match, NOBODY};
use super::rng::Rng;
use super::spec::{Move, Verdict, Visibility};

/// Whether `viewer` (`None`: the room, a spectator) may see what `c` holds.
pub fn sees(m: &Match, viewer: Option<usize>, c: Cell) -> bool {
    if c.is_empty() || c.hit || m.is_over() {
        return true;
    }
    match m.rules.kinds.get(c.kind as usize).map(|k| k.hidden) {
        Some(Visibility::Owner) => viewer.is_some_and(|v| v == c.owner as usize),
        Some(Visibility::Nobody) => false,
        _ => true,
    }
}

/// Whether the rules hide anything on the board.
pub fn hides_pieces(rules: &super::Rules) -> bool {
    rules.kinds.iter().any(|k| k.hidden != Visibility::Public)
}

/// Whether an action's text must not reach anyone but its seat: it places a hidden piece or
/// sets the code.
pub fn is_secret(m: &Match, a: &Action) -> bool {
    let rule = &m.rules.moves[a.rule as usize];
    match rule.spec {
        Move::SetCode => true,
        Move::Pick { .. } => super::reveal::is_secret(&m.rules, a),
        Move::Add { .. } | Move::Drop { .. } => m
            .rules
            .kinds
            .get(a.kind as usize)
            .is_some_and(|k| k.hidden != Visibility::Public),
        _ => false,
    }
}

/// Whether the rules have moves whose text is secret.
pub fn has_secret_moves(rules: &super::Rules) -> bool {
    rules.moves.iter().enumerate().any(|(i, r)| match r.spec {
        Move::SetCode => true,
        Move::Pick { .. } => super::reveal::is_secret(rules, &Action::new(i, NONE, NONE)),
        Move::Add { .. } | Move::Drop { .. } => r.kinds.iter().any(|k| {
            rules
                .kinds
                .get(*k as usize)
                .is_some_and(|k| k.hidden != Visibility::Public)
        }),
        _ => false,
    })
}

/// `Shoot` targets: the sites of the rule's region that look empty to the shooter.
pub fn generate_shoot(m: &Match, seat: usize, r: usize, out: &mut Vec<Action>) {
    let mask = m.rules.moves[r].sites.get(seat).and_then(Option::as_ref);
    for (s, c) in m.state.cells.iter().enumerate() {
        if mask.is_some_and(|mk| !mk[s]) {
            continue;
        }
        if c.is_empty() || !sees(m, Some(seat), *c) {
            out.push(Action::new(r, NONE, s as Site));
        }
    }
}

/// Fires: a hidden piece is hit (and maybe its whole kind sunk), or a miss marker is put.
pub fn shoot(m: &mut Match, seat: usize, a: &Action, events: &mut Vec<String>) {
    let c = m.cell(a.to);
    let at = m.rules.board.name(a.to).to_owned();
    let who = m.seat_name(seat).to_owned();
    if c.is_empty() {
        let miss = m.rules.moves[a.rule as usize].kinds.first().copied();
        if let Some(k) = miss {
            m.set(a.to, Cell::piece(NOBODY, k));
        }
        events.push(format!("{who} fires at {at}: miss."));
        return;
    }
    m.set(a.to, Cell { hit: true, ..c });
    let afloat = m
        .state
        .cells
        .iter()
        .any(|d| !d.is_empty() && !d.hit && d.owner == c.owner && d.kind == c.kind);
    if afloat {
        events.push(format!("{who} fires at {at}: hit."));
    } else {
        let name = m
            .rules
            .kinds
            .get(c.kind as usize)
            .map_or("piece", |k| k.name.as_str())
            .to_owned();
        events.push(format!(
            "{who} fires at {at}: hit — {}'s {name} is sunk.",
            m.seat_name(c.owner as usize)
        ));
    }
}

/// `AllHit(v)`: a seat that has placed every hidden piece it must, all of them hit.
pub fn all_hit(m: &mut Match, v: &Verdict) {
    for seat in 0..m.state.players {
        let placed = m.rules.kinds.iter().enumerate().all(|(k, kind)| {
            kind.hidden == Visibility::Public
                || m.state.supply[seat]
                    .get(k)
                    .is_none_or(|n| *n == 0 || *n == u16::MAX)
        });
        let mut mine = m
            .state
            .cells
            .iter()
            .filter(|c| !c.is_empty() && c.owner as usize == seat && is_hidden_kind(m, c.kind))
            .peekable();
        if placed && mine.peek().is_some() && mine.all(|c| c.hit) {
            let reason = format!("every piece of {} was hit", m.seat_name(seat));
            end::decide(m, v, seat, reason);
            return;
        }
    }
}

fn is_hidden_kind(m: &Match, kind: u8) -> bool {
    m.rules
        .kinds
        .get(kind as usize)
        .is_some_and(|k| k.hidden != Visibility::Public)
}

/// What `seat` alone sees of the board: its hidden pieces, by kind, with the hits they took.
pub fn own_pieces(m: &Match, seat: usize) -> Option<String> {
    let mut lines = Vec::new();
    for (k, kind) in m.rules.kinds.iter().enumerate() {
        if kind.hidden == Visibility::Public {
            continue;
        }
        let sites: Vec<(Site, bool)> = m
            .state
            .cells
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty() && c.owner as usize == seat && c.kind as usize == k)
            .map(|(s, c)| (s as Site, c.hit))
            .collect();
        if sites.is_empty() {
            continue;
        }
        let names: Vec<String> = sites
            .iter()
            .map(|(s, hit)| {
                let n = m.rules.board.name(*s);
                if *hit { format!("{n}*") } else { n.to_owned() }
            })
            .collect();
        let state = if sites.iter().all(|(_, h)| *h) {
            " (sunk)"
        } else {
            ""
        };
        lines.push(format!("{} {}{state}", kind.name, names.join(" ")));
    }
    (!lines.is_empty()).then(|| {
        format!(
            "Your hidden pieces (* hit): {}.",
            lines.join("; ").replace(" (sunk)", ", sunk")
        )
    })
}

/// Lays every piece `seat` may not see somewhere it could be: each group (one owner, one kind)
/// keeps its shape (or the shape turned a quarter), covers the hits it took, stays in the
/// region its owner could place it, and lies only on sites that look empty to `seat`.
pub fn determinize(d: &mut Match, seat: usize, rng: &mut Rng) {
    if !hides_pieces(&d.rules) || d.is_over() {
        return;
    }
    let n = d.state.cells.len();
    let unseen = |m: &Match, c: Cell| !c.is_empty() && !c.hit && !sees(m, Some(seat), c);
    // The groups to lay again, and which sites look empty to the seat.
    let mut groups: Vec<(u8, u8, Vec<Site>)> = Vec::new();
    for s in 0..n {
        let c = d.state.cells[s];
        if c.is_empty()
            || !is_hidden_kind(d, c.kind)
            || sees(d, Some(seat), Cell { hit: false, ..c })
        {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(o, k, _)| *o == c.owner && *k == c.kind)
        {
            Some(g) => g.2.push(s as Site),
            None => groups.push((c.owner, c.kind, vec![s as Site])),
        }
    }
    if groups.is_empty() {
        return;
    }
    let truth = d.state.cells.clone();
    // Hit groups first: they have the fewest places to go.
    groups.sort_by_key(|(_, _, sites)| !sites.iter().any(|s| truth[*s as usize].hit));
    for _ in 0..LAYOUT_TRIES {
        for (s, c) in truth.iter().enumerate() {
            if unseen(d, *c) {
                d.state.cells[s] = Cell::EMPTY;
            }
        }
        if lay(d, &groups, rng) {
            return;
        }
        d.state.cells.clone_from(&truth);
    }
}

/// Attempts at a fresh layout before the bot keeps the one it was given.
const LAYOUT_TRIES: usize = 20;

/// Lays each group where it fits; false if one fits nowhere.
fn lay(d: &mut Match, groups: &[(u8, u8, Vec<Site>)], rng: &mut Rng) -> bool {
    let n = d.state.cells.len();
    let hits: Vec<bool> = d.state.cells.iter().map(|c| c.hit).collect();
    let b = d.rules.board.clone();
    for (owner, kind, sites) in groups {
        let (owner, kind) = (*owner, *kind);
        let (x0, y0) = sites
            .iter()
            .map(|s| b.coords[*s as usize])
            .fold((u8::MAX, u8::MAX), |(a, c), (x, y)| (a.min(x), c.min(y)));
        let shape: Vec<(i16, i16)> = sites
            .iter()
            .map(|s| {
                let (x, y) = b.coords[*s as usize];
                (i16::from(x) - i16::from(x0), i16::from(y) - i16::from(y0))
            })
            .collect();
        let turned: Vec<(i16, i16)> = shape.iter().map(|(x, y)| (*y, *x)).collect();
        let region = placing_region(d, owner, kind);
        let must: Vec<Site> = sites
            .iter()
            .copied()
            .filter(|s| hits[*s as usize])
            .collect();
        let mut fits: Vec<Vec<Site>> = Vec::new();
        for anchor in 0..n {
            let (ax, ay) = b.coords[anchor];
            for form in [&shape, &turned] {
                let cover: Option<Vec<Site>> = form
                    .iter()
                    .map(|(dx, dy)| b.site_at(i16::from(ax) + dx, i16::from(ay) + dy))
                    .collect();
                let Some(cover) = cover else { continue };
                let ok = cover.iter().all(|t| {
                    let c = d.state.cells[*t as usize];
                    let own_hit = c.hit && c.owner == owner && c.kind == kind;
                    region.as_ref().is_none_or(|r| r[*t as usize]) && (c.is_empty() || own_hit)
                }) && must.iter().all(|h| cover.contains(h));
                if ok && !fits.contains(&cover) {
                    fits.push(cover);
                }
            }
        }
        if fits.is_empty() {
            return false;
        }
        for t in fits.swap_remove(rng.below(fits.len())) {
            let c = d.state.cells[t as usize];
            if !c.hit {
                d.state.cells[t as usize] = Cell::piece(owner, kind);
            }
        }
    }
    true
}

/// Where `owner` may place pieces of `kind` (the first `Add` that places it), if restricted.
fn placing_region(m: &Match, owner: u8, kind: u8) -> Option<Vec<bool>> {
    m.rules
        .moves
        .iter()
        .filter(|r| matches!(r.spec, Move::Add { .. }) && r.kinds.contains(&kind))
        .filter(|r| r.only.is_none_or(|o| o == owner as usize))
        .find_map(|r| r.sites.get(owner as usize).cloned())
        .flatten()
}
