//! The board as a graph: sites with names and coordinates, eight compass slots of neighbours
//! per site, directions resolved for a seat, regions as site lists.

use super::spec::{BoardSpec, Cells, Compass, Dir, Links, Region};

pub type Site = u16;
pub const NONE: Site = u16::MAX;

/// Compass slots: E, NE, N, NW, W, SW, S, SE (counter-clockwise from east).
pub const VECTORS: [(i16, i16); 8] = [
    (1, 0),
    (1, 1),
    (0, 1),
    (-1, 1),
    (-1, 0),
    (-1, -1),
    (0, -1),
    (1, -1),
];

pub fn opposite(d: u8) -> u8 {
    (d + 4) % 8
}

/// What the sites are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    None,
    Grid {
        hex: bool,
    },
    Piles,
    /// Two rows of pits; stores are the last two sites (seat 0's, seat 1's).
    Pits {
        pits: u8,
    },
    /// Lines between dots: horizontal ones first (row by row), then vertical ones.
    Dots,
}

#[derive(Debug, Clone)]
pub struct Board {
    pub shape: Shape,
    pub width: u8,
    pub height: u8,
    /// Per site: (column, row), 0-based from the bottom left.
    pub coords: Vec<(u8, u8)>,
    pub names: Vec<String>,
    /// `neighbours[site * 8 + d]`, or NONE.
    pub neighbours: Vec<Site>,
    /// Grid position → site, or NONE (masked out).
    pub at: Vec<Site>,
    /// Starting counts (piles, pits).
    pub counts: Vec<u16>,
    /// The axes along which lines run (one slot of each opposite pair).
    pub axes: Vec<u8>,
    /// Sub-board size, when the board is made of sub-boards.
    pub blocks: Option<(u8, u8)>,
}

impl Board {
    pub fn build(spec: Option<&BoardSpec>) -> Board {
        let mut b = Board {
            shape: Shape::None,
            width: 0,
            height: 0,
            coords: Vec::new(),
            names: Vec::new(),
            neighbours: Vec::new(),
            at: Vec::new(),
            counts: Vec::new(),
            axes: Vec::new(),
            blocks: None,
        };
        match spec {
            None => {}
            Some(BoardSpec::Square(w, h)) => b.grid(*w, *h, Cells::Square, Links::All, &[]),
            Some(BoardSpec::Hex(w, h)) => b.grid(*w, *h, Cells::Hex, Links::All, &[]),
            Some(BoardSpec::Grid {
                width,
                height,
                cells,
                links,
                mask,
                blocks,
            }) => {
                b.grid(*width, *height, *cells, *links, mask);
                b.blocks = blocks.filter(|(bw, bh)| *bw > 0 && *bh > 0);
            }
            Some(BoardSpec::Piles(piles)) => {
                b.shape = Shape::Piles;
                for (i, n) in piles.iter().enumerate() {
                    b.coords.push((i as u8, 0));
                    b.names.push((i + 1).to_string());
                    b.counts.push(*n);
                }
                b.neighbours = vec![NONE; piles.len() * 8];
            }
            Some(BoardSpec::Dots(w, h)) => {
                b.shape = Shape::Dots;
                b.width = *w;
                b.height = *h;
                for y in 0..*h {
                    for x in 0..w.saturating_sub(1) {
                        b.coords.push((x, y));
                        b.names
                            .push(format!("{}-{}", cell_name(x, y), cell_name(x + 1, y)));
                    }
                }
                for y in 0..h.saturating_sub(1) {
                    for x in 0..*w {
                        b.coords.push((x, y));
                        b.names
                            .push(format!("{}-{}", cell_name(x, y), cell_name(x, y + 1)));
                    }
                }
                b.counts = vec![0; b.coords.len()];
                b.neighbours = vec![NONE; b.coords.len() * 8];
            }
            Some(BoardSpec::Pits { pits, seeds }) => {
                b.shape = Shape::Pits { pits: *pits };
                b.width = *pits;
                b.height = 2;
                for row in 0..2u8 {
                    for x in 0..*pits {
                        b.coords.push((x, row));
                        b.names.push(format!("{}{}", (b'a' + x) as char, row + 1));
                        b.counts.push(*seeds);
                    }
                }
                for (i, name) in ["store1", "store2"].iter().enumerate() {
                    b.coords.push((*pits, i as u8));
                    b.names.push((*name).to_owned());
                    b.counts.push(0);
                }
                b.neighbours = vec![NONE; b.coords.len() * 8];
            }
        }
        b
    }

