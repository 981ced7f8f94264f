use super::*;

#[test]
fn codes_round_trip_and_forgive_typing() {
    let raw: [u8; CODE_BYTES] = core::array::from_fn(|i| (i * 37 + 11) as u8);
    let shown = format_groups(&raw);
    assert_eq!(shown.len(), 39);
    assert_eq!(shown.split('-').count(), 8);
    assert!(shown.split('-').all(|g| g.len() == 4));
    assert_eq!(&*parse(&shown).unwrap(), &raw);
    let sloppy = shown
        .to_lowercase()
        .replace('-', " ")
        .replace('0', "o")
        .replace('1', "l");
    assert_eq!(&*parse(&sloppy).unwrap(), &raw);
}

#[test]
fn wrong_lengths_and_letters_are_refused() {
    assert!(parse("ABCD-EFGH").is_err());
    assert!(parse(&"U".repeat(32)).is_err());
    let raw = [0xAB; CODE_BYTES];
    assert!(parse(&(format_groups(&raw) + "A")).is_err());
}
