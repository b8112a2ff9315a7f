//! A regular expression that travels through serde as its source text, compiled when read.

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A compiled regular expression read from and written to configuration as a string.
///
/// An invalid expression fails deserialisation, so a bad pattern stops the configuration from
/// loading instead of failing every message later.
#[derive(Clone)]
pub struct ConfigRegex(Regex);

impl ConfigRegex {
    /// Compiles an expression.
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        Regex::new(source).map(Self)
    }

    /// Returns the compiled expression.
    pub fn regex(&self) -> &Regex {
        &self.0
    }

    /// Returns the expression's source text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Returns the first match's `value` group, else its first group, else the whole match.
    pub fn capture<'h>(&self, haystack: &'h str) -> Option<&'h str> {
        let captures = self.0.captures(haystack)?;
        captures
            .name("value")
            .or_else(|| captures.get(1))
            .or_else(|| captures.get(0))
            .map(|found| found.as_str())
    }
}

impl fmt::Debug for ConfigRegex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfigRegex").field(&self.as_str()).finish()
    }
}

impl PartialEq for ConfigRegex {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for ConfigRegex {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ConfigRegex {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        Self::new(&source).map_err(serde::de::Error::custom)
    }
}
