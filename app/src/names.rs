//! Lists in the order people read names: the browser's collation
//! (`Intl.Collator`, in the page's language), so "alpha", "Beta" and
//! "Éclair" sort as words, not by character code. Doing it in the browser
//! also keeps Rust's Unicode case tables (6.6 KiB of brotli) out of the
//! first load.

use std::cmp::Ordering;

use js_sys::{Array, Intl::Collator, Object};
use wasm_bindgen::JsValue;

/// `items` sorted by `name` (stable: equal names keep their order).
pub fn by_name<T>(items: impl IntoIterator<Item = T>, name: impl Fn(&T) -> &str) -> Vec<T> {
    let compare = Collator::new(&Array::new(), &Object::new()).compare();
    // Each name crosses into JavaScript once, not once per comparison.
    let mut keyed: Vec<(JsValue, T)> = items
        .into_iter()
        .map(|item| (JsValue::from_str(name(&item)), item))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| {
        let order = compare.call2(&JsValue::UNDEFINED, a, b).ok();
        order
            .and_then(|o| o.as_f64())
            .and_then(|o| o.partial_cmp(&0.0))
            .unwrap_or(Ordering::Equal)
    });
    keyed.into_iter().map(|(_, item)| item).collect()
}
