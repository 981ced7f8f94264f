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
    /// The year part (25 for 25.10.2).
    pub major: u32,
    /// The month part (10 for 25.10.2).
    pub minor: u32,
    /// The patch (2 for 25.10.2).
    pub patch: u32,
}

impl Release {
    /// Reads a release as `system.info` gives it (`25.10.2`, `26.0.0-BETA.3`).
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
    /// `/api/current`: whatever the system runs.
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
mod tests;
