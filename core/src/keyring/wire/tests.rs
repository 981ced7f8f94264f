use super::*;

#[test]
fn lengths_past_the_end_are_errors_not_panics() {
    let mut r = Reader::new(&[0, 200, b'a']);
    assert!(r.str16(1000, "name").is_err());
    let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
    assert!(r.bytes32(usize::MAX, "entry").is_err());
    let mut r = Reader::new(&[0, 0, 0, 5, 1, 2, 3, 4, 5]);
    assert!(r.bytes32(4, "entry").is_err());
}
