//! A blob's version as the server names it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A blob's entity tag: 1 to [`Tag::MAX_LEN`] ASCII letters and digits.
/// Bare everywhere but in `ETag`, `If-Match` and `If-None-Match`, where
/// HTTP quotes it: [`Tag::from_header`] and [`Tag::quoted`] are the only
/// places either side quotes or unquotes one. A tag the server sends that
/// isn't one is refused where it is read, so nothing downstream sees it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

/// Not a tag (empty, too long, or not letters and digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a blob tag")]
pub struct NotATag;

impl Tag {
    /// The longest tag either side accepts.
    pub const MAX_LEN: usize = 128;

    /// A bare tag.
    pub fn new(tag: impl Into<String>) -> Result<Self, NotATag> {
        let tag = tag.into();
        let ok = !tag.is_empty()
            && tag.len() <= Self::MAX_LEN
            && tag.bytes().all(|b| b.is_ascii_alphanumeric());
        if ok { Ok(Self(tag)) } else { Err(NotATag) }
    }

    /// The tag in a header value: `"abc"`, `W/"abc"` or bare `abc`.
    pub fn from_header(value: &str) -> Result<Self, NotATag> {
        Self::new(value.trim().trim_start_matches("W/").trim_matches('"'))
    }

    /// The header value for this tag: `"abc"`.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0)
    }

    /// The bare tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Tag {
    type Error = NotATag;

    fn try_from(tag: String) -> Result<Self, NotATag> {
        Self::new(tag)
    }
}

impl From<Tag> for String {
    fn from(tag: Tag) -> Self {
        tag.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({})", self.0)
    }
}

#[cfg(test)]
mod tests;
