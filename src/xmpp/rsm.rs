//! XEP-0059 result set management: one page of an ordered list, for any answer that could grow
//! past what one stanza should carry (disco#items on the service, archives).

use std::ops::Range;

use xmpp_parsers::rsm::{First, SetQuery, SetResult};

/// Which items of `keys` (sorted ascending, unique) a request gets, and the `<set/>` that says
/// so. A page holds at most `hard_max` items whatever the request asks; `default_max` when it
/// asks nothing. `after` and `before` name keys; a key that is gone (a room destroyed between two
/// pages) still marks its place in the order, so paging goes on.
pub fn page<K: AsRef<str>>(
    keys: &[K],
    query: Option<&SetQuery>,
    default_max: usize,
    hard_max: usize,
) -> (Range<usize>, SetResult) {
    let len = keys.len();
    let max = query
        .and_then(|q| q.max)
        .unwrap_or(default_max)
        .min(hard_max);
    let position = |key: &str| keys.partition_point(|k| k.as_ref() <= key);
    let before = |key: &str| keys.partition_point(|k| k.as_ref() < key);
    let (start, end) = match query {
        Some(SetQuery {
            after: Some(after), ..
        }) => {
            let start = position(after);
            (start, (start + max).min(len))
        }
        Some(SetQuery {
            before: Some(b), ..
        }) => {
            // An empty <before/> asks for the last page.
            let end = if b.is_empty() { len } else { before(b) };
            (end.saturating_sub(max), end)
        }
        Some(SetQuery {
            index: Some(index), ..
        }) => {
            let start = (*index).min(len);
            (start, (start + max).min(len))
        }
        _ => (0, max.min(len)),
    };
    let page = &keys[start..end];
    let set = SetResult {
        first: page.first().map(|k| First {
            index: Some(start),
            item: k.as_ref().to_owned(),
        }),
        last: page.last().map(|k| k.as_ref().to_owned()),
        count: Some(len),
    };
    (start..end, set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(
        max: Option<usize>,
        after: Option<&str>,
        before: Option<&str>,
        index: Option<usize>,
    ) -> SetQuery {
        SetQuery {
            max,
            after: after.map(str::to_owned),
            before: before.map(str::to_owned),
            index,
        }
    }

    #[test]
    fn pages_forward_backward_and_by_index() {
        let keys: Vec<String> = (0..10).map(|i| format!("r{i}")).collect();
        let (r, set) = page(&keys, None, 4, 100);
        assert_eq!(r, 0..4);
        assert_eq!(set.count, Some(10));
        assert_eq!(
            set.first.as_ref().map(|f| (f.index, f.item.as_str())),
            Some((Some(0), "r0"))
        );
        assert_eq!(set.last.as_deref(), Some("r3"));
        let (r, _) = page(&keys, Some(&q(Some(4), Some("r3"), None, None)), 4, 100);
        assert_eq!(r, 4..8);
        let (r, _) = page(&keys, Some(&q(Some(4), Some("r8"), None, None)), 4, 100);
        assert_eq!(r, 9..10);
        let (r, _) = page(&keys, Some(&q(Some(3), None, Some(""), None)), 4, 100);
        assert_eq!(r, 7..10, "an empty <before/> is the last page");
        let (r, _) = page(&keys, Some(&q(Some(3), None, Some("r7"), None)), 4, 100);
        assert_eq!(r, 4..7);
        let (r, _) = page(&keys, Some(&q(Some(2), None, None, Some(5))), 4, 100);
        assert_eq!(r, 5..7);
        // A vanished key still marks its place.
        let (r, _) = page(&keys, Some(&q(Some(2), Some("r35"), None, None)), 4, 100);
        assert_eq!(r, 4..6);
    }

    #[test]
    fn the_hard_maximum_wins_and_zero_counts() {
        let keys: Vec<String> = (0..500).map(|i| format!("r{i:03}")).collect();
        let (r, _) = page(&keys, Some(&q(Some(10_000), None, None, None)), 50, 100);
        assert_eq!(r.len(), 100);
        let (r, set) = page(&keys, Some(&q(Some(0), None, None, None)), 50, 100);
        assert!(r.is_empty());
        assert_eq!(set.count, Some(500));
        assert!(set.first.is_none());
    }
}
