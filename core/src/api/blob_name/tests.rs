use super::*;

#[test]
fn names_read_back() {
    for name in BlobName::ALL {
        assert_eq!(BlobName::parse(name.as_str()), Some(name));
    }
    assert_eq!(BlobName::parse("Keyring"), None);
}