    fn grid(&mut self, w: u8, h: u8, cells: Cells, links: Links, mask: &[String]) {
        let hex = cells == Cells::Hex;
        self.shape = Shape::Grid { hex };
        self.width = w;
        self.height = h;
        self.at = vec![NONE; w as usize * h as usize];
        for y in 0..h {
            for x in 0..w {
                // The mask lists rows from the top.
                let row = mask.get((h - 1 - y) as usize);
                let present = row.is_none_or(|r| {
                    r.chars()
                        .nth(x as usize)
                        .is_some_and(|c| !c.is_whitespace())
                });
                if present {
                    self.at[y as usize * w as usize + x as usize] = self.coords.len() as Site;
                    self.coords.push((x, y));
                    self.names.push(cell_name(x, y));
                    self.counts.push(0);
                }
            }
        }
        self.neighbours = vec![NONE; self.coords.len() * 8];
        for (s, &(x, y)) in self.coords.iter().enumerate() {
            for (d, (dx, dy)) in VECTORS.iter().enumerate() {
                let diagonal = dx != &0 && dy != &0;
                let linked = if hex {
                    // Axial hexagons: the diagonal NW–SE is a side, NE–SW is not.
                    !diagonal || d == 3 || d == 7
                } else {
                    match links {
                        Links::All => true,
                        Links::Orthogonal => !diagonal,
                        Links::Alquerque => !diagonal || (x + y) % 2 == 0,
                    }
                };
                if !linked {
                    continue;
                }
                let (nx, ny) = (x as i16 + dx, y as i16 + dy);
                if let Some(n) = self.site_at(nx, ny) {
                    self.neighbours[s * 8 + d] = n;
                }
            }
        }
        self.axes = if hex {
            vec![0, 2, 3]
        } else {
            match links {
                Links::Orthogonal => vec![0, 2],
                _ => vec![0, 1, 2, 3],
            }
        };
    }

    pub fn len(&self) -> usize {
        self.coords.len()
    }

    pub fn is_empty(&self) -> bool {
        self.coords.is_empty()
    }

    pub fn is_grid(&self) -> bool {
        matches!(self.shape, Shape::Grid { .. })
    }

    pub fn is_hex(&self) -> bool {
        self.shape == Shape::Grid { hex: true }
    }

    pub fn site_at(&self, x: i16, y: i16) -> Option<Site> {
        if x < 0 || y < 0 || x >= self.width as i16 || y >= self.height as i16 {
            return None;
        }
        let s = *self.at.get(y as usize * self.width as usize + x as usize)?;
        (s != NONE).then_some(s)
    }

    #[inline]
    pub fn step(&self, s: Site, d: u8) -> Site {
        self.neighbours[s as usize * 8 + d as usize]
    }

    /// A site by name (`b3`, `store1`, a pile's number), any case.
    pub fn site(&self, name: &str) -> Option<Site> {
        let name = name.trim().to_ascii_lowercase();
        if self.is_grid() {
            let (x, y) = parse_cell(&name)?;
            return self.site_at(x as i16, y as i16);
        }
        let found = self.names.iter().position(|n| *n == name);
        // A line between dots may be named from either end.
        let reversed = || {
            let (a, b) = name.split_once('-')?;
            let back = format!("{b}-{a}");
            self.names.iter().position(|n| *n == back)
        };
        found.or_else(reversed).map(|i| i as Site)
    }

    /// Sub-boards across and up.
    pub fn block_grid(&self) -> (u8, u8) {
        match self.blocks {
            Some((bw, bh)) => (self.width.div_ceil(bw), self.height.div_ceil(bh)),
            None => (0, 0),
        }
    }

