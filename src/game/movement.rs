//! Movement: what each move kind generates (add, drop, step, slide, leap, hop, castle, sow,
//! take, pass) and what it does to the position. Captures by replacement and by hop happen
//! here, as part of the movement; the other captures are [`super::capture`]'s.

use super::Rules;
use super::board::{NONE, Shape, Site, VECTORS};
use super::play::{Action, Cell, Match, NOBODY};
use super::spec::{Move, Over, Target};

/// Every pseudo-legal action of `seat` (the turn rules filter them).
pub fn generate(m: &Match, seat: usize, out: &mut Vec<Action>) {
    let rules = &m.rules;
    if let Some((rule, from)) = m.state.part {
        if rules.moves[rule as usize].kind.is_none() {
            seat_rule(m, seat, rule as usize, out);
        } else {
            piece_rule(m, seat, rule as usize, from, false, out);
        }
        return;
    }
    for &r in &rules.seat_moves {
        seat_rule(m, seat, r, out);
    }
    if rules.kinds.iter().any(|k| !k.moves.is_empty()) {
        for (s, c) in m.state.cells.iter().enumerate() {
            if c.is_empty() || c.owner as usize != seat {
                continue;
            }
            for &r in &rules.kinds[c.kind as usize].moves {
                piece_rule(m, seat, r, s as Site, false, out);
            }
        }
    }
}

/// The capturing actions of `seat`'s pieces (castling left out): what "attacked" means.
pub fn captures(m: &Match, seat: usize, out: &mut Vec<Action>) {
    for (s, c) in m.state.cells.iter().enumerate() {
        if c.is_empty() || c.owner as usize != seat {
            continue;
        }
        for &r in &m.rules.kinds[c.kind as usize].moves {
            piece_rule(m, seat, r, s as Site, true, out);
        }
    }
}

fn supply_left(m: &Match, seat: usize, kind: u8) -> bool {
    m.state
        .supply
        .get(seat)
        .and_then(|s| s.get(kind as usize))
        .is_some_and(|n| *n > 0)
}

/// Boards of sub-boards: which ones may take a piece now (not won, not full, and the one the
/// last move sent to if that one is open). `None`: no sub-boards.
fn open_blocks(m: &Match) -> Option<Vec<bool>> {
    let b = &m.rules.board;
    b.blocks?;
    let claims = &m.state.claims;
    let open: Vec<bool> = claims.iter().map(|c| *c == NOBODY).collect();
    if m.rules.file.send
        && let Some(last) = m.state.last_site
        && let Some((_, sent)) = b.block_of(last)
        && open.get(sent).copied().unwrap_or(false)
    {
        return Some((0..open.len()).map(|i| i == sent).collect());
    }
    Some(open)
}

/// The other sites a shaped placement on `s` covers, if they are all on the board.
pub fn shape_sites(m: &Match, s: Site, shape: &[(i8, i8)]) -> Option<Vec<Site>> {
    turned_sites(m, s, shape, false)
}

/// The same, with the shape turned a quarter (its offsets' columns and rows swapped) if `turn`.
pub fn turned_sites(m: &Match, s: Site, shape: &[(i8, i8)], turn: bool) -> Option<Vec<Site>> {
    let (x, y) = m.rules.board.coords[s as usize];
    shape
        .iter()
        .map(|&(dx, dy)| {
            let (dx, dy) = if turn { (dy, dx) } else { (dx, dy) };
            m.rules
                .board
                .site_at(x as i16 + dx as i16, y as i16 + dy as i16)
        })
        .collect()
}

