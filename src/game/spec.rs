//! The rules file as written (RON). Every struct and enum refuses unknown fields, so a typo is
//! a mistake at its place, never a silently different game. `rules/README.md` documents each
//! construct; `DESIGN.md` says which module interprets it.

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "rules")]
pub struct RulesFile {
    pub id: String,
    pub name: String,
    pub description: String,
    pub players: Players,
    #[serde(default)]
    pub board: Option<BoardSpec>,
    /// Named regions: `[("centre", Sites(["d4", "e4"]))]`.
    #[serde(default)]
    pub regions: Vec<(String, Region)>,
    /// Piece types; without them each seat has one kind of stone marked by its initial.
    #[serde(default)]
    pub pieces: Vec<PieceSpec>,
    #[serde(default)]
    pub setup: Vec<Setup>,
    #[serde(default)]
    pub dice: Option<DiceSpec>,
    /// A hidden code drawn by the game's generator, to be cracked with `Crack` guesses.
    #[serde(default)]
    pub code: Option<CodeSpec>,
    /// The cards: `(deck: Standard52)` or `(deck: Deck(suits: "rgby", ranks: ["1", "2"], copies: 2))`.
    #[serde(default)]
    pub cards: Option<CardSpec>,
    /// Ordered lists of cards or dice beside the board (hands, a deck, piles, dice pools).
    #[serde(default)]
    pub zones: Vec<ZoneSpec>,
    /// Zones shown to everyone at a named event: `[(zone: "choice", at: Chosen)]`.
    #[serde(default)]
    pub reveal: Vec<RevealSpec>,
    /// Cards dealt at the start, in order: `("deck", "hand", 7)` (to each seat for a seat's zone).
    #[serde(default)]
    pub deal: Vec<(String, String, u16)>,
    /// Scoring categories each seat fills once (`Fill`), with bonuses.
    #[serde(default)]
    pub sheet: Option<SheetSpec>,
    /// A numbered track with one pawn per seat, moved by the dice (`Advance`).
    #[serde(default)]
    pub track: Option<TrackSpec>,
    /// A house that plays by a rule once every seat is done (a blackjack dealer).
    #[serde(default)]
    pub house: Option<HouseSpec>,
    /// Trick-taking: the shared zone the cards of a trick go to, the trump suit, where won
    /// tricks go.
    #[serde(default)]
    pub trick: Option<TrickSpec>,
    #[serde(default)]
    pub turns: Turns,
    /// Moves any seat may make, beside its pieces' own moves.
    #[serde(default)]
    pub moves: Vec<Move>,
    /// Captures that follow every move.
    #[serde(default)]
    pub captures: Vec<Capture>,
    /// A seat that can capture must.
    #[serde(default)]
    pub must_capture: bool,
    /// A seat that can still place a piece must (placing phase, then moving).
    #[serde(default)]
    pub place_first: bool,
    /// Where a move lands inside its sub-board names the sub-board the next seat must play in
    /// (ultimate tic-tac-toe); if that one is closed, anywhere.
    #[serde(default)]
    pub send: bool,
    /// Positions may not repeat: `Ko` (the one before last) or `Superko` (any earlier).
    #[serde(default)]
    pub repetition: Repetition,
    /// Points added to a seat's count at the end (komi): `[("white", 7.5)]`.
    #[serde(default)]
    pub bonus: Vec<(String, f64)>,
    /// Events that give the mover another turn.
    #[serde(default)]
    pub extra_turn: Vec<Event>,
    pub end: Vec<End>,
    #[serde(default)]
    pub clock: Option<ClockSpec>,
    #[serde(default)]
    pub examples: Vec<Example>,
}

/// How many play, and the seats' names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "players")]
pub struct Players {
    pub min: usize,
    pub max: usize,
    pub seats: Vec<String>,
    /// Each seat's forward direction (default: the first `N`, the second `S`, then `E`, `W`).
    #[serde(default)]
    pub forward: Vec<Compass>,
}