    /// The sub-board of a site, and the sub-board its place inside names (where it sends).
    pub fn block_of(&self, s: Site) -> Option<(usize, usize)> {
        let (bw, bh) = self.blocks?;
        let (gw, _) = self.block_grid();
        let (x, y) = *self.coords.get(s as usize)?;
        let own = (y / bh) as usize * gw as usize + (x / bw) as usize;
        let sends = (y % bh) as usize * gw as usize + (x % bw) as usize;
        Some((own, sends))
    }

    /// Dots boards: the number of boxes across and up.
    pub fn boxes(&self) -> (u8, u8) {
        (self.width.saturating_sub(1), self.height.saturating_sub(1))
    }

    /// Dots boards: the four lines of box (x, y): bottom, top, left, right.
    pub fn box_lines(&self, x: u8, y: u8) -> [Site; 4] {
        let (w, h) = (self.width as usize, self.height as usize);
        let hz = |x: usize, y: usize| (y * (w - 1) + x) as Site;
        let vt = |x: usize, y: usize| (h * (w - 1) + y * w + x) as Site;
        let (x, y) = (x as usize, y as usize);
        [hz(x, y), hz(x, y + 1), vt(x, y), vt(x + 1, y)]
    }

    pub fn name(&self, s: Site) -> &str {
        self.names.get(s as usize).map_or("?", String::as_str)
    }

