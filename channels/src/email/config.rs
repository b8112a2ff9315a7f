//! What the e-mail parser needs to know about the contact centre, and its limits.

use crate::reference_token::TokenSecret;

/// Configuration of [`super::parse_email`].
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// Our own mailbox addresses (e.g. `klantenservice@velora.example.nl`), lower-cased or not.
    /// They are never taken as a customer's address.
    pub own_addresses: Vec<String>,
    /// Domains whose senders are colleagues (e.g. `velora.example.nl`); subdomains count too.
    pub internal_domains: Vec<String>,
    /// Secrets that may have signed reference tokens, current one first.
    pub reference_secrets: Vec<TokenSecret>,
    /// Header rules that mark a message as spam flagged by an upstream filter.
    pub spam_rules: Vec<SpamRule>,
    /// Content scoring for spam no upstream filter marked, compiled from its settings.
    pub spam_scoring: super::spam_score::SpamScorer,
    /// Size and structure limits.
    pub limits: EmailLimits,
}

impl Default for EmailConfig {
    fn default() -> Self {
        Self {
            own_addresses: Vec::new(),
            internal_domains: Vec::new(),
            reference_secrets: Vec::new(),
            spam_rules: SpamRule::defaults(),
            spam_scoring: super::spam_score::SpamScorer::default(),
            limits: EmailLimits::default(),
        }
    }
}

impl EmailConfig {
    /// Tells whether an address is one of our own mailboxes.
    pub fn is_own_address(&self, address: &str) -> bool {
        self.own_addresses
            .iter()
            .any(|own| own.trim().eq_ignore_ascii_case(address.trim()))
    }

    /// Tells whether an address belongs to us: an own mailbox or an internal domain.
    pub fn is_internal_address(&self, address: &str) -> bool {
        if self.is_own_address(address) {
            return true;
        }
        let Some((_, domain)) = address.trim().rsplit_once('@') else {
            return false;
        };
        let domain = domain.to_ascii_lowercase();
        self.internal_domains.iter().any(|internal| {
            let internal = internal.trim().trim_start_matches('@').to_ascii_lowercase();
            !internal.is_empty()
                && (domain == internal
                    || domain
                        .strip_suffix(&internal)
                        .is_some_and(|prefix| prefix.ends_with('.')))
        })
    }
}

/// Limits that protect the parser and everything after it from hostile or broken input.
///
/// What happens past each limit:
/// - `max_message_bytes`: [`super::EmailError::TooLarge`] before parsing; the raw bytes stay a
///   failed intake.
/// - `max_mime_depth`, `max_parts`: [`super::EmailError::TooDeep`] and
///   [`super::EmailError::TooManyParts`]; such structures are a sign of an attack or a broken
///   generator, and a partial item would hide that.
/// - `max_text_chars`: the text is cut there and the item carries a warning.
/// - `max_html_bytes`, `max_html_depth`: the HTML is not kept for display (text is still
///   extracted) and the item carries a warning. Building the tree of very deeply nested markup
///   takes quadratic time, so depth is checked first in one linear pass.
/// - `max_attachments`: further attachments are left out and the item carries a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailLimits {
    /// Largest accepted message in bytes (default 50 MiB).
    pub max_message_bytes: usize,
    /// Deepest accepted MIME nesting, counting multiparts and attached messages (default 50).
    pub max_mime_depth: usize,
    /// Most MIME parts accepted, nested messages included (default 2,000).
    pub max_parts: usize,
    /// Longest item text in characters (default 1,000,000).
    pub max_text_chars: usize,
    /// Largest HTML body kept for display, in bytes (default 4 MiB).
    pub max_html_bytes: usize,
    /// Deepest element nesting of an HTML body kept for display (default 400).
    pub max_html_depth: usize,
    /// Most attachments kept (default 200).
    pub max_attachments: usize,
}

impl Default for EmailLimits {
    fn default() -> Self {
        Self {
            max_message_bytes: 50 * 1024 * 1024,
            max_mime_depth: 50,
            max_parts: 2_000,
            max_text_chars: 1_000_000,
            max_html_bytes: 4 * 1024 * 1024,
            max_html_depth: 400,
            max_attachments: 200,
        }
    }
}

/// A header test that marks a message as spam.
#[derive(Debug, Clone, PartialEq)]
pub struct SpamRule {
    /// Header name, matched case-insensitively.
    pub header: String,
    /// What the header's value must look like.
    pub condition: SpamCondition,
}

/// The value test of a [`SpamRule`].
#[derive(Debug, Clone, PartialEq)]
pub enum SpamCondition {
    /// The value starts with this text, case-insensitively (e.g. `yes`).
    StartsWith(String),
    /// The value's leading number is at least this (e.g. a score).
    AtLeast(f64),
}

impl SpamRule {
    /// Builds a rule matching a value prefix.
    pub fn starts_with(header: &str, prefix: &str) -> Self {
        Self {
            header: header.to_owned(),
            condition: SpamCondition::StartsWith(prefix.to_owned()),
        }
    }

    /// Builds a rule matching a numeric threshold.
    pub fn at_least(header: &str, threshold: f64) -> Self {
        Self {
            header: header.to_owned(),
            condition: SpamCondition::AtLeast(threshold),
        }
    }

    /// Returns the verdict headers of common filters (SpamAssassin, rspamd, Barracuda, Exchange).
    pub fn defaults() -> Vec<Self> {
        vec![
            Self::starts_with("X-Spam-Flag", "yes"),
            Self::starts_with("X-Spam-Status", "yes"),
            Self::starts_with("X-Spam", "yes"),
            Self::starts_with("X-Barracuda-Spam-Status", "yes"),
            Self::at_least("X-MS-Exchange-Organization-SCL", 5.0),
        ]
    }

    /// Tells whether a header value satisfies the rule.
    pub fn matches_value(&self, value: &str) -> bool {
        let value = value.trim();
        match &self.condition {
            SpamCondition::StartsWith(prefix) => value
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix)),
            SpamCondition::AtLeast(threshold) => {
                let number: String = value
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.'))
                    .collect();
                number.parse::<f64>().is_ok_and(|score| score >= *threshold)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_include_subdomains() {
        let config = EmailConfig {
            own_addresses: vec!["Klantenservice@velora.example.nl".into()],
            internal_domains: vec!["velora.example.nl".into()],
            ..EmailConfig::default()
        };
        assert!(config.is_own_address("klantenservice@VELORA.example.nl"));
        assert!(config.is_internal_address("jan@velora.example.nl"));
        assert!(config.is_internal_address("jan@sales.velora.example.nl"));
        assert!(!config.is_internal_address("jan@notvelora.example.nl"));
        assert!(!config.is_internal_address("not-an-address"));
    }

    #[test]
    fn spam_rules_match_values() {
        assert!(SpamRule::starts_with("X-Spam-Flag", "yes").matches_value(" YES"));
        assert!(!SpamRule::starts_with("X-Spam-Status", "yes").matches_value("No, score=1"));
        assert!(SpamRule::at_least("X-SCL", 5.0).matches_value("9"));
        assert!(!SpamRule::at_least("X-SCL", 5.0).matches_value("-1"));
        assert!(!SpamRule::at_least("X-SCL", 5.0).matches_value("high"));
    }
}