/// The board: a graph of sites.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum BoardSpec {
    /// A `width` × `height` grid of squares, each touching its 8 neighbours.
    Square(u8, u8),
    /// A `width` × `height` rhombus of hexagons, each touching 6.
    Hex(u8, u8),
    /// Any grid: cell shape, links, and a mask of the cells that exist.
    Grid {
        width: u8,
        height: u8,
        #[serde(default)]
        cells: Cells,
        #[serde(default)]
        links: Links,
        /// Rows from the top; a space is no cell, anything else is one.
        #[serde(default)]
        mask: Vec<String>,
        /// Sub-boards of this many columns and rows (ultimate tic-tac-toe: `Some((3, 3))`).
        #[serde(default)]
        blocks: Option<(u8, u8)>,
    },
    /// Piles of objects, named 1, 2, 3…: `Piles([3, 4, 5])`.
    Piles(Vec<u16>),
    /// Two rows of `pits` pits with `seeds` each, and a store at each seat's right.
    Pits { pits: u8, seeds: u16 },
    /// A `width` × `height` grid of dots; the sites are the lines between neighbouring dots
    /// (`a1-b1`), and the squares they close are boxes.
    Dots(u8, u8),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Cells {
    #[default]
    Square,
    Hex,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Links {
    /// Orthogonal and diagonal neighbours.
    #[default]
    All,
    /// Orthogonal neighbours only.
    Orthogonal,
    /// Orthogonal, plus diagonals at every other point (alquerque, morris, fox and geese).
    Alquerque,
}

/// Absolute directions; `N` is up the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Compass {
    E,
    NE,
    N,
    NW,
    W,
    SW,
    S,
    SE,
}

/// Directions, absolute or relative to the moving seat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Dir {
    All,
    Orthogonal,
    Diagonal,
    Forward,
    Backward,
    Sideways,
    ForwardDiagonal,
    BackwardDiagonal,
    E,
    NE,
    N,
    NW,
    W,
    SW,
    S,
    SE,
}

/// A set of sites, possibly relative to the seat it is read for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Region {
    All,
    Sites(Vec<String>),
    /// Absolute rows, 1 at the bottom.
    Rows(Vec<u8>),
    /// Columns by letter.
    Columns(Vec<String>),
    /// The nth row counted from the seat's own side (1 is its home row).
    Rank(u8),
    HomeRow,
    FarRow,
    /// Squares of a1's colour, and the others.
    Dark,
    Light,
    Edge,
    Named(String),
    Both(Box<Region>, Box<Region>),
    Either(Box<Region>, Box<Region>),
    Not(Box<Region>),
}

/// A kind of piece.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "piece")]
pub struct PieceSpec {
    pub name: String,
    /// One mark per seat (`"Kk"`), or one for a piece nobody owns.
    #[serde(default)]
    pub marks: Option<String>,
    #[serde(default)]
    pub moves: Vec<Move>,
    #[serde(default)]
    pub promote: Option<Promote>,
    /// Its seat may not leave it attacked (check).
    #[serde(default)]
    pub royal: bool,
    /// Its moves reset the quiet-move count (pawns, men).
    #[serde(default)]
    pub progress: bool,
    /// How many each seat has to place (`None`: as many as needed).
    #[serde(default)]
    pub supply: Option<u16>,
    /// Owned by nobody (an arrow, a neutral stone); neutral pieces with a supply come from
    /// one pool shared by all seats.
    #[serde(default)]
    pub neutral: bool,
    /// Attributes a line may share (`Line(same: Trait)`): `["tall", "dark"]`.
    #[serde(default)]
    pub traits: Vec<String>,
    /// Who sees pieces of this kind on the board: `Public` (everyone, the default), `Owner`
    /// (a secret fleet), `Nobody`. Others see an empty site until a `Shoot` hits the piece or
    /// the game ends.
    #[serde(default)]
    pub hidden: Visibility,
}

/// Who may see a piece (or a code): shown in that seat's view, never in the public one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Visibility {
    #[default]
    Public,
    /// Only the seat that owns it.
    Owner,
    /// No seat (a face-down piece), until revealed.
    Nobody,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "promote")]
pub struct Promote {
    /// The piece it may become; more than one is a choice (`e8=Q`).
    pub to: Vec<String>,
    pub at: Region,
}

