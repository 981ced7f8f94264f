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
    let mut items: Vec<Option<T>> = items.into_iter().map(Some).collect();
    // Each name crosses into JavaScript once, not once per comparison.
    let names: Vec<JsValue> = items
        .iter()
        .flatten()
        .map(|item| JsValue::from_str(name(item)))
        .collect();
    collated_order(&names)
        .into_iter()
        .filter_map(|at| items[at].take())
        .collect()
}

/// The order of `names` in the browser's collation, as indices: one sort
/// for every kind of list (sorting the items themselves would compile a
/// sort per item type into the download).
fn collated_order(names: &[JsValue]) -> Vec<usize> {
    let compare = Collator::new(&Array::new(), &Object::new()).compare();
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| {
        let order = compare
            .call2(&JsValue::UNDEFINED, &names[a], &names[b])
            .ok();
        order
            .and_then(|o| o.as_f64())
            .and_then(|o| o.partial_cmp(&0.0))
            .unwrap_or(Ordering::Equal)
    });
    order
}
