//! Lists sorted as people read names, by the browser's collation.

use keyhaven_app::names::by_name;
use wasm_bindgen_test::*;

#[wasm_bindgen_test]
fn names_sort_as_words_not_by_character_code() {
    let names = ["Zulu", "éclair", "beta", "Alpha", "echo", "delta"];
    // By character code: "Alpha", "Zulu", "beta", …, "éclair" last; lower
    // cased: "éclair" still after "zulu".
    assert_eq!(
        by_name(names, |n| n),
        ["Alpha", "beta", "delta", "echo", "éclair", "Zulu"]
    );
}

#[wasm_bindgen_test]
fn equal_names_keep_their_order() {
    let items = [("nas", 1), ("a", 2), ("nas", 3), ("nas", 4)];
    let sorted: Vec<u8> = by_name(items, |(n, _)| n)
        .into_iter()
        .map(|(_, i)| i)
        .collect();
    assert_eq!(sorted, [2, 1, 3, 4]);
}