/// What a destination may hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Target {
    Empty,
    Enemy,
    /// Empty, or an enemy piece, captured (the default).
    #[default]
    NotOwn,
}

/// What a hop may jump over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Over {
    #[default]
    Enemy,
    Own,
    Any,
}

/// A kind of move.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Move {
    /// Put a piece on an empty site (`b3`); with `flank`, only where it encloses enemy lines,
    /// which turn over. `piece` names the kind (several: the player says which, `X b3`).
    Add {
        #[serde(default)]
        piece: Vec<String>,
        #[serde(default)]
        to: Option<Region>,
        #[serde(default)]
        flank: bool,
        /// More sites covered at once, as offsets from the one named (a domino: `[(0, 1)]`).
        #[serde(default)]
        shape: Vec<(i8, i8)>,
        /// Only the piece the previous seat gave (`Give`).
        #[serde(default)]
        given: bool,
        /// The `shape` may also be laid turned a quarter (a ship across or down); the move
        /// then names its first and last sites (`cruiser a1-a3`).
        #[serde(default)]
        rotate: bool,
        /// A second part of the same turn.
        #[serde(default)]
        then: Option<Box<Move>>,
    },
    /// Choose the neutral piece the next seat must place (`give A`).
    Give,
    /// Drop a piece into a column (`d`): it falls to the lowest empty site.
    Drop {
        #[serde(default)]
        piece: Option<String>,
    },
    /// One site (or exactly `distance`, through empty sites) in each direction.
    Step {
        #[serde(default = "all_dirs")]
        dirs: Vec<Dir>,
        #[serde(default)]
        to: Target,
        #[serde(default)]
        distance: Option<u8>,
        #[serde(default)]
        from: Option<Region>,
        /// The site passed over may be taken en passant on the next turn.
        #[serde(default)]
        passing: bool,
        /// May capture a piece that just passed (en passant).
        #[serde(default)]
        en_passant: bool,
        #[serde(default)]
        then: Option<Box<Move>>,
    },
    /// Any distance through empty sites (up to `max`).
    Slide {
        #[serde(default = "all_dirs")]
        dirs: Vec<Dir>,
        #[serde(default)]
        to: Target,
        #[serde(default)]
        max: Option<u8>,
        /// Leave the piece and put a new `put` piece on the destination (an arrow).
        #[serde(default)]
        put: Option<String>,
        #[serde(default)]
        then: Option<Box<Move>>,
    },
    /// Exactly as many sites as there are pieces (anyone's) on the line it moves along,
    /// passing its own pieces but not enemies; landing on an enemy captures it (Lines of Action).
    Count {
        #[serde(default = "all_dirs")]
        dirs: Vec<Dir>,
    },
    /// Jump by fixed offsets (`(1, 2)`: its rotations and reflections too).
    Leap {
        offsets: Vec<(i8, i8)>,
        #[serde(default)]
        to: Target,
    },
    /// Jump over an adjacent piece to the empty site beyond; `chain`: go on while one can.
    Hop {
        #[serde(default = "all_dirs")]
        dirs: Vec<Dir>,
        #[serde(default)]
        over: Over,
        #[serde(default = "yes")]
        capture: bool,
        #[serde(default)]
        chain: bool,
    },
    /// The piece moves `distance` toward an unmoved `with` piece on its row, which jumps over
    /// to its other side (castling); neither may be attacked or pass an attacked site.
    Castle {
        with: String,
        #[serde(default = "two")]
        distance: u8,
    },
    /// Lift all the seeds of one's pit and sow one per pit along the track.
    Sow {
        /// The last seed in one's own empty pit takes the seeds opposite.
        #[serde(default)]
        capture_opposite: bool,
    },
    /// Take between `min` and `max` objects from one pile (`take 2 from 1`).
    Take {
        #[serde(default = "one")]
        min: u16,
        #[serde(default)]
        max: Option<u16>,
    },
    Pass,
    /// Put a card of the deck (any: the deck names what may be picked, it is not used up)
    /// into `to`: one's own slot of a seat's zone, holding one card at a time (a secret
    /// choice); or a shared zone, each card once (a letter guessed). `solve`: a whole word
    /// typed is checked against that zone's cards; right, its letters go into `to`, wrong, it
    /// is a miss.
    Pick {
        to: String,
        #[serde(default)]
        solve: Option<String>,
    },
    /// Guess the hidden code (`RGBY`); the reply counts symbols in the right place (black)
    /// and right symbols in the wrong place (white).
    Crack,
    /// Set the hidden code in secret (the `code`'s `maker` seat, once).
    SetCode,
    /// Fire at a site (in `to`, read for the shooter) not fired at before: a hidden piece
    /// there is hit and the reply says `hit`, or `sunk` when every piece of that kind and
    /// owner is hit; otherwise a `miss` piece marks the site.
    Shoot {
        #[serde(default)]
        to: Option<Region>,
        miss: String,
    },
    /// Roll the dice; a `bust` value loses the turn's total and ends the turn.
    Roll {
        bust: Vec<u8>,
    },
    /// Bank the turn's total.
    Hold,
    /// Play a card from one's `from` zone onto `to` (`7h`); it must match the top card by one
    /// of `matching`; `wild` ranks match anything and name the suit to follow (`8c h`).
    PlayCard {
        from: String,
        to: String,
        #[serde(default)]
        matching: Vec<Matching>,
        #[serde(default)]
        wild: Vec<String>,
        /// A trick is being played: a seat holding a card of the led suit must play one.
        #[serde(default)]
        follow: bool,
    },
    /// Take the top card of `from` into one's `to` (`draw`, or `word`). An empty `from` is
    /// refilled from `refill` (all but its top card, shuffled). `stuck`: only when no card can
    /// be played. `again`: the turn goes on.
    Draw {
        from: String,
        to: String,
        #[serde(default)]
        refill: Option<String>,
        #[serde(default)]
        stuck: bool,
        #[serde(default)]
        again: bool,
        #[serde(default)]
        word: Option<String>,
    },
    /// Done for this game (`stand`): the seat is skipped from now on.
    Stand,
    /// Roll one's dice in `zone` (`roll`), then keep some and roll the others again
    /// (`keep 6 6`), up to `times` rolls a turn.
    Throw {
        zone: String,
        #[serde(default = "three")]
        times: u8,
    },
    /// Score the dice in an unfilled category of the sheet (`score fours`); the turn passes.
    Fill,
    /// Claim that at least a quantity of a face shows among every seat's dice in `zone`
    /// (`bid 3 5s`): more dice than the last bid, or as many of a higher face. `wild`: that
    /// face counts as any other.
    Bid {
        zone: String,
        #[serde(default)]
        wild: Option<u8>,
    },
    /// Call the last bid (`challenge`): every die is shown; if the bid was short its bidder
    /// loses a die, else the challenger does; all dice are rolled again and the loser starts.
    Challenge,
    /// Roll the dice and move one's pawn that many squares along the track (`roll`).
    Advance,
    /// A move only this seat may make: `Only("fox", Hop(…))`.
    Only(String, Box<Move>),
}