fn seat_rule(m: &Match, seat: usize, r: usize, out: &mut Vec<Action>) {
    let rule = &m.rules.moves[r];
    if rule.only.is_some_and(|o| o != seat) {
        return;
    }
    match &rule.spec {
        Move::Give => {
            // At the start of a turn only when nothing was given (the first move).
            if m.state.part.is_none() && m.state.given.is_some() {
                return;
            }
            for &k in &rule.kinds {
                if supply_left(m, seat, k) && m.state.given != Some(k) {
                    let mut a = Action::new(r, NONE, NONE);
                    a.kind = k;
                    out.push(a);
                }
            }
        }
        Move::Add {
            flank,
            shape,
            given,
            rotate,
            ..
        } => {
            let kinds: Vec<u8> = match (given, m.state.given) {
                (false, _) => rule.kinds.clone(),
                (true, Some(k)) => vec![k],
                (true, None) => return,
            };
            let mask = rule.sites.get(seat).and_then(Option::as_ref);
            let blocks = open_blocks(m);
            for (s, c) in m.state.cells.iter().enumerate() {
                if !c.is_empty() || mask.is_some_and(|mk| !mk[s]) {
                    continue;
                }
                if let Some(open) = &blocks
                    && !m
                        .rules
                        .board
                        .block_of(s as Site)
                        .is_some_and(|(b, _)| open[b])
                {
                    continue;
                }
                if *flank && !super::capture::flanks(m, seat, s as Site) {
                    continue;
                }
                // A turned shape is another placement (`n` 1), unless it is the same one.
                let turns: &[bool] = if *rotate && shape.iter().any(|(x, y)| x != y) {
                    &[false, true]
                } else {
                    &[false]
                };
                for &turn in turns {
                    let fits = |m: &Match| {
                        shape.is_empty()
                            || turned_sites(m, s as Site, shape, turn).is_some_and(|v| {
                                v.iter().all(|t| {
                                    m.cell(*t).is_empty() && mask.is_none_or(|mk| mk[*t as usize])
                                })
                            })
                    };
                    if !fits(m) {
                        continue;
                    }
                    for &k in &kinds {
                        if supply_left(m, seat, k) {
                            let mut a = Action::new(r, NONE, s as Site);
                            a.kind = k;
                            a.captures = *flank;
                            a.n = u16::from(turn);
                            out.push(a);
                        }
                    }
                }
            }
        }
        Move::Drop { .. } => {
            let b = &m.rules.board;
            let Some(&k) = rule.kinds.first() else {
                return;
            };
            if !supply_left(m, seat, k) {
                return;
            }
            for x in 0..b.width as i16 {
                // The lowest empty site, every site of the column looked at: an early exit
                // at a height that differs per column is a mispredicted branch per column,
                // which cost more than the whole scan in playouts.
                let mut lowest = NONE;
                for y in (0..b.height as i16).rev() {
                    if let Some(s) = b.site_at(x, y) {
                        lowest = if m.cell(s).is_empty() { s } else { lowest };
                    }
                }
                if lowest != NONE {
                    let s = lowest;
                    let mut a = Action::new(r, NONE, s);
                    a.kind = k;
                    out.push(a);
                }
            }
        }
        Move::Sow { .. } => {
            if let Shape::Pits { pits } = m.rules.board.shape {
                for x in 0..pits as usize {
                    let s = seat * pits as usize + x;
                    if m.cell(s as Site).count > 0 && seat < 2 {
                        out.push(Action::new(r, s as Site, s as Site));
                    }
                }
            }
        }
        Move::Take { min, max } => {
            for (s, c) in m.state.cells.iter().enumerate() {
                let top = max.map_or(c.count, |mx| mx.min(c.count));
                for n in *min..=top {
                    let mut a = Action::new(r, s as Site, s as Site);
                    a.n = n;
                    out.push(a);
                }
            }
        }
        Move::Pass => out.push(Action::new(r, NONE, NONE)),
        _ => super::chance::generate(m, seat, r, out),
    }
}

/// Whether a destination holding `c` suits `target` for `seat`: Some(captures) or None.
#[inline]
fn lands(c: Cell, seat: usize, target: Target) -> Option<bool> {
    if c.is_empty() {
        return (target != Target::Enemy).then_some(false);
    }
    let enemy = c.owner != NOBODY && c.owner as usize != seat;
    (enemy && target != Target::Empty).then_some(true)
}

