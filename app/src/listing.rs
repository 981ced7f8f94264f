//! Long lists as TrueNAS's tables show them: a Search box over the list and
//! pages of 50 rows under "1 – 50 of 1000" with First, Previous, Next and
//! Last page. A fleet of 1,000 systems renders 50 rows, not 4,000, so a
//! screen's first render stays one short task, and any item is a search
//! away.

use leptos::prelude::*;

use crate::lazy::split;

/// Rows on a page: TrueNAS's tables default to 50.
pub const PAGE_SIZE: usize = 50;

/// Which of `total` rows one page shows: `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub index: usize,
    pub start: usize,
    pub end: usize,
    pub total: usize,
}

impl Page {
    /// Page `requested` of `total` rows, or the last page when the list
    /// became shorter under it (a search narrowed it, items went away).
    pub fn of(total: usize, requested: usize) -> Self {
        let index = requested.min(Self::last(total));
        let start = index * PAGE_SIZE;
        Self {
            index,
            start,
            end: (start + PAGE_SIZE).min(total),
            total,
        }
    }

    /// The last page's index (0 for an empty list).
    pub fn last(total: usize) -> usize {
        total.saturating_sub(1) / PAGE_SIZE
    }

    pub fn is_last(&self) -> bool {
        self.index == Self::last(self.total)
    }

    /// "1 – 50 of 1000", as Angular Material's paginator writes it.
    pub fn label(&self) -> String {
        if self.total == 0 {
            "0 of 0".to_owned()
        } else {
            format!("{} – {} of {}", self.start + 1, self.end, self.total)
        }
    }
}

/// What one list's Search box and pager hold.
#[derive(Clone, Copy)]
pub struct Listing {
    query: RwSignal<String>,
    page: RwSignal<usize>,
}

impl Listing {
    pub fn new() -> Self {
        Self {
            query: RwSignal::new(String::new()),
            page: RwSignal::new(0),
        }
    }

    /// The search as typed, to match items with (tracks the query, so a
    /// list built with it follows the box).
    pub fn search(&self) -> Search {
        Search(self.query.with(|q| lowercase(q.trim())))
    }

    /// What `rows` yields for the current search, sorted by `name`: a memo,
    /// so a page turn neither filters nor sorts the list again.
    pub fn matching<T, R, N>(self, rows: R, name: N) -> Memo<Vec<T>>
    where
        T: Clone + PartialEq + Send + Sync + 'static,
        R: Fn(&Search) -> Vec<T> + Send + Sync + 'static,
        N: Fn(&T) -> &str + Send + Sync + 'static,
    {
        Memo::new(move |_| crate::names::by_name(rows(&self.search()), &name))
    }

    /// The rows of `rows` (the matching ones, in order) on the current page.
    pub fn page_of<T: Clone>(&self, rows: &[T]) -> Vec<T> {
        let page = Page::of(rows.len(), self.page.get());
        rows[page.start..page.end].to_vec()
    }
}

/// A search, lowercased once for a whole list.
pub struct Search(String);

impl Search {
    /// Whether an item whose words are `texts` matches (ignoring case).
    pub fn matches(&self, texts: &[&str]) -> bool {
        self.0.is_empty() || texts.iter().any(|t| lowercase(t).contains(&self.0))
    }
}

/// Lowercased as the browser does it (`String.prototype.toLowerCase`), so
/// "Éclair" matches "éclair" without Rust's Unicode case tables in the
/// first load (as `names` sorts with the browser's collation).
fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        text.to_ascii_lowercase()
    } else {
        js_sys::JsString::from(text).to_lower_case().into()
    }
}

/// The Search box of a list; `label` names what it searches.
#[component]
pub fn SearchBox(listing: Listing, #[prop(into)] label: String) -> impl IntoView {
    view! {
        <input
            type="search"
            class="search"
            placeholder="Search"
            aria-label=label
            prop:value=move || listing.query.get()
            on:input=move |event| {
                listing.query.set(event_target_value(&event));
                listing.page.set(0);
            }
        />
    }
}

/// "1 – 50 of 1000" and the page buttons, under a list of `total` matching
/// rows; nothing while everything fits on one page.
#[component]
pub fn Pager(listing: Listing, total: Signal<usize>, #[prop(into)] label: String) -> impl IntoView {
    let page = move || Page::of(total.get(), listing.page.get());
    let go = move |to: usize| listing.page.set(to);
    view! {
        <Show when=move || { total.get() > PAGE_SIZE }>
            <nav class="pager" aria-label=label.clone()>
                <span class="hint" aria-live="polite">{move || page().label()}</span>
                <button type="button" class="icon-button" aria-label="First page" title="First page"
                    prop:disabled=move || page().index == 0 on:click=move |_| go(0)>"«"</button>
                <button type="button" class="icon-button" aria-label="Previous page" title="Previous page"
                    prop:disabled=move || page().index == 0
                    on:click=move |_| go(page().index.saturating_sub(1))>"‹"</button>
                <button type="button" class="icon-button" aria-label="Next page" title="Next page"
                    prop:disabled=move || page().is_last() on:click=move |_| go(page().index + 1)>"›"</button>
                <button type="button" class="icon-button" aria-label="Last page" title="Last page"
                    prop:disabled=move || page().is_last() on:click=move |_| go(Page::last(total.get()))>"»"</button>
            </nav>
        </Show>
    }
}

split! {
    /// [`SearchBox`] for a list of the first load (the dashboard's): it
    /// loads when the list outgrows a page, so a small fleet never does.
    pub fn search_box(listing: Listing, label: String) { view! { <SearchBox listing label/> } }
}

split! {
    /// [`Pager`] for a list of the first load, as [`search_box`].
    pub fn pager(listing: Listing, total: Signal<usize>, label: String) { view! { <Pager listing total label/> } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_list_and_the_last_is_short() {
        let first = Page::of(1000, 0);
        assert_eq!((first.start, first.end), (0, 50));
        assert_eq!(first.label(), "1 – 50 of 1000");
        assert!(!first.is_last());
        let last = Page::of(1001, Page::last(1001));
        assert_eq!((last.index, last.start, last.end), (20, 1000, 1001));
        assert_eq!(last.label(), "1001 – 1001 of 1001");
        assert!(last.is_last());
        assert_eq!(Page::last(50), 0);
        assert_eq!(Page::last(51), 1);
    }

    #[test]
    fn a_page_past_a_shortened_list_shows_its_last_page() {
        // On page 10 of 1,000 rows, a search leaves 60: page 2 shows.
        let page = Page::of(60, 10);
        assert_eq!((page.index, page.start, page.end), (1, 50, 60));
        let empty = Page::of(0, 3);
        assert_eq!((empty.index, empty.start, empty.end), (0, 0, 0));
        assert_eq!(empty.label(), "0 of 0");
        assert!(empty.is_last());
    }

    #[test]
    fn ascii_search_needs_no_browser() {
        // Names are mostly ASCII: matching them is Rust's, not a JS call.
        assert_eq!(lowercase("NAS-Alpha"), "nas-alpha");
    }
}