fn all_dirs() -> Vec<Dir> {
    vec![Dir::All]
}
fn yes() -> bool {
    true
}
fn one() -> u16 {
    1
}
fn two() -> u8 {
    2
}
fn three() -> u8 {
    3
}

/// Captures that follow a move.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Capture {
    /// Enemy pieces enclosed in a line between the moved piece and another of the mover's:
    /// `length` of them (`exact`: exactly that many).
    Custodial {
        #[serde(default = "one")]
        length: u16,
        #[serde(default)]
        exact: bool,
    },
    /// Enemy groups left without an empty neighbour are removed; a move that leaves its own
    /// group so is refused (suicide).
    Enclose,
    /// A box whose four lines are drawn goes to the mover: a point each (`Dots` boards).
    Claim,
    /// A line of `length` inside a sub-board wins that sub-board for the mover; a full one
    /// is won by nobody. Won or full sub-boards take no more pieces.
    ClaimBlock { length: u8 },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Repetition {
    #[default]
    Allowed,
    /// A move may not recreate any earlier position (positional superko).
    Superko,
}

/// Events that give the mover another turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Event {
    /// The last seed fell in the mover's store.
    InStore,
    /// The move claimed a box.
    Claimed,
}

/// How pieces are put on the board at the start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Setup {
    /// `Put("white", "d4 e5")`, or with a kind `Put("white queen", "d1")`.
    Put(String, String),
    /// Every site of a region: `Fill("black man", Both(Rows([1, 2, 3]), Dark))`.
    Fill(String, Region),
    /// Rows from the top, `/` between, pieces by mark, digits for empty runs.
    Fen(String),
}

