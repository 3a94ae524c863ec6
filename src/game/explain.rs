//! A game in plain sentences, generated from its rules (`!rules`, `palaver rules explain`):
//! the board, the pieces and how they move, captures, turns, and how the game ends.

use super::Rules;
use super::board::Shape;
use super::spec::*;

fn dir_words(dirs: &[Dir]) -> String {
    let w: Vec<&str> = dirs
        .iter()
        .map(|d| match d {
            Dir::All => "in any direction",
            Dir::Orthogonal => "orthogonally",
            Dir::Diagonal => "diagonally",
            Dir::Forward => "forward",
            Dir::Backward => "backward",
            Dir::Sideways => "sideways",
            Dir::ForwardDiagonal => "diagonally forward",
            Dir::BackwardDiagonal => "diagonally backward",
            Dir::E => "east",
            Dir::NE => "north-east",
            Dir::N => "north",
            Dir::NW => "north-west",
            Dir::W => "west",
            Dir::SW => "south-west",
            Dir::S => "south",
            Dir::SE => "south-east",
        })
        .collect();
    w.join(" or ")
}

fn target_words(t: Target) -> &'static str {
    match t {
        Target::Empty => " to an empty site",
        Target::Enemy => " only to capture",
        Target::NotOwn => ", capturing an enemy piece it lands on",
    }
}

