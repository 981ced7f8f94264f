use super::*;

fn endpoint(text: &str) -> String {
    Endpoint::for_release(Release::parse(text)).path()
}

#[test]
fn releases_are_read_from_every_spelling() {
    let r = |major, minor, patch| Release {
        major,
        minor,
        patch,
    };
    assert_eq!(Release::parse("25.10.2"), Some(r(25, 10, 2)));
    assert_eq!(Release::parse("TrueNAS-25.04.2"), Some(r(25, 4, 2)));
    assert_eq!(
        Release::parse("TrueNAS-SCALE-24.10.2.1"),
        Some(r(24, 10, 2))
    );
    assert_eq!(Release::parse("26.0.0-BETA.3"), Some(r(26, 0, 0)));
    assert_eq!(Release::parse("25.04"), Some(r(25, 4, 0)));
    assert_eq!(Release::parse("TrueNAS"), None);
    assert_eq!(Release::parse("25"), None);
    assert_eq!(r(25, 4, 2).to_string(), "25.04.2");
    assert_eq!(r(26, 0, 0).to_string(), "26.0.0");
    assert_eq!(r(25, 10, 2).to_string(), "25.10.2");
}

#[test]
fn known_releases_are_pinned_and_the_rest_use_current() {
    assert_eq!(endpoint("TrueNAS-25.04.2"), "/api/v25.04.2");
    assert_eq!(endpoint("25.04.2.1"), "/api/v25.04.2");
    assert_eq!(endpoint("25.10.2"), "/api/v25.10.2");
    assert_eq!(endpoint("25.10.3"), "/api/v25.10.2");
    assert_eq!(endpoint("26.0.0-BETA.3"), "/api/v26.0.0");
    // Older than what Keyhaven knows of that train, another train, newer.
    assert_eq!(endpoint("25.04.1"), "/api/current");
    assert_eq!(endpoint("24.10.2"), "/api/current");
    assert_eq!(endpoint("26.04.0"), "/api/current");
    assert_eq!(Endpoint::for_release(None).path(), "/api/current");
}

#[test]
fn the_known_versions_are_the_ones_whose_schemas_the_calls_are_checked_against() {
    let known: Vec<String> = KNOWN
        .iter()
        .map(|&(major, minor, patch)| {
            Release {
                major,
                minor,
                patch,
            }
            .to_string()
        })
        .collect();
    let schemas: Vec<&str> = truenas_api::Version::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(known, schemas);
}