/// The cards of a game.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "cards")]
pub struct CardSpec {
    #[serde(default)]
    pub deck: DeckKind,
    /// Points per rank, in rank order (default: 1 for the first rank, 2 for the next…).
    #[serde(default)]
    pub values: Vec<i64>,
    /// One card of the first rank counts this much more when the total stays within the
    /// limit (a soft ace: 10).
    #[serde(default)]
    pub soft: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub enum DeckKind {
    /// Ranks A 2 … 10 J Q K in suits s h d c.
    #[default]
    Standard52,
    /// `copies` of every rank in every suit (one character each), and `jokers`.
    Deck {
        suits: String,
        ranks: Vec<String>,
        #[serde(default = "one")]
        copies: u16,
        #[serde(default)]
        jokers: u16,
    },
}

/// A zone: an ordered list of cards or dice, one per seat or one shared.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "zone")]
pub struct ZoneSpec {
    pub name: String,
    /// One per seat (a hand); otherwise one shared by all (a deck, a pile).
    #[serde(default)]
    pub per_seat: bool,
    /// Who sees what it holds: `Public`, `Owner` (its seat), `Nobody`; all is shown at the end.
    #[serde(default)]
    pub visible: Visibility,
    /// Only the top card is shown (a discard pile); the others are counted.
    #[serde(default)]
    pub top: bool,
    /// It starts with every card, shuffled.
    #[serde(default)]
    pub deck: bool,
    /// It holds dice: (how many, sides), rolled at the start.
    #[serde(default)]
    pub dice: Option<(u8, u8)>,
    /// It starts with a word drawn from this list in `assets/` (one card per letter; the
    /// deck's ranks are the letters).
    #[serde(default)]
    pub words: Option<String>,
}

/// A zone shown to everyone `at` an event rather than only at the end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "reveal")]
pub struct RevealSpec {
    pub zone: String,
    pub at: RevealAt,
    /// When cards revealed together are compared (a round of secret choices): (winner,
    /// loser) by card name. A seat whose card beats another's and is beaten by none wins
    /// the round.
    #[serde(default)]
    pub beats: Vec<(String, String)>,
}

/// The events a reveal waits for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum RevealAt {
    /// Every seat has a card in its slot of the zone (every secret choice made): the cards
    /// are announced, compared by `beats`, and set aside for the next round.
    Chosen,
    /// Each card is shown once a card of the same name is in the named zone (a letter of a
    /// hidden word, once guessed).
    Matched(String),
}

/// A score sheet: categories each seat fills once, and bonuses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "sheet")]
pub struct SheetSpec {
    /// The dice zone the categories score.
    pub zone: String,
    pub categories: Vec<CategorySpec>,
    /// `(["ones", "twos"], 63, 35)`: those categories totalling at least 63 earn 35 more.
    #[serde(default)]
    pub bonus: Vec<(Vec<String>, i64, i64)>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "category")]