    /// The slots a direction means for a seat whose forward is `forward`.
    pub fn dirs(&self, dir: Dir, forward: u8) -> Vec<u8> {
        let hex = self.is_hex();
        let compass = |c: u8| vec![c];
        let mut out = match dir {
            Dir::All => (0..8).collect(),
            Dir::Orthogonal => {
                if hex {
                    vec![0, 2, 3, 4, 6, 7]
                } else {
                    vec![0, 2, 4, 6]
                }
            }
            Dir::Diagonal => vec![1, 3, 5, 7],
            Dir::Forward => compass(forward),
            Dir::Backward => compass(opposite(forward)),
            Dir::Sideways => vec![(forward + 2) % 8, (forward + 6) % 8],
            Dir::ForwardDiagonal => vec![(forward + 1) % 8, (forward + 7) % 8],
            Dir::BackwardDiagonal => vec![(forward + 3) % 8, (forward + 5) % 8],
            Dir::E => compass(0),
            Dir::NE => compass(1),
            Dir::N => compass(2),
            Dir::NW => compass(3),
            Dir::W => compass(4),
            Dir::SW => compass(5),
            Dir::S => compass(6),
            Dir::SE => compass(7),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The sites of a region as read for a seat (its forward slot and its index).
    pub fn region(
        &self,
        region: &Region,
        forward: u8,
        named: &dyn Fn(&str) -> Vec<Site>,
    ) -> Vec<Site> {
        let all = 0..self.len() as Site;
        // Row counted from the seat's side: rows grow toward its forward direction.
        let rank_of = |s: Site| -> u8 {
            let (x, y) = self.coords[s as usize];
            match forward {
                6 => self.height - y,
                0 => x + 1,
                4 => self.width - x,
                _ => y + 1,
            }
        };
        let far = match forward {
            0 | 4 => self.width,
            _ => self.height,
        };
        let mut out: Vec<Site> = match region {
            Region::All => all.collect(),
            Region::Sites(names) => names.iter().filter_map(|n| self.site(n)).collect(),
            Region::Rows(rows) => all
                .filter(|s| rows.contains(&(self.coords[*s as usize].1 + 1)))
                .collect(),
            Region::Columns(cols) => all
                .filter(|s| {
                    let c = (b'a' + self.coords[*s as usize].0) as char;
                    cols.iter().any(|k| k.eq_ignore_ascii_case(&c.to_string()))
                })
                .collect(),
            Region::Rank(n) => all.filter(|s| rank_of(*s) == *n).collect(),
            Region::HomeRow => all.filter(|s| rank_of(*s) == 1).collect(),
            Region::FarRow => all.filter(|s| rank_of(*s) == far).collect(),
            Region::Dark => all
                .filter(|s| {
                    let (x, y) = self.coords[*s as usize];
                    (x + y) % 2 == 0
                })
                .collect(),
            Region::Light => all
                .filter(|s| {
                    let (x, y) = self.coords[*s as usize];
                    (x + y) % 2 == 1
                })
                .collect(),
            Region::Edge => all
                .filter(|s| (0..8).any(|d| self.step(*s, d) == NONE && self.on_grid_line(*s, d)))
                .collect(),
            Region::Named(n) => named(n),
            Region::Both(a, b) => {
                let b = self.region(b, forward, named);
                self.region(a, forward, named)
                    .into_iter()
                    .filter(|s| b.contains(s))
                    .collect()
            }
            Region::Either(a, b) => {
                let mut v = self.region(a, forward, named);
                v.extend(self.region(b, forward, named));
                v
            }
            Region::Not(a) => {
                let a = self.region(a, forward, named);
                all.filter(|s| !a.contains(s)).collect()
            }
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether stepping from `s` in `d` would leave the grid's rectangle (an edge site).
    fn on_grid_line(&self, s: Site, d: u8) -> bool {
        let (x, y) = self.coords[s as usize];
        let (dx, dy) = VECTORS[d as usize];
        if dx != 0 && dy != 0 {
            return false;
        }
        let (nx, ny) = (x as i16 + dx, y as i16 + dy);
        nx < 0
            || ny < 0
            || nx >= self.width as i16
            || ny >= self.height as i16
            || self.site_at(nx, ny).is_none()
    }
}

/// Default forward slot of seat `i`.
pub fn default_forward(i: usize) -> u8 {
    [2, 6, 0, 4].get(i).copied().unwrap_or(2)
}

pub fn compass_slot(c: Compass) -> u8 {
    c as u8
}

/// `b3` → (1, 2), 0-based.
pub fn parse_cell(text: &str) -> Option<(u8, u8)> {
    let mut chars = text.chars();
    let col = chars.next()?.to_ascii_lowercase();
    if !col.is_ascii_lowercase() {
        return None;
    }
    let rest = chars.as_str();
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_digit()) || rest.len() > 2 {
        return None;
    }
    let y: u8 = rest.parse().ok()?;
    (y >= 1).then(|| (col as u8 - b'a', y - 1))
}

/// (1, 2) → `b3`.
pub fn cell_name(x: u8, y: u8) -> String {
    format!("{}{}", (b'a' + x) as char, y as u16 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_round_trip() {
        assert_eq!(parse_cell("b3"), Some((1, 2)));
        assert_eq!(parse_cell("B3"), Some((1, 2)));
        assert_eq!(parse_cell("a0"), None);
        assert_eq!(parse_cell("a"), None);
        assert_eq!(cell_name(1, 2), "b3");
    }

    #[test]
    fn hex_cells_touch_six_and_lines_run_on_three_axes() {
        let b = Board::build(Some(&BoardSpec::Hex(3, 3)));
        let centre = b.site("b2").unwrap_or(NONE);
        let n: Vec<&str> = (0..8)
            .filter_map(|d| {
                let s = b.step(centre, d);
                (s != NONE).then(|| b.name(s))
            })
            .collect();
        assert_eq!(n, ["c2", "b3", "a3", "a2", "b1", "c1"]);
        assert_eq!(b.axes, [0, 2, 3]);
    }

    #[test]
    fn a_mask_removes_cells() {
        let mask = vec![" # ".to_owned(), "###".to_owned(), " # ".to_owned()];
        let b = Board::build(Some(&BoardSpec::Grid {
            width: 3,
            height: 3,
            cells: Cells::Square,
            links: Links::Orthogonal,
            mask,
            blocks: None,
        }));
        assert_eq!(b.len(), 5);
        assert!(b.site("a1").is_none());
        assert!(b.site("b1").is_some());
    }
}
