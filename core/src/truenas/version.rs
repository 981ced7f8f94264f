//! Which of a system's API endpoints Keyhaven talks to. `/api/current`
//! is whatever the system's newest API is, so a call's meaning could change
//! under Keyhaven with an upgrade; a versioned endpoint (`/api/v25.10.2`)
//! pins it. Keyhaven pins the versions whose schemas it was checked
//! against and uses `current` for anything else.

/// The API versions Keyhaven's calls are checked against (the schema
/// folders of `truenas-api`; a test keeps the two lists equal).
pub const KNOWN: [(u32, u32, u32); 3] = [(25, 4, 2), (25, 10, 2), (26, 0, 0)];

/// A TrueNAS release as `system.info`'s `version` names it
/// (`25.10.2`, `TrueNAS-25.04.2`, `TrueNAS-SCALE-24.10.2.1`, `26.0.0-BETA.3`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Release {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Release {
    pub fn parse(text: &str) -> Option<Self> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        let numbers = text[start..]
            .split(|c: char| !c.is_ascii_digit() && c != '.')
            .next()?;
        let mut parts = numbers.split('.').map(|p| p.parse::<u32>().ok());
        Some(Self {
            major: parts.next()??,
            minor: parts.next()??,
            patch: parts.next().flatten().unwrap_or(0),
        })
    }
}

impl std::fmt::Display for Release {
    /// As TrueNAS writes it: `25.04.2`, `26.0.0`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.minor < 10 && self.major >= 20 && self.minor > 0 {
            write!(f, "{}.{:02}.{}", self.major, self.minor, self.patch)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

/// The endpoint a connection opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Current,
    /// A known API version, pinned.
    Versioned(Release),
}

impl Endpoint {
    /// For a system of this release: the newest known version of its own
    /// train (same major and minor) that it is not older than, so a patch
    /// release (`25.10.3`) keeps its train's pinned API; `current` for an
    /// unknown train, a release older than any known, or no release known.
    pub fn for_release(release: Option<Release>) -> Self {
        let Some(release) = release else {
            return Self::Current;
        };
        KNOWN
            .iter()
            .map(|&(major, minor, patch)| Release {
                major,
                minor,
                patch,
            })
            .filter(|k| k.major == release.major && k.minor == release.minor && *k <= release)
            .max()
            .map_or(Self::Current, Self::Versioned)
    }

    /// The URL path: `/api/current` or `/api/v25.10.2`.
    pub fn path(self) -> String {
        match self {
            Self::Current => "/api/current".to_owned(),
            Self::Versioned(release) => format!("/api/v{release}"),
        }
    }
}

#[cfg(test)]
mod tests {
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
}