fn piece_rule(
    m: &Match,
    seat: usize,
    r: usize,
    from: Site,
    only_captures: bool,
    out: &mut Vec<Action>,
) {
    let rules = &m.rules;
    let rule = &rules.moves[r];
    if rule.only.is_some_and(|o| o != seat) {
        return;
    }
    let b = &rules.board;
    let dirs = rule.dirs.get(seat).map_or(&[][..], Vec::as_slice);
    let start = out.len();
    match &rule.spec {
        Move::Step {
            to,
            distance,
            en_passant,
            ..
        } => {
            if let Some(mask) = rule.sites.get(seat).and_then(Option::as_ref)
                && !mask[from as usize]
            {
                return;
            }
            let dist = distance.unwrap_or(1);
            for &d in dirs {
                let mut s = from;
                let mut blocked = false;
                for i in 0..dist {
                    s = b.step(s, d);
                    if s == NONE {
                        blocked = true;
                        break;
                    }
                    if i + 1 < dist && !m.cell(s).is_empty() {
                        blocked = true;
                        break;
                    }
                }
                if blocked {
                    continue;
                }
                let c = m.cell(s);
                if let Some(cap) = lands(c, seat, *to) {
                    let mut a = Action::new(r, from, s);
                    a.captures = cap;
                    out.push(a);
                } else if *en_passant
                    && c.is_empty()
                    && m.state.passed.is_some_and(|(p, pawn)| {
                        p == s && m.cell(pawn).owner as usize != seat && !m.cell(pawn).is_empty()
                    })
                {
                    let mut a = Action::new(r, from, s);
                    a.captures = true;
                    a.n = 1;
                    out.push(a);
                }
            }
        }
        Move::Slide { to, max, .. } => {
            let limit = max.unwrap_or(u8::MAX);
            for &d in dirs {
                let mut s = from;
                for _ in 0..limit {
                    s = b.step(s, d);
                    if s == NONE {
                        break;
                    }
                    let c = m.cell(s);
                    if let Some(cap) = lands(c, seat, *to) {
                        let mut a = Action::new(r, from, s);
                        a.captures = cap;
                        out.push(a);
                    }
                    if !c.is_empty() {
                        break;
                    }
                }
            }
        }
        Move::Count { .. } => {
            for &d in dirs {
                let mut n = 1;
                for dd in [d, super::board::opposite(d)] {
                    let mut s = b.step(from, dd);
                    while s != NONE {
                        n += usize::from(!m.cell(s).is_empty());
                        s = b.step(s, dd);
                    }
                }
                let mut s = from;
                let mut ok = true;
                for i in 0..n {
                    s = b.step(s, d);
                    if s == NONE {
                        ok = false;
                        break;
                    }
                    let c = m.cell(s);
                    let enemy = !c.is_empty() && c.owner as usize != seat;
                    if i + 1 < n && enemy {
                        ok = false;
                        break;
                    }
                }
                if ok && let Some(cap) = lands(m.cell(s), seat, Target::NotOwn) {
                    let mut a = Action::new(r, from, s);
                    a.captures = cap;
                    out.push(a);
                }
            }
        }
        Move::Leap { to, .. } => {
            let (x, y) = b.coords[from as usize];
            for &(dx, dy) in &rule.offsets {
                if let Some(s) = b.site_at(x as i16 + dx, y as i16 + dy)
                    && let Some(cap) = lands(m.cell(s), seat, *to)
                {
                    let mut a = Action::new(r, from, s);
                    a.captures = cap;
                    out.push(a);
                }
            }
        }
        Move::Hop {
            over,
            capture,
            chain,
            ..
        } => {
            let kind = m.cell(from).kind;
            let mut path = Vec::new();
            let mut taken = Vec::new();
            hops(
                m, seat, r, from, from, kind, dirs, *over, *capture, *chain, &mut path, &mut taken,
                out,
            );
        }
        Move::Castle { distance, .. } if !only_captures => {
            castles(m, seat, r, from, *distance, out);
        }
        _ => {}
    }
    if only_captures {
        let mut i = start;
        while i < out.len() {
            if out[i].captures {
                i += 1;
            } else {
                out.swap_remove(i);
            }
        }
    }
}

