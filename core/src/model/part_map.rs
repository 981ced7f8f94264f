//! [`PartMap`]: a value per part of the metadata document, kept in a slot
//! per part. Every map keyed by part (the top manifest's digests, the
//! sealed part manifests, the stored and known parts) is one of these and
//! not a `BTreeMap<u8, _>`: with at most 256 small keys a vector does the
//! same in order, and each `BTreeMap` value type cost the app's first load
//! about 2 KiB of B-tree code.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de, ser::SerializeMap};

/// Values by part, iterated in part order.
#[derive(Clone, PartialEq, Eq)]
pub struct PartMap<V>(
    // Never ends in `None`, so equal maps are equal vectors.
    Vec<Option<V>>,
);

impl<V> Default for PartMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<V> PartMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `part`'s value, returning the one it replaces.
    pub fn insert(&mut self, part: u8, value: V) -> Option<V> {
        let at = usize::from(part);
        if self.0.len() <= at {
            self.0.resize_with(at + 1, || None);
        }
        self.0[at].replace(value)
    }

    /// `part`'s value.
    pub fn get(&self, part: u8) -> Option<&V> {
        self.0.get(usize::from(part))?.as_ref()
    }

    /// `part`'s value, to change.
    pub fn get_mut(&mut self, part: u8) -> Option<&mut V> {
        self.0.get_mut(usize::from(part))?.as_mut()
    }

    /// Whether `part` has a value.
    pub fn contains_key(&self, part: u8) -> bool {
        self.get(part).is_some()
    }

    /// `part`'s value, set to `V::default()` first if it has none.
    pub fn get_or_default(&mut self, part: u8) -> &mut V
    where
        V: Default,
    {
        if !self.contains_key(part) {
            self.insert(part, V::default());
        }
        self.0[usize::from(part)]
            .as_mut()
            .expect("the part's value was just set")
    }

    /// Takes `part`'s value out.
    pub fn remove(&mut self, part: u8) -> Option<V> {
        let value = self.0.get_mut(usize::from(part))?.take();
        while self.0.last().is_some_and(Option::is_none) {
            self.0.pop();
        }
        value
    }

    /// How many parts have a value.
    pub fn len(&self) -> usize {
        self.0.iter().flatten().count()
    }

    /// Whether no part has a value.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The highest part with a value.
    pub fn last_part(&self) -> Option<u8> {
        self.0.len().checked_sub(1).map(part_at)
    }

    /// Each part with its value, in part order.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &V)> {
        self.0
            .iter()
            .enumerate()
            .filter_map(|(at, value)| Some((part_at(at), value.as_ref()?)))
    }

    /// The parts with a value, in order.
    pub fn keys(&self) -> impl Iterator<Item = u8> + '_ {
        self.iter().map(|(part, _)| part)
    }

    /// The values, in part order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().flatten()
    }

    /// The values, in part order, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.0.iter_mut().flatten()
    }

    /// Keeps the parts for which `keep` says so.
    pub fn retain(&mut self, mut keep: impl FnMut(u8, &V) -> bool) {
        for (at, slot) in self.0.iter_mut().enumerate() {
            if slot.as_ref().is_some_and(|value| !keep(part_at(at), value)) {
                *slot = None;
            }
        }
        while self.0.last().is_some_and(Option::is_none) {
            self.0.pop();
        }
    }
}

/// A slot's part: there are never more than 256 slots.
fn part_at(at: usize) -> u8 {
    u8::try_from(at).expect("a part map has at most 256 slots")
}

impl<V> IntoIterator for PartMap<V> {
    type Item = (u8, V);
    type IntoIter = std::iter::FilterMap<
        std::iter::Enumerate<std::vec::IntoIter<Option<V>>>,
        fn((usize, Option<V>)) -> Option<(u8, V)>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0
            .into_iter()
            .enumerate()
            .filter_map(|(at, value)| Some((part_at(at), value?)))
    }
}

impl<V> FromIterator<(u8, V)> for PartMap<V> {
    fn from_iter<I: IntoIterator<Item = (u8, V)>>(items: I) -> Self {
        let mut map = Self::new();
        map.extend(items);
        map
    }
}

impl<V> Extend<(u8, V)> for PartMap<V> {
    fn extend<I: IntoIterator<Item = (u8, V)>>(&mut self, items: I) {
        for (part, value) in items {
            self.insert(part, value);
        }
    }
}

/// `map[part]`: panics when `part` has no value, as a map's index does.
impl<V> std::ops::Index<u8> for PartMap<V> {
    type Output = V;

    fn index(&self, part: u8) -> &V {
        self.get(part).expect("the part has a value")
    }
}

impl<V: fmt::Debug> fmt::Debug for PartMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// As a `BTreeMap<u8, V>` is written (a JSON object keyed "0".."255"), so
/// what was saved as one reads as the other.
impl<V: Serialize> Serialize for PartMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (part, value) in self.iter() {
            map.serialize_entry(&part, value)?;
        }
        map.end()
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for PartMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> de::Visitor<'de> for Visitor<V> {
            type Value = PartMap<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of parts")
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut entries: A,
            ) -> Result<Self::Value, A::Error> {
                let mut map = PartMap::new();
                while let Some((part, value)) = entries.next_entry::<u8, V>()? {
                    map.insert(part, value);
                }
                Ok(map)
            }
        }
        deserializer.deserialize_map(Visitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_as_an_ordered_map() {
        let mut map = PartMap::new();
        assert_eq!(map.insert(200, "b"), None);
        assert_eq!(map.insert(3, "a"), None);
        assert_eq!(map.insert(200, "c"), Some("b"));
        assert_eq!(map.iter().collect::<Vec<_>>(), [(3, &"a"), (200, &"c")]);
        assert_eq!((map.len(), map.last_part()), (2, Some(200)));
        assert_eq!(map.remove(200), Some("c"));
        assert_eq!(map.last_part(), Some(3));
        // Removing the highest part leaves a map equal to one built anew.
        assert_eq!(map, [(3, "a")].into_iter().collect());
        map.retain(|_, _| false);
        assert!(map.is_empty());
        assert_eq!(map, PartMap::new());
        *map.get_or_default(255) = "z";
        assert_eq!(map.into_iter().collect::<Vec<_>>(), [(255, "z")]);
    }

    #[test]
    fn reads_and_writes_what_a_btree_map_of_parts_does() {
        let old: BTreeMap<u8, String> = [(0, "x".into()), (17, "y".into())].into();
        let json = serde_json::to_string(&old).unwrap();
        let map: PartMap<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(map.get(17).map(String::as_str), Some("y"));
        assert_eq!(serde_json::to_string(&map).unwrap(), json);
        assert!(serde_json::from_str::<PartMap<String>>(r#"{"256":"x"}"#).is_err());
    }
}