pub struct CategorySpec {
    pub name: String,
    /// What the dice must show to score (otherwise 0).
    #[serde(default)]
    pub when: Pattern,
    pub points: Points,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Pattern {
    #[default]
    Any,
    /// At least n dice show the same face.
    OfAKind(u8),
    /// Three of one face and two of another.
    FullHouse,
    /// n faces in a row.
    Straight(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Points {
    /// The sum of all the dice.
    Sum,
    /// The sum of the dice showing this face.
    Face(u8),
    Fixed(i64),
}

/// A track of squares 1..=length; `links` move a pawn that lands on the first to the second.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "track")]
pub struct TrackSpec {
    pub length: u16,
    #[serde(default)]
    pub links: Vec<(u16, u16)>,
    /// A roll past the end leaves the pawn where it is (otherwise it stops on the last square).
    #[serde(default)]
    pub exact: bool,
}

/// A trick: once every seat still playing has put a card in `zone`, the highest card of the
/// led suit wins it, unless a `trump` was played (then the highest trump); its winner counts
/// it, takes its cards into `won` (one per seat) or sets them aside, and leads the next.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "trick")]
pub struct TrickSpec {
    pub zone: String,
    /// The trump suit (one suit character of the deck), if any.
    #[serde(default)]
    pub trump: Option<String>,
    #[serde(default)]
    pub won: Option<String>,
    /// Each trick won adds its cards' values (`cards.values`) to its winner's score.
    #[serde(default)]
    pub points: bool,
}

/// The house: once every seat is done, it reveals `reveal` into `hand` and draws from `draw`
/// while its total is below `until`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "house")]
pub struct HouseSpec {
    pub hand: String,
    #[serde(default)]
    pub reveal: Vec<String>,
    pub draw: String,
    pub until: i64,
}

/// What a played card must match on the top of the pile it goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Matching {
    Suit,
    Rank,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "dice")]
pub struct DiceSpec {
    pub sides: u8,
}

/// A hidden code: `length` symbols from `symbols` (one character each), `max_guesses` tries.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "code")]
pub struct CodeSpec {
    pub length: u8,
    pub symbols: String,
    pub max_guesses: u32,
    /// The seat that sets the code in secret (`SetCode`); absent, the game draws it. With a
    /// maker, the other seats win by cracking it and the maker wins when they run out.
    #[serde(default)]
    pub maker: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Turns {
    #[default]
    RoundRobin,
    Simultaneous,
}

/// Who an ending favours.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Verdict {
    /// The seat the condition concerns wins (the line's owner, the last taker…).
    Win,
    /// It loses: the others win.
    Lose,
    Draw,
    /// This seat wins.
    WinFor(String),
    /// The seat with the highest count wins; equal counts draw.
    Most(Count),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Count {
    Pieces,
    Score,
    /// Tricks won (`trick`).
    Tricks,
    /// Stones plus empty regions reached only by them, plus `bonus`.
    Area,
}

/// When the game ends and who wins. Checked in order after every move.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum End {
    /// `length` in a row along the board's lines. `same: Kind` counts pieces of one kind
    /// whoever owns them; `exact`: longer lines do not count.
    Line {
        length: u8,
        #[serde(default)]
        exact: bool,
        #[serde(default)]
        same: Same,
        /// Count won sub-boards on the board of sub-boards instead of pieces.
        #[serde(default)]
        blocks: bool,
        #[serde(default = "win")]
        verdict: Verdict,
    },
    /// Every site taken.
    Full(Verdict),
    /// The seat to move has none: it `Lose`s, the game is a `Draw`, or it must `Pass`.
    NoMove(NoMove),
    /// No seat can move (all had to pass): the verdict decides.
    Blocked(Verdict),
    /// No move and a royal piece attacked loses; no move otherwise draws (stalemate).
    Checkmate,
    /// A piece of the mover reaches the region (read for its seat): it wins.
    Reach(Region),
    /// A seat (or only `seat`) left with fewer than `n` pieces on the board loses.
    Fewer {
        n: u16,
        #[serde(default)]
        seat: Option<String>,
    },
    /// A seat whose pieces form one connected group wins.
    Connected,
    /// The first seat joins the bottom row to the top, the second the left column to the right.
    Connect,
    /// The same position for the `n`th time: a draw.
    Repetition(u8),
    /// `n` moves in a row without a capture or a `progress` piece moving: a draw.
    Quiet(u32),
    /// Every pile empty: the last taker `Win`s or `Lose`s.
    PilesEmpty(Verdict),
    /// A seat's score reaches `n`.
    Score(i64),
    /// A seat has captured `n` pieces.
    Captured(u16),
    /// `n` passes in a row end the game.
    Passes(u8, Verdict),
    /// One side of the pits is empty: each seat keeps what is left on its side; most wins.
    SideEmpty,
    /// After `n` rounds of secret choices (a `Chosen` reveal with `beats`), most rounds won
    /// wins.
    Rounds(u32),
    /// Every card of `zone` shown by its `Matched` reveal (every seat wins), or `misses` wrong
    /// picks and solves (nobody wins).
    Found { zone: String, misses: u32 },
    /// The code cracked (guessers win) or `max_guesses` used (nobody wins, or the maker).
    Cracked,
    /// A seat's zone is empty (after the deal): `Win`, or `Lose` (the seat is out; the last
    /// seat left wins); with `Most(count)`, once every seat's zone is empty the count decides.
    Emptied(String, Verdict),
    /// Every seat has filled every category of the sheet.
    Filled(Verdict),
    /// A pawn reaches the last square of the track: its seat wins.
    Finish,
    /// Card totals in `zone`: a seat over `limit` busts (out); when every seat is done, the
    /// house plays and each seat above the house (or with the house bust) wins.
    Showdown(String, i64),
    /// Every piece of a seat hit by `Shoot` (once it has placed all it must): the verdict
    /// concerns that seat (`AllHit(Lose)`).
    AllHit(Verdict),
}

fn win() -> Verdict {
    Verdict::Win
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum Same {
    #[default]
    Owner,
    Kind,
    /// Pieces that all share at least one trait.
    Trait,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum NoMove {
    Lose,
    Draw,
    Pass,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "clock")]
pub struct ClockSpec {
    pub per_move_secs: u64,
    pub on_timeout: OnTimeout,
    /// What a room's owner may choose instead of `per_move_secs` (`!clock`); absent: the
    /// service's general bounds ([`ClockChoices::GENERAL`]).
    #[serde(default)]
    pub choices: Option<ClockChoices>,
}

/// The time controls a room's owner may set for a game, each range `(least, most)` in seconds.
/// A game clock runs out for good (the player loses); `on_timeout` applies to a time per move.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename = "choices")]
pub struct ClockChoices {
    /// A time per move; absent: owners cannot set one.
    #[serde(default)]
    pub per_move_secs: Option<(u64, u64)>,
    /// A game clock's main time; absent: no game clocks.
    #[serde(default)]
    pub main_secs: Option<(u64, u64)>,
    /// The largest Fischer increment added after each move (0: none).
    #[serde(default)]
    pub max_increment_secs: u64,
    /// The most byo-yomi periods after the main time (0: none), and a period's length.
    #[serde(default)]
    pub max_periods: u32,
    #[serde(default)]
    pub period_secs: Option<(u64, u64)>,
}

impl ClockChoices {
    /// When the rules say nothing: from 10 s to a day per move; game clocks of 1 min to 3 h,
    /// increments up to a minute, up to 10 byo-yomi periods of 5 s to 5 min.
    pub const GENERAL: ClockChoices = ClockChoices {
        per_move_secs: Some((10, 86_400)),
        main_secs: Some((60, 10_800)),
        max_increment_secs: 60,
        max_periods: 10,
        period_secs: Some((5, 300)),
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum OnTimeout {
    Forfeit,
    Skip,
}

/// A recorded game and what it must come to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename = "example")]
pub struct Example {
    pub name: String,
    #[serde(default)]
    pub players: Option<usize>,
    #[serde(default)]
    pub seed: u64,
    /// Start from this position instead (replaces the file's setup).
    #[serde(default)]
    pub setup: Vec<Setup>,
    /// Who moves first from that position.
    #[serde(default)]
    pub to_move: Option<String>,
    /// Fixes the word of a zone with `words` instead of drawing it.
    #[serde(default)]
    pub word: Option<String>,
    /// Fixes the hidden code instead of drawing it.
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub rolls: Vec<u8>,
    /// Cards from the top of the deck, before the deal (`["7h", "Qs"]`); the rest follow shuffled.
    #[serde(default)]
    pub deck: Vec<String>,
    pub moves: Vec<String>,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub enum Expect {
    Win(Vec<String>),
    Draw,
    Nobody,
    Illegal {
        at: usize,
        reason: String,
    },
    Ongoing,
    /// The number of move sequences of each depth from the start (perft): `[20, 400]`.
    Perft(Vec<u64>),
}