/// Would a piece of `kind` of `seat` promote on `s`?
fn promotes(m: &Match, seat: usize, kind: u8, s: Site) -> bool {
    m.rules.kinds[kind as usize]
        .promote
        .as_ref()
        .is_some_and(|(_, at)| at.get(seat).is_some_and(|mask| mask[s as usize]))
}

#[allow(clippy::too_many_arguments)]
fn hops(
    m: &Match,
    seat: usize,
    r: usize,
    origin: Site,
    at: Site,
    kind: u8,
    dirs: &[u8],
    over: Over,
    capture: bool,
    chain: bool,
    path: &mut Vec<Site>,
    taken: &mut Vec<Site>,
    out: &mut Vec<Action>,
) {
    let b = &m.rules.board;
    let mut extended = false;
    for &d in dirs {
        let mid = b.step(at, d);
        if mid == NONE {
            continue;
        }
        let land = b.step(mid, d);
        if land == NONE {
            continue;
        }
        let c = m.cell(mid);
        let jumpable = !c.is_empty()
            && !taken.contains(&mid)
            && match over {
                Over::Enemy => c.owner != NOBODY && c.owner as usize != seat,
                Over::Own => c.owner as usize == seat,
                Over::Any => true,
            };
        // The starting site is empty once the piece has left it.
        let free = m.cell(land).is_empty() || land == origin;
        if !jumpable || !free || (!capture && (land == origin || path.contains(&land))) {
            continue;
        }
        extended = true;
        path.push(land);
        taken.push(mid);
        if chain && !promotes(m, seat, kind, land) {
            hops(
                m, seat, r, origin, land, kind, dirs, over, capture, chain, path, taken, out,
            );
        } else {
            push_path(r, origin, path, capture, out);
        }
        path.pop();
        taken.pop();
    }
    if !extended && !path.is_empty() {
        push_path(r, origin, path, capture, out);
    }
}

fn push_path(r: usize, origin: Site, path: &[Site], capture: bool, out: &mut Vec<Action>) {
    let mut a = Action::new(r, origin, path[0]).with_path(path[1..].to_vec());
    a.captures = capture;
    out.push(a);
}

fn castles(m: &Match, seat: usize, r: usize, from: Site, distance: u8, out: &mut Vec<Action>) {
    let rule = &m.rules.moves[r];
    let b = &m.rules.board;
    if m.cell(from).moved || super::turn::attacked(m, seat, from) {
        return;
    }
    for d in [0u8, 4] {
        let mut s = from;
        let mut between = Vec::new();
        loop {
            s = b.step(s, d);
            if s == NONE || !m.cell(s).is_empty() {
                break;
            }
            between.push(s);
        }
        if s == NONE || between.len() < distance as usize {
            continue;
        }
        let partner = m.cell(s);
        if partner.owner as usize != seat || Some(partner.kind) != rule.partner || partner.moved {
            continue;
        }
        let dest = between[distance as usize - 1];
        // The sites the piece passes (its destination is checked like any move's).
        if between[..distance as usize - 1]
            .iter()
            .any(|p| super::turn::attacked(m, seat, *p))
        {
            continue;
        }
        out.push(Action::new(r, from, dest).with_path(vec![s]));
    }
}

/// What an applied action did, for the turn rules.
#[derive(Debug, Default)]
pub struct Applied {
    pub captured: u16,
    pub extra_turn: bool,
    /// The moved or placed piece's site.
    pub landed: Site,
}

