//! Skills with levels, and the requirements items place on them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// Lowest skill level.
pub const MIN_LEVEL: u8 = 1;
/// Highest skill level.
pub const MAX_LEVEL: u8 = 5;

/// A skill an agent has, e.g. `language:nl` at level 4.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Skill {
    /// The skill's name, e.g. `product:haircare`.
    pub name: String,
    /// Proficiency 1..=5.
    pub level: u8,
}

/// A skill an item requires, optionally with a minimum level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SkillRequirement {
    /// The skill's name.
    pub name: String,
    /// The minimum level; 1 when the requirement names no level.
    pub min_level: u8,
}

impl SkillRequirement {
    /// Builds a requirement with a minimum level.
    pub fn new(name: impl Into<String>, min_level: u8) -> Self {
        Self {
            name: name.into(),
            min_level,
        }
    }

    /// Tells whether a set of skills satisfies this requirement.
    pub fn is_met_by(&self, skills: &[Skill]) -> bool {
        skills
            .iter()
            .any(|skill| skill.name == self.name && skill.level >= self.min_level)
    }
}

/// Checks a skill name: lower case letters, digits and `:_-`, 1..=64 characters.
pub fn validate_skill_name(name: &str) -> Result<(), CoreError> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '_' | '-'));
    if well_formed {
        Ok(())
    } else {
        Err(CoreError::BadInput(format!(
            "invalid skill name {name:?}: use lower-case letters, digits, ':', '_' or '-'"
        )))
    }
}

/// Checks a skill level is within 1..=5.
pub fn validate_level(level: i64) -> Result<u8, CoreError> {
    match u8::try_from(level) {
        Ok(level) if (MIN_LEVEL..=MAX_LEVEL).contains(&level) => Ok(level),
        _ => Err(CoreError::BadInput(format!(
            "skill level {level} is outside {MIN_LEVEL}..={MAX_LEVEL}"
        ))),
    }
}

impl fmt::Display for SkillRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min_level > MIN_LEVEL {
            write!(f, "{}>={}", self.name, self.min_level)
        } else {
            f.write_str(&self.name)
        }
    }
}

impl FromStr for SkillRequirement {
    type Err = CoreError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (name, min_level) = match raw.split_once(">=") {
            Some((name, level)) => {
                let level: i64 = level.trim().parse().map_err(|_| {
                    CoreError::BadInput(format!("invalid level in skill requirement {raw:?}"))
                })?;
                (name.trim(), validate_level(level)?)
            }
            None => (raw.trim(), MIN_LEVEL),
        };
        validate_skill_name(name)?;
        Ok(Self::new(name, min_level))
    }
}

impl TryFrom<String> for SkillRequirement {
    type Error = CoreError;

    fn try_from(raw: String) -> Result<Self, Self::Error> {
        raw.parse()
    }
}

impl From<SkillRequirement> for String {
    fn from(requirement: SkillRequirement) -> Self {
        requirement.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_round_trips_through_text() {
        for raw in ["language:nl>=3", "channel:fax", "key_account>=5"] {
            let parsed: SkillRequirement = raw.parse().unwrap();
            assert_eq!(parsed.to_string(), raw);
        }
    }

    #[test]
    fn requirement_rejects_bad_levels_and_names() {
        assert!("language:nl>=0".parse::<SkillRequirement>().is_err());
        assert!("language:nl>=6".parse::<SkillRequirement>().is_err());
        assert!("Language NL".parse::<SkillRequirement>().is_err());
        assert!("".parse::<SkillRequirement>().is_err());
    }

    #[test]
    fn requirement_checks_level() {
        let skills = vec![Skill {
            name: "language:de".into(),
            level: 3,
        }];
        assert!(SkillRequirement::new("language:de", 3).is_met_by(&skills));
        assert!(!SkillRequirement::new("language:de", 4).is_met_by(&skills));
        assert!(!SkillRequirement::new("language:fr", 1).is_met_by(&skills));
    }
}
