//! Requirement templates (`product:{product_line}>=2`) and skill patterns (`product:*`).

use serde::{Deserialize, Serialize};
use switchboard_core::skill::{MIN_LEVEL, SkillRequirement, validate_level, validate_skill_name};

use super::facts::ItemFacts;

/// A fact a requirement template can insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placeholder {
    /// `{language}`: the item's language.
    Language,
    /// `{channel}`: the item's channel.
    Channel,
    /// `{product_line}`: one requirement per product line.
    ProductLine,
    /// `{intent}`: the item's intent.
    Intent,
    /// `{segment}`: the linked customer's segment.
    Segment,
}

impl Placeholder {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "language" => Some(Self::Language),
            "channel" => Some(Self::Channel),
            "product_line" => Some(Self::ProductLine),
            "intent" => Some(Self::Intent),
            "segment" => Some(Self::Segment),
            _ => None,
        }
    }

    fn values(self, facts: &ItemFacts) -> Vec<String> {
        match self {
            Self::Language => facts.language.iter().map(|l| l.as_str().into()).collect(),
            Self::Channel => vec![facts.channel.as_str().into()],
            Self::ProductLine => facts.product_lines.clone(),
            Self::Intent => facts.intent.iter().map(|i| i.as_str().into()).collect(),
            Self::Segment => facts
                .customer
                .iter()
                .filter_map(|c| c.segment.clone())
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Fact(Placeholder),
}

/// A parsed requirement template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequirementTemplate {
    parts: Vec<Part>,
    min_level: u8,
}

/// A template error with the 1-based column it was found at.
pub(crate) struct TemplateError {
    pub(crate) column: usize,
    pub(crate) message: String,
}

fn split_level(raw: &str) -> Result<(&str, u8), TemplateError> {
    let Some((name, level)) = raw.split_once(">=") else {
        return Ok((raw.trim(), MIN_LEVEL));
    };
    let level_column = name.chars().count() + 3;
    let level = level.trim().parse::<i64>().map_err(|_| TemplateError {
        column: level_column,
        message: format!("invalid level {:?}", level.trim()),
    })?;
    let level = validate_level(level).map_err(|error| TemplateError {
        column: level_column,
        message: error.to_string(),
    })?;
    Ok((name.trim(), level))
}

impl RequirementTemplate {
    /// Parses `name[>=level]` where the name may hold `{placeholder}`s.
    pub(crate) fn parse(raw: &str) -> Result<Self, TemplateError> {
        let (name, min_level) = split_level(raw)?;
        let mut parts = Vec::new();
        let mut rest = name;
        let mut column = 1;
        while let Some(open) = rest.find('{') {
            let literal = &rest[..open];
            let Some(close) = rest[open..].find('}') else {
                return Err(TemplateError {
                    column: column + literal.chars().count(),
                    message: "unclosed '{'".into(),
                });
            };
            let placeholder_name = &rest[open + 1..open + close];
            let placeholder = Placeholder::parse(placeholder_name).ok_or(TemplateError {
                column: column + literal.chars().count(),
                message: format!(
                    "unknown placeholder {{{placeholder_name}}}: use language, channel, product_line, intent or segment"
                ),
            })?;
            if !literal.is_empty() {
                parts.push(Part::Literal(literal.to_owned()));
            }
            parts.push(Part::Fact(placeholder));
            column += rest[..open + close + 1].chars().count();
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_owned()));
        }
        let sample: String = parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => text.as_str(),
                Part::Fact(_) => "x",
            })
            .collect();
        validate_skill_name(&sample).map_err(|error| TemplateError {
            column: 1,
            message: error.to_string(),
        })?;
        Ok(Self { parts, min_level })
    }

    /// Expands the template for an item; a placeholder without a value yields nothing.
    pub(crate) fn expand(&self, facts: &ItemFacts, into: &mut Vec<SkillRequirement>) {
        let mut names = vec![String::new()];
        for part in &self.parts {
            match part {
                Part::Literal(text) => names.iter_mut().for_each(|name| name.push_str(text)),
                Part::Fact(placeholder) => {
                    let values = placeholder.values(facts);
                    names = names
                        .iter()
                        .flat_map(|name| values.iter().map(move |value| format!("{name}{value}")))
                        .collect();
                }
            }
        }
        for name in names {
            if validate_skill_name(&name).is_err() {
                continue;
            }
            if let Some(existing) = into.iter_mut().find(|req| req.name == name) {
                existing.min_level = existing.min_level.max(self.min_level);
            } else {
                into.push(SkillRequirement::new(name, self.min_level));
            }
        }
    }
}

/// A skill name, or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkillPattern {
    stem: String,
    prefix: bool,
}

impl SkillPattern {
    pub(crate) fn parse(raw: &str) -> Result<Self, TemplateError> {
        let raw = raw.trim();
        let (stem, prefix) = match raw.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (raw, false),
        };
        if let Some(position) = stem.find('*') {
            return Err(TemplateError {
                column: stem[..position].chars().count() + 1,
                message: "'*' may only end a pattern".into(),
            });
        }
        let well_formed = if prefix && stem.is_empty() {
            Ok(())
        } else {
            validate_skill_name(stem)
        };
        well_formed.map_err(|error| TemplateError {
            column: 1,
            message: error.to_string(),
        })?;
        Ok(Self {
            stem: stem.to_owned(),
            prefix,
        })
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        if self.prefix {
            name.starts_with(&self.stem)
        } else {
            name == self.stem
        }
    }
}

/// `pattern>=level`: lowers matching requirements to `level`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LowerTo {
    pub(crate) pattern: SkillPattern,
    pub(crate) level: u8,
}

impl LowerTo {
    pub(crate) fn parse(raw: &str) -> Result<Self, TemplateError> {
        if !raw.contains(">=") {
            return Err(TemplateError {
                column: raw.chars().count() + 1,
                message: "expected `skill>=level` (the level to lower to)".into(),
            });
        }
        let (pattern, level) = split_level(raw)?;
        Ok(Self {
            pattern: SkillPattern::parse(pattern)?,
            level,
        })
    }
}