/// Applies a (legal) action of `seat`.
pub fn apply(m: &mut Match, rules: &Rules, seat: usize, a: &Action) -> Applied {
    let rule = &rules.moves[a.rule as usize];
    let passed = m.state.passed.take();
    m.state.part = None;
    let mut done = Applied {
        landed: a.to,
        ..Applied::default()
    };
    match &rule.spec {
        Move::Add { .. } | Move::Drop { .. } => {
            let neutral = rules.kinds.get(a.kind as usize).is_some_and(|k| k.neutral);
            let owner = if neutral { NOBODY } else { seat as u8 };
            m.set(a.to, Cell::piece(owner, a.kind));
            if let Move::Add { given: true, .. } = rule.spec {
                m.state.given = None;
            }
            if let Move::Add { shape, .. } = &rule.spec
                && let Some(more) = turned_sites(m, a.to, shape, a.n == 1)
            {
                for t in more {
                    m.set(t, Cell::piece(owner, a.kind));
                }
            }
            // Neutral pieces come from one shared pool.
            let seats = if neutral {
                0..m.state.players
            } else {
                seat..seat + 1
            };
            for s in seats {
                if let Some(n) = m
                    .state
                    .supply
                    .get_mut(s)
                    .and_then(|v| v.get_mut(a.kind as usize))
                    && *n != u16::MAX
                {
                    *n = n.saturating_sub(1);
                }
            }
        }
        Move::Take { .. } => {
            let mut c = m.cell(a.from);
            c.count = c.count.saturating_sub(a.n);
            if let Some(slot) = m.state.cells.get_mut(a.from as usize) {
                *slot = c;
            }
        }
        Move::Pass => done.landed = NONE,
        Move::Give => {
            m.state.given = Some(a.kind);
            done.landed = NONE;
        }
        Move::Sow { capture_opposite } => {
            done.extra_turn = sow(m, seat, a.from, *capture_opposite);
            done.landed = NONE;
        }
        Move::Slide { put: Some(_), .. } => {
            let k = rule.kinds.first().copied().unwrap_or(0);
            let neutral = rules.kinds.get(k as usize).is_some_and(|k| k.neutral);
            m.set(
                a.to,
                Cell::piece(if neutral { NOBODY } else { seat as u8 }, k),
            );
        }
        Move::Castle { .. } => {
            let mut king = m.cell(a.from);
            king.moved = true;
            let rook_from = a.path().first().copied().unwrap_or(NONE);
            let mut rook = m.cell(rook_from);
            rook.moved = true;
            // The partner lands on the site the piece passed last.
            let (fx, _) = rules.board.coords[a.from as usize];
            let (tx, ty) = rules.board.coords[a.to as usize];
            let back = if tx > fx { -1 } else { 1 };
            let rook_to = rules
                .board
                .site_at(tx as i16 + back, ty as i16)
                .unwrap_or(rook_from);
            m.set(a.from, Cell::EMPTY);
            m.set(rook_from, Cell::EMPTY);
            m.set(a.to, king);
            m.set(rook_to, rook);
        }
        Move::Hop { .. } => {
            let mut piece = m.cell(a.from);
            piece.moved = true;
            m.set(a.from, Cell::EMPTY);
            let mut prev = a.from;
            let landings: Vec<Site> = std::iter::once(a.to)
                .chain(a.path().iter().copied())
                .collect();
            for &land in &landings {
                if a.captures
                    && let Some(mid) = between(rules, prev, land)
                {
                    m.set(mid, Cell::EMPTY);
                    done.captured += 1;
                }
                prev = land;
            }
            done.landed = prev;
            m.set(prev, piece);
        }
        Move::Step { .. } | Move::Slide { .. } | Move::Leap { .. } | Move::Count { .. } => {
            let mut piece = m.cell(a.from);
            piece.moved = true;
            if !m.cell(a.to).is_empty() {
                done.captured += 1;
            }
            if a.n == 1
                && let Some((_, pawn)) = passed
            {
                m.set(pawn, Cell::EMPTY);
                done.captured += 1;
            }
            m.set(a.from, Cell::EMPTY);
            m.set(a.to, piece);
            if let Move::Step {
                passing: true,
                distance: Some(d),
                ..
            } = rule.spec
                && d >= 2
                && let Some(over) = between_far(rules, a.from, a.to)
            {
                m.state.passed = Some((over, a.to));
            }
        }
        _ => {}
    }
    // Promotion where the piece lands.
    if done.landed != NONE && !matches!(rule.spec, Move::Add { .. } | Move::Drop { .. }) {
        let c = m.cell(done.landed);
        if !c.is_empty() && c.owner as usize == seat && promotes(m, seat, c.kind, done.landed) {
            let to = rules.kinds[c.kind as usize]
                .promote
                .as_ref()
                .and_then(|(to, _)| to.first().copied());
            let kind = if a.kind != NOBODY { Some(a.kind) } else { to };
            if let Some(k) = kind {
                m.set(done.landed, Cell { kind: k, ..c });
            }
        }
    }
    // A move with a second part: the same seat goes on from where the piece landed.
    if let Some(t) = rule.then
        && done.landed != NONE
    {
        m.state.part = Some((t as u16, done.landed));
    }
    done
}