fn region_words(r: &Region) -> String {
    match r {
        Region::All => "anywhere".into(),
        Region::Sites(s) => s.join(", "),
        Region::Rows(rows) => format!(
            "row {}",
            rows.iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Region::Columns(c) => format!("column {}", c.join(", ")),
        Region::Rank(n) => format!("its own row {n} (counted from its side)"),
        Region::HomeRow => "its home row".into(),
        Region::FarRow => "the far row".into(),
        Region::Dark => "dark squares".into(),
        Region::Light => "light squares".into(),
        Region::Edge => "the edge".into(),
        Region::Named(n) => format!("the {n}"),
        Region::Both(a, b) => format!("{} and {}", region_words(a), region_words(b)),
        Region::Either(a, b) => format!("{} or {}", region_words(a), region_words(b)),
        Region::Not(a) => format!("not {}", region_words(a)),
    }
}

/// One sentence for a move rule.
pub fn move_words(m: &Move) -> String {
    match m {
        Move::Add {
            piece,
            to,
            flank,
            shape,
            given,
            rotate,
            then,
        } => {
            let what = if piece.len() > 1 {
                format!("a {} (say which)", piece.join(" or "))
            } else if let Some(p) = piece.first() {
                format!("a {p}")
            } else {
                "a piece".into()
            };
            let mut s = if shape.is_empty() {
                format!("place {what} on an empty site")
            } else {
                let cover: Vec<String> = shape.iter().map(|(x, y)| format!("({x}, {y})")).collect();
                format!(
                    "place {what} covering an empty site and the sites at {} from it",
                    cover.join(", ")
                )
            };
            if *rotate {
                s += ", across or turned a quarter (name its first and last sites)";
            }
            if let Some(r) = to {
                s += &format!(" ({})", region_words(r));
            }
            if *flank {
                s += " where it encloses a line of enemy pieces between it and one of yours; they turn to your side";
            }
            if *given {
                s = "place the piece you were given on an empty site".into();
            }
            if let Some(t) = then {
                s += &format!(", then {}", move_words(t));
            }
            s
        }
        Move::Drop { .. } => "drop a piece into a column; it falls to the lowest empty site".into(),
        Move::Step {
            dirs,
            to,
            distance,
            from,
            passing,
            en_passant,
            then,
        } => {
            let n = distance.map_or("one site".into(), |d| format!("{d} sites"));
            let mut s = format!("step {n} {}{}", dir_words(dirs), target_words(*to));
            if let Some(r) = from {
                s += &format!(", from {}", region_words(r));
            }
            if *passing {
                s += " (it may be taken in passing)";
            }
            if *en_passant {
                s += ", or capture a piece that just passed it";
            }
            if let Some(t) = then {
                s += &format!(", then {}", move_words(t));
            }
            s
        }
        Move::Slide {
            dirs,
            to,
            max,
            put,
            then,
        } => {
            let far = max.map_or("any distance".into(), |m| format!("up to {m} sites"));
            let mut s = match put {
                Some(p) => format!(
                    "from there, put a {p} {far} away {} through empty sites",
                    dir_words(dirs)
                ),
                None => format!(
                    "slide {far} {} through empty sites{}",
                    dir_words(dirs),
                    target_words(*to)
                ),
            };
            if let Some(t) = then {
                s += &format!("; then {}", move_words(t));
            }
            s
        }
        Move::Count { dirs } => format!(
            "move {} exactly as many sites as there are pieces on that line, over your own pieces but not the enemy's, capturing an enemy piece it lands on",
            dir_words(dirs)
        ),
        Move::Leap { offsets, to } => {
            let o: Vec<String> = offsets.iter().map(|(a, b)| format!("{a},{b}")).collect();
            format!(
                "leap by ({}) in any orientation, over anything{}",
                o.join("; "),
                target_words(*to)
            )
        }
        Move::Hop {
            dirs,
            over,
            capture,
            chain,
        } => {
            let whom = match over {
                Over::Enemy => "an enemy piece",
                Over::Own => "one of your pieces",
                Over::Any => "any piece",
            };
            let mut s = format!(
                "jump {} over {whom} to the empty site beyond",
                dir_words(dirs)
            );
            if *capture {
                s += ", capturing it";
            }
            if *chain {
                s += ", and keep jumping while you can";
            }
            s
        }
        Move::Castle { with, distance } => format!(
            "castle: move {distance} sites toward an unmoved {with}, which jumps to the other side (neither may have moved, the sites between must be empty and not attacked)"
        ),
        Move::Sow { capture_opposite } => {
            let mut s = "take all the seeds of one of your pits and sow them one by one counter-clockwise, into your store but not your opponent's".to_owned();
            if *capture_opposite {
                s += "; a last seed in an empty pit of yours takes it and the seeds opposite into your store";
            }
            s
        }
        Move::Take { min, max } => match max {
            Some(max) => format!("take {min} to {max} from one pile"),
            None => format!("take {min} or more from one pile"),
        },
        Move::Pass => "pass".into(),
        Move::Give => {
            "give your opponent the piece it must place next (from the pieces not yet played)"
                .into()
        }
        Move::Pick { to, solve } => {
            let mut s = format!("pick a card of the deck by name (it is not used up) into the {to}");
            if let Some(z) = solve {
                s += &format!(", or guess the whole {z}: a wrong guess is a miss");
            }
            s
        }
        Move::Crack => "guess the hidden code; the reply tells how many symbols are right and in the right place, and how many are right but misplaced".into(),
        Move::SetCode => "set the hidden code, in private (once, before anyone guesses)".into(),
        Move::Shoot { to, miss } => {
            let mut s = "fire at a site not fired at before".to_owned();
            if let Some(r) = to {
                s += &format!(" ({})", region_words(r));
            }
            s + &format!(
                ": the reply is hit (sunk when the last of that piece is hit), or miss (a {miss} marks the site)"
            )
        }
        Move::Roll { bust } => {
            let b: Vec<String> = bust.iter().map(u8::to_string).collect();
            format!(
                "roll the die: the value adds to the turn's total, but a {} loses it and ends the turn",
                b.join(" or ")
            )
        }
        Move::Hold => "hold: bank the turn's total and end the turn".into(),
        Move::PlayCard { from, to, matching, wild, follow } => {
            let mut s = format!("play a card from your {from} onto the {to}");
            if *follow {
                s += ", following the suit led if you can";
            }
            if !matching.is_empty() {
                let k: Vec<&str> = matching
                    .iter()
                    .map(|k| match k {
                        Matching::Suit => "suit",
                        Matching::Rank => "rank",
                    })
                    .collect();
                s += &format!(", matching the top card's {}", k.join(" or "));
            }
            if !wild.is_empty() {
                s += &format!(
                    "; a {} is wild: play it on anything and name the suit to follow",
                    wild.join(" or ")
                );
            }
            s
        }
        Move::Draw { from, to, stuck, again, word, refill } => {
            let w = word.as_deref().unwrap_or("draw");
            let mut s = format!("{w}: take the top card of the {from} into your {to}");
            if *stuck {
                s += ", only when you cannot play";
            }
            if let Some(r) = refill {
                s += &format!(" (an empty {from} is refilled from the {r})");
            }
            s += if *again { "; you may go on" } else { "; your turn ends" };
            s
        }
        Move::Stand => "stand: you are done for this game".into(),
        Move::Throw { zone, times } => format!(
            "roll your {zone}, then up to {} more times keep some and roll the others again (keep 6 6)",
            times.saturating_sub(1)
        ),
        Move::Fill => "score your dice in a category you have not filled (score NAME); your turn ends".into(),
        Move::Bid { wild, .. } => {
            let mut s = "bid that at least so many dice of a face show among everyone's dice (bid 3 5s): more dice than the last bid, or as many of a higher face".to_owned();
            if let Some(w) = wild {
                s += &format!("; {w}s are wild");
            }
            s
        }
        Move::Challenge => "challenge the last bid: every die is shown; if the bid is short its bidder loses a die, otherwise you do; everyone rolls again and the loser starts".into(),
        Move::Advance => "roll the die and move your pawn that many squares along the track".into(),
        Move::Only(seat, m) => format!("{seat} only: {}", move_words(m)),
    }
}

/// How each kind of move is typed, with an example.
pub fn syntax(rules: &Rules) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let b = &rules.board;
    let site = match b.shape {
        Shape::Dots => "a1-b1",
        Shape::Grid { .. } => "b2",
        _ => "1",
    };
    for r in &rules.moves {
        let s = match &r.spec {
            Move::Add { piece, .. } if piece.len() > 1 => {
                let k = rules.kind(&piece[0]).map_or('?', |k| rules.mark(k, 0));
                format!("{k} {site}")
            }
            Move::Add {
                piece,
                rotate: true,
                shape,
                ..
            } => {
                let k = piece.first().cloned().unwrap_or_else(|| "piece".into());
                let (dx, dy) = shape.last().copied().unwrap_or((0, 0));
                let last = b
                    .site_at(dx.max(0).into(), dy.max(0).into())
                    .map_or("?", |s| b.name(s));
                format!("{k} a1-{last} (first and last site)")
            }
            Move::Add { .. } => site.into(),
            Move::Shoot { .. } => format!("{site} (fire)"),
            Move::SetCode => rules.file.code.as_ref().map_or("?".into(), |c| {
                let code: String = c.symbols.chars().cycle().take(c.length as usize).collect();
                format!("{code} (the code, in private)")
            }),
            Move::Drop { .. } => "c (a column)".into(),
            Move::Step { .. } | Move::Leap { .. } | Move::Count { .. } => {
                "b1-b2 (x to capture: b1xc2)".into()
            }
            Move::Slide { put: Some(_), .. } => {
                "b1-b5/d5 (the piece's move, then where the new piece goes)".into()
            }
            Move::Slide { .. } => "b1-b5".into(),
            Move::Hop { .. } => "c3xe5 (or c3xe5xc7)".into(),
            Move::Castle { .. } => "e1-g1 (the royal piece's two steps)".into(),
            Move::Sow { .. } => "c1 (a pit of your row)".into(),
            Move::Take { .. } => "take 2 from 1".into(),
            Move::Pass => "pass".into(),
            Move::Give => {
                let k = r.kinds.first().map_or('?', |k| rules.mark(*k, 0));
                format!("give {k}")
            }
            Move::Pick { .. } => super::zones::card_name(rules, 0),
            Move::Crack => rules.file.code.as_ref().map_or("?".into(), |c| {
                c.symbols.chars().cycle().take(c.length as usize).collect()
            }),
            Move::Roll { .. } => "roll".into(),
            Move::Hold => "hold".into(),
            Move::PlayCard { wild, .. } => {
                let mut s = "7h (a card: rank then suit)".to_owned();
                if let Some(w) = wild.first() {
                    s += &format!("; {w}c h (a wild card, then the suit to follow)");
                }
                s
            }
            Move::Draw { word, .. } => word.clone().unwrap_or_else(|| "draw".into()),
            Move::Stand => "stand".into(),
            Move::Throw { .. } => "roll; keep 6 6".into(),
            Move::Fill => rules
                .file
                .sheet
                .as_ref()
                .and_then(|s| s.categories.first())
                .map_or("score ?".into(), |c| format!("score {}", c.name)),
            Move::Bid { .. } => "bid 3 5s".into(),
            Move::Challenge => "challenge".into(),
            Move::Advance => "roll".into(),
            Move::Only(..) => continue,
        };
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if rules
        .kinds
        .iter()
        .any(|k| k.promote.as_ref().is_some_and(|(to, _)| to.len() > 1))
    {
        out.push("e7-e8=Q (promotion)".into());
    }
    out
}

fn verdict_words(v: &Verdict, concerned: &str) -> String {
    match v {
        Verdict::Win => format!("{concerned} wins"),
        Verdict::Lose => format!("{concerned} loses"),
        Verdict::Draw => "it is a draw".into(),
        Verdict::WinFor(s) => format!("{s} wins"),
        Verdict::Most(c) => format!(
            "most {} wins",
            match c {
                Count::Pieces => "pieces on the board",
                Count::Score => "points",
                Count::Tricks => "tricks won",
                Count::Area => "area (stones and the empty sites they alone surround)",
            }
        ),
    }
}

fn end_words(e: &End) -> String {
    match e {
        End::Line {
            length,
            blocks: true,
            verdict,
            ..
        } => format!(
            "{length} won sub-boards in a row: {}",
            verdict_words(verdict, "their owner")
        ),
        End::Line {
            length,
            exact,
            same,
            verdict,
            ..
        } => {
            let of = match same {
                Same::Owner => "of one seat's pieces",
                Same::Kind => "of the same kind (whoever placed them)",
                Same::Trait => "pieces sharing a trait (whoever placed them)",
            };
            let n = if *exact { format!("exactly {length}") } else { format!("{length}") };
            format!("{n} {of} in a row (across, up or diagonally): {}", verdict_words(verdict, "its owner"))
        }
        End::Full(v) => format!("a full board: {}", verdict_words(v, "the last to move")),
        End::NoMove(NoMove::Lose) => "a player who cannot move loses".into(),
        End::NoMove(NoMove::Draw) => "a player who cannot move: a draw".into(),
        End::NoMove(NoMove::Pass) => "a player who cannot move passes".into(),
        End::Blocked(v) => format!("when nobody can move: {}", verdict_words(v, "the last to move")),
        End::Checkmate => "a player whose king is attacked and who cannot move loses (checkmate); one who cannot move otherwise draws (stalemate)".into(),
        End::Reach(r) => format!("a piece reaching {} wins", region_words(r)),
        End::Fewer { n, seat } => {
            let who = seat.clone().unwrap_or_else(|| "a player".into());
            if *n == 1 {
                format!("{who} with no pieces left loses")
            } else {
                format!("{who} with fewer than {n} pieces loses")
            }
        }
        End::Connected => "a player whose pieces are all connected in one group wins".into(),
        End::Connect => "the first seat joining the bottom row to the top, or the second the left column to the right, wins".into(),
        End::Repetition(n) => format!("the same position {n} times: a draw"),
        End::Quiet(n) => format!("{n} moves in a row without a capture or a pawn-like piece moving: a draw"),
        End::PilesEmpty(v) => format!("when every pile is empty, {}", verdict_words(v, "whoever took the last one")),
        End::Score(n) => format!("the first to {n} points wins"),
        End::Captured(n) => format!("the first to capture {n} pieces wins"),
        End::Passes(n, v) => format!("{n} passes in a row end the game: {}", verdict_words(v, "the last to pass")),
        End::SideEmpty => "when one row of pits is empty, each player adds the seeds on its side to its store; most in store wins".into(),
        End::Rounds(n) => format!("after {n} rounds, most rounds won wins"),
        End::Found { zone, misses } => format!("every card of the {zone} shown: everyone wins; {misses} misses: nobody does"),
        End::Cracked => "the code cracked: the guessers win; out of guesses: nobody does (or the code's maker wins)".into(),
        End::AllHit(v) => format!("when every hidden piece of a player has been hit, {}", verdict_words(v, "that player")),
        End::Emptied(z, Verdict::Lose) => format!("a player with no {z} left is out; the last one left wins"),
        End::Emptied(z, v @ Verdict::Most(_)) => format!("when every player's {z} is empty: {}", verdict_words(v, "the last to move")),
        End::Emptied(z, v) => format!("a player with no {z} left: {}", verdict_words(v, "that player")),
        End::Filled(v) => format!("when every category is filled: {}", verdict_words(v, "the last to move")),
        End::Finish => "the first pawn on the last square wins".into(),
        End::Showdown(z, limit) => format!("a {z} worth more than {limit} busts; when everyone has stood or bust, the house plays, and each player whose {z} beats the house's (or who has not bust when the house busts) wins"),
    }
}

fn capture_words(c: &Capture) -> String {
    match c {
        Capture::Custodial { length, exact } => {
            let n = if *exact { format!("exactly {length}") } else if *length == 1 { "one".into() } else { format!("up to {length}") };
            format!("enemy pieces ({n} in a line) enclosed between the piece just moved and another of the mover's are captured")
        }
        Capture::ClaimBlock { length } => format!("{length} in a row inside a sub-board wins that sub-board; a won or full sub-board takes no more pieces"),
        Capture::Claim => "a box whose four lines are drawn goes to whoever drew the last one, a point each".into(),
        Capture::Enclose => "enemy groups left without an empty neighbour are captured; a move that leaves its own group without one is refused".into(),
    }
}

/// The whole explanation: description, then generated sentences.
pub fn explain(rules: &Rules) -> String {
    let f = &rules.file;
    let p = &f.players;
    let players = if p.min == p.max {
        format!("{} players", p.min)
    } else {
        format!("{} to {} players", p.min, p.max)
    };
    let mut lines = vec![
        format!("{} — {}", f.name, f.description),
        format!("{players}; seats: {}.", p.seats.join(", ")),
    ];
    let b = &rules.board;
    match b.shape {
        Shape::Grid { hex } => lines.push(format!(
            "Board: {} {}x{}; sites are named by column letter and row number (a1 at the bottom left).",
            if hex { "hexagons," } else { "squares," },
            b.width,
            b.height
        )),
        Shape::Piles => lines.push(format!(
            "Piles: {} (named 1, 2, 3…).",
            b.counts.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
        )),
        Shape::Pits { pits } => lines.push(format!(
            "Pits: two rows of {pits} (a1… on the first seat's side, a2… on the second's), a store at each player's right."
        )),
        Shape::Dots => lines.push(format!(
            "Board: {}x{} dots; a move draws a line between two neighbouring dots, named by them (a1-b1).",
            b.width, b.height
        )),
        Shape::None => {}
    }
    for m in &f.moves {
        lines.push(format!("Move: {}.", move_words(m)));
    }
    for (i, k) in rules.kinds.iter().enumerate() {
        let spec = f.pieces.get(i);
        if spec.is_none() {
            continue;
        }
        let marks: String = k.marks.iter().collect();
        let mut s = format!("{} ({marks})", k.name);
        if !k.traits.is_empty() {
            s += &format!(": {}", k.traits.join(", "));
        }
        if k.royal {
            s += ", royal: it may not be left attacked";
        }
        if let Some(supply) = k.supply {
            s += &format!(", {supply} each");
        }
        let moves: Vec<String> =
            spec.map_or(Vec::new(), |p| p.moves.iter().map(move_words).collect());
        if !moves.is_empty() {
            s += &format!(": {}", moves.join("; or "));
        }
        if let Some(pr) = spec.and_then(|p| p.promote.as_ref()) {
            s += &format!(
                "; on reaching {} it becomes a {}",
                region_words(&pr.at),
                pr.to.join(" or ")
            );
        }
        lines.push(format!("Piece: {s}."));
    }
    for c in &f.captures {
        lines.push(format!("Capture: {}.", capture_words(c)));
    }
    if f.send {
        lines.push("Where you play inside a sub-board names the sub-board your opponent must play in next; if that one is won or full, anywhere.".into());
    }
    if f.must_capture {
        lines.push("Capturing is compulsory.".into());
    }
    if f.repetition == Repetition::Superko {
        lines.push("A move may not recreate an earlier position (superko).".into());
    }
    if f.extra_turn.contains(&Event::InStore) {
        lines.push("A last seed in your own store gives you another turn.".into());
    }
    if f.extra_turn.contains(&Event::Claimed) {
        lines.push("Claiming a box gives you another turn.".into());
    }
    for (seat, b) in &f.bonus {
        lines.push(format!("{seat} gets {b} extra at the count."));
    }
    lines.extend(super::zones::explain(f));
    lines.extend(super::tricks::explain(f));
    let ends: Vec<String> = f.end.iter().map(end_words).collect();
    lines.push(format!("End: {}.", ends.join("; ")));
    lines.push(format!("Type moves like: {}.", syntax(rules).join("; ")));
    if let Some(c) = &f.clock {
        lines.push(format!(
            "Clock: {} s per move; when it runs out the player {}.",
            c.per_move_secs,
            match c.on_timeout {
                OnTimeout::Forfeit => "loses",
                OnTimeout::Skip => "is skipped",
            }
        ));
    }
    lines.join("\n")
}
