//! The UI's texts in Dutch and English, from `web/i18n/*.toml` embedded in the binary. The
//! language is the user's choice (a cookie) or else the browser's `Accept-Language`.

use std::collections::HashMap;

use actix_web::HttpRequest;

/// The cookie that keeps a user's language choice.
pub const LANGUAGE_COOKIE: &str = "sb_lang";

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the fallback).
    En,
    /// Dutch.
    Nl,
}

impl Lang {
    /// Every UI language.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Nl];

    /// The language tag (`en`, `nl`).
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Nl => "nl",
        }
    }

    /// The language's own name.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Nl => "Nederlands",
        }
    }

    /// Parses a tag such as `nl`, `nl-BE` or `EN`.
    pub fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "nl" => Some(Self::Nl),
            _ => None,
        }
    }

    /// Picks the best language of an `Accept-Language` header by its quality values.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        header
            .split(',')
            .filter_map(|entry| {
                let mut parts = entry.split(';');
                let lang = Lang::parse(parts.next()?)?;
                let quality = parts
                    .find_map(|param| param.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                Some((lang, quality))
            })
            .filter(|(_, quality)| *quality > 0.0)
            .fold(
                None,
                |best: Option<(Lang, f32)>, (lang, quality)| match best {
                    Some((_, best_quality)) if best_quality >= quality => best,
                    _ => Some((lang, quality)),
                },
            )
            .map(|(lang, _)| lang)
    }
}

/// The texts of one language.
#[derive(Debug, Clone)]
pub struct Texts {
    lang: Lang,
    entries: HashMap<String, String>,
}

impl Texts {
    /// Parses a translation file: TOML tables of strings, keys joined with dots.
    pub fn parse(lang: Lang, source: &str) -> Result<Self, String> {
        let table: toml::Table = source.parse().map_err(|error| format!("{error}"))?;
        let mut entries = HashMap::new();
        flatten("", &table, &mut entries)?;
        Ok(Self { lang, entries })
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text for `key`; the key itself when it has none, so a gap shows instead of hiding.
    pub fn get<'a>(&'a self, key: &'a str) -> &'a str {
        self.entries.get(key).map_or(key, String::as_str)
    }

    /// Every key.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    entries: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (name, value) in table {
        let key = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            toml::Value::String(text) => {
                entries.insert(key, text.clone());
            }
            toml::Value::Table(inner) => flatten(&key, inner, entries)?,
            _ => return Err(format!("{key}: a text must be a string")),
        }
    }
    Ok(())
}

/// The texts of every UI language.
#[derive(Debug, Clone)]
pub struct Catalog {
    en: Texts,
    nl: Texts,
}

const EN_SOURCE: &str = include_str!("../../i18n/en.toml");
const NL_SOURCE: &str = include_str!("../../i18n/nl.toml");

impl Catalog {
    /// The texts embedded in the binary. A file that does not parse (the tests prevent it) is
    /// logged and leaves that language showing its keys.
    pub fn embedded() -> Self {
        let load = |lang: Lang, source: &str| {
            Texts::parse(lang, source).unwrap_or_else(|error| {
                tracing::error!(lang = lang.code(), %error, "translation file does not parse");
                Texts {
                    lang,
                    entries: HashMap::new(),
                }
            })
        };
        Self {
            en: load(Lang::En, EN_SOURCE),
            nl: load(Lang::Nl, NL_SOURCE),
        }
    }

    /// The texts of `lang`.
    pub fn texts(&self, lang: Lang) -> &Texts {
        match lang {
            Lang::En => &self.en,
            Lang::Nl => &self.nl,
        }
    }

    /// The texts for a request: the language cookie, else `Accept-Language`, else English.
    pub fn for_request(&self, request: &HttpRequest) -> &Texts {
        self.texts(language_of(request))
    }
}

/// The language a request asks for.
pub fn language_of(request: &HttpRequest) -> Lang {
    request
        .cookie(LANGUAGE_COOKIE)
        .and_then(|cookie| Lang::parse(cookie.value()))
        .or_else(|| {
            request
                .headers()
                .get(actix_web::http::header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::En)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn both_translation_files_parse_and_have_the_same_keys() {
        let en = Texts::parse(Lang::En, EN_SOURCE).unwrap();
        let nl = Texts::parse(Lang::Nl, NL_SOURCE).unwrap();
        let en_keys: BTreeSet<&str> = en.keys().collect();
        let nl_keys: BTreeSet<&str> = nl.keys().collect();
        let only_en: Vec<_> = en_keys.difference(&nl_keys).collect();
        let only_nl: Vec<_> = nl_keys.difference(&en_keys).collect();
        assert!(only_en.is_empty(), "missing in nl.toml: {only_en:?}");
        assert!(only_nl.is_empty(), "missing in en.toml: {only_nl:?}");
        assert!(en_keys.len() > 50);
        assert_eq!(nl.get("nav.search"), "Zoeken");
        assert_eq!(en.get("nav.search"), "Search");
    }

    #[test]
    fn every_key_the_templates_use_exists() {
        let en = Texts::parse(Lang::En, EN_SOURCE).unwrap();
        let pattern = regex_lite_keys();
        for (name, source) in TEMPLATES {
            for key in pattern(source) {
                assert!(
                    en.entries.contains_key(&key),
                    "{name} uses {key}, which en.toml lacks"
                );
            }
        }
    }

    /// Every template, to check the keys they use.
    const TEMPLATES: [(&str, &str); 13] = [
        ("lead.html", include_str!("../../templates/lead.html")),
        ("work.html", include_str!("../../templates/work.html")),
        ("item.html", include_str!("../../templates/item.html")),
        ("layout.html", include_str!("../../templates/layout.html")),
        ("login.html", include_str!("../../templates/login.html")),
        ("search.html", include_str!("../../templates/search.html")),
        (
            "admin_nav.html",
            include_str!("../../templates/admin_nav.html"),
        ),
        (
            "admin_rules.html",
            include_str!("../../templates/admin_rules.html"),
        ),
        (
            "admin_users.html",
            include_str!("../../templates/admin_users.html"),
        ),
        (
            "admin_tokens.html",
            include_str!("../../templates/admin_tokens.html"),
        ),
        (
            "admin_queues.html",
            include_str!("../../templates/admin_queues.html"),
        ),
        (
            "admin_agent.html",
            include_str!("../../templates/admin_agent.html"),
        ),
        (
            "admin_channels.html",
            include_str!("../../templates/admin_channels.html"),
        ),
    ];

    /// Finds `t.get("...")` calls in a template.
    fn regex_lite_keys() -> impl Fn(&str) -> Vec<String> {
        |source: &str| {
            source
                .split("t.get(\"")
                .skip(1)
                .filter_map(|rest| rest.split('"').next().map(str::to_owned))
                .collect()
        }
    }

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(
            Lang::from_accept_language("nl-NL,nl;q=0.9,en;q=0.8"),
            Some(Lang::Nl)
        );
        assert_eq!(
            Lang::from_accept_language("de-DE,en;q=0.5,nl;q=0.7"),
            Some(Lang::Nl)
        );
        assert_eq!(Lang::from_accept_language("fr, de;q=0.5"), None);
        assert_eq!(
            Lang::from_accept_language("nl;q=0, en;q=0.1"),
            Some(Lang::En)
        );
        assert_eq!(Lang::parse("NL-be"), Some(Lang::Nl));
    }
}