/// The site jumped over between two sites two steps apart.
fn between(rules: &Rules, a: Site, b: Site) -> Option<Site> {
    (0..8u8).find_map(|d| {
        let mid = rules.board.step(a, d);
        (mid != NONE && rules.board.step(mid, d) == b).then_some(mid)
    })
}

/// The site just before `b` on the straight way from `a`.
fn between_far(rules: &Rules, a: Site, b: Site) -> Option<Site> {
    let (ax, ay) = rules.board.coords[a as usize];
    let (bx, by) = rules.board.coords[b as usize];
    let (dx, dy) = (
        (bx as i16 - ax as i16).signum(),
        (by as i16 - ay as i16).signum(),
    );
    VECTORS
        .iter()
        .position(|v| *v == (dx, dy))
        .and_then(|_| rules.board.site_at(bx as i16 - dx, by as i16 - dy))
}

/// Sows the seeds of pit `from` counter-clockwise; true if the last fell in the sower's store.
fn sow(m: &mut Match, seat: usize, from: Site, capture_opposite: bool) -> bool {
    let Shape::Pits { pits } = m.rules.board.shape else {
        return false;
    };
    let p = pits as usize;
    // Track: a1…(row 1, left to right), store1, row 2 right to left, store2.
    let mut track: Vec<usize> = (0..p).collect();
    track.push(2 * p);
    track.extend((p..2 * p).rev());
    track.push(2 * p + 1);
    let skip = if seat == 0 { 2 * p + 1 } else { 2 * p };
    let Some(mut i) = track.iter().position(|s| *s == from as usize) else {
        return false;
    };
    let mut seeds = m.cell(from).count;
    m.state.cells[from as usize].count = 0;
    let mut last = from as usize;
    while seeds > 0 {
        i = (i + 1) % track.len();
        if track[i] == skip {
            continue;
        }
        last = track[i];
        m.state.cells[last].count += 1;
        seeds -= 1;
    }
    let store = 2 * p + seat;
    let own_row = |s: usize| s / p == seat && s < 2 * p;
    if capture_opposite && own_row(last) && m.state.cells[last].count == 1 {
        let x = last % p;
        let opposite = (1 - seat) * p + x;
        let across = m.state.cells[opposite].count;
        if across > 0 {
            m.state.cells[store].count += across + 1;
            m.state.cells[opposite].count = 0;
            m.state.cells[last].count = 0;
        }
    }
    for s in 0..2 {
        m.state.scores[s] = i64::from(m.state.cells[2 * p + s].count);
    }
    last == store
}
