use super::*;

#[test]
fn tags_are_quoted_and_read_back() {
    let tag = Tag::new("3fa9").unwrap();
    assert_eq!(tag.quoted(), "\"3fa9\"");
    assert_eq!(Tag::from_header(&tag.quoted()), Ok(tag.clone()));
    assert_eq!(Tag::from_header("W/\"3fa9\""), Ok(tag.clone()));
    assert_eq!(Tag::from_header(" 3fa9 "), Ok(tag));
    for junk in [
        "",
        "\"\"",
        "\"a b\"",
        "\"a,b\"",
        &"a".repeat(Tag::MAX_LEN + 1),
    ] {
        assert_eq!(Tag::from_header(junk), Err(NotATag), "{junk:?}");
    }
    assert!(Tag::new("a".repeat(Tag::MAX_LEN)).is_ok());
}

#[test]
fn a_listed_tag_that_is_not_one_is_refused_when_read() {
    assert!(serde_json::from_str::<Tag>(r#""abc123""#).is_ok());
    for junk in [r#""""#, r#""a\"b""#, r#""x y""#, "7"] {
        assert!(serde_json::from_str::<Tag>(junk).is_err(), "{junk}");
    }
}
