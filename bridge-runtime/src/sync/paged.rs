//! Over-fetch paging: ask the source for one record more than a page, so that whether there is a next page is
//! known without a second query (`LIMIT n + 1`).

/// One page cut from an over-fetched answer: at most `size` items, and whether the source had more.
///
/// Asking for exactly a page and announcing a next page whenever it came full costs an extra, empty page each time
/// the records fill the last page exactly; asking for a count costs a second query that can disagree with the
/// first. Asking for one more ([`Paged::limit`]) answers both at once.
///
/// ```
/// use bridge::sync::Paged;
///
/// let rows: Vec<u32> = (1..=101).collect(); // SELECT … ORDER BY id LIMIT 101
/// let page = Paged::new(rows, 100);
/// assert_eq!((page.items.len(), page.more), (100, true));
/// assert_eq!(page.next_offset(|last| *last).as_deref(), Some("100"));
///
/// let last = Paged::new(vec![1, 2, 3], 100);
/// assert_eq!((last.more, last.next_offset(|last| *last)), (false, None));
/// assert_eq!(Paged::<u32>::limit(100), 101);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The page: the first `size` records the source answered.
    pub items: Vec<T>,
    /// Whether the source had more than a page: there is a next page.
    pub more: bool,
}

impl<T> Paged<T> {
    /// How many records to ask the source for, for pages of `size`: one more.
    #[inline]
    pub fn limit(size: usize) -> usize {
        size.saturating_add(1)
    }

    /// The page of `size` from `rows`, which the source answered for a limit of [`Paged::limit`]`(size)`.
    pub fn new(mut rows: Vec<T>, size: usize) -> Self {
        let more = rows.len() > size;
        rows.truncate(size);
        Self { items: rows, more }
    }

    /// The `next_offset` to answer: the key of the last item (as `key` gives it) when there is a next page.
    pub fn next_offset<K: std::fmt::Display>(&self, key: impl FnOnce(&T) -> K) -> Option<String> {
        match (self.more, self.items.last()) {
            (true, Some(last)) => Some(key(last).to_string()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_the_size_and_says_whether_there_is_more() {
        assert_eq!(Paged::new(vec![1, 2, 3], 3), Paged { items: vec![1, 2, 3], more: false });
        assert_eq!(Paged::new(vec![1, 2, 3, 4], 3), Paged { items: vec![1, 2, 3], more: true });
        assert_eq!(Paged::new(Vec::<u8>::new(), 3), Paged { items: vec![], more: false });
        assert_eq!(Paged::<u8>::limit(usize::MAX), usize::MAX);
        // A page of size zero with more records cannot name an offset after nothing.
        assert_eq!(Paged::new(vec![1], 0).next_offset(|n| *n), None);
    }
}
