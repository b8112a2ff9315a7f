//! Voicemail configuration: PBX notification patterns (built-in and custom), the default
//! region for caller numbers, withheld-caller markers, size limits and silence thresholds.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::pattern::ConfigRegex;

/// Mail notifications larger than this are refused (a long WAV at 8 kHz is about 1 MB a minute).
const DEFAULT_MAX_MAIL_BYTES: usize = 32 * 1024 * 1024;
/// Webhook bodies larger than this are refused.
const DEFAULT_MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

/// How voicemail inputs are recognised and read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoicemailConfig {
    /// ISO 3166 region used to read national caller numbers (`0612345678`), e.g. `NL`.
    pub default_region: String,
    /// Custom PBX patterns, tried in order before the built-in ones.
    pub patterns: Vec<PbxPattern>,
    /// Whether the built-in patterns (Asterisk/FreePBX, cloud PBX with transcription) apply.
    pub use_builtin_patterns: bool,
    /// Caller-ID values meaning "no number" (compared case-insensitively, trimmed).
    pub withheld_callers: Vec<String>,
    /// Largest notification e-mail accepted, in bytes.
    pub max_mail_bytes: usize,
    /// Largest webhook body accepted, in bytes.
    pub max_webhook_bytes: usize,
    /// When a voicemail counts as empty (no message left).
    pub silence: SilenceConfig,
}

/// The built-in patterns, compiled once: constants, not settings.
static BUILTIN_PATTERNS: LazyLock<Vec<PbxPattern>> = LazyLock::new(builtin_patterns);

impl Default for VoicemailConfig {
    fn default() -> Self {
        Self {
            default_region: "NL".to_owned(),
            patterns: Vec::new(),
            use_builtin_patterns: true,
            withheld_callers: [
                "anonymous",
                "anoniem",
                "withheld",
                "private",
                "restricted",
                "unknown",
                "unavailable",
                "onbekend",
                "unbekannt",
                "inconnu",
                "masqué",
                "-",
            ]
            .map(str::to_owned)
            .to_vec(),
            max_mail_bytes: DEFAULT_MAX_MAIL_BYTES,
            max_webhook_bytes: DEFAULT_MAX_WEBHOOK_BYTES,
            silence: SilenceConfig::default(),
        }
    }
}

impl VoicemailConfig {
    /// Returns the patterns in the order they are tried: custom ones, then the built-in ones.
    pub fn effective_patterns(&self) -> impl Iterator<Item = &PbxPattern> {
        let builtins: &[PbxPattern] = if self.use_builtin_patterns {
            &BUILTIN_PATTERNS
        } else {
            &[]
        };
        self.patterns.iter().chain(builtins)
    }

    /// Tells whether a caller-ID value means the number was withheld.
    pub fn is_withheld(&self, raw: &str) -> bool {
        let trimmed = raw
            .trim()
            .trim_matches(|c| c == '<' || c == '>' || c == '"');
        trimmed.is_empty()
            || self
                .withheld_callers
                .iter()
                .any(|marker| marker.eq_ignore_ascii_case(trimmed))
    }
}

/// Thresholds deciding that a voicemail holds no message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SilenceConfig {
    /// Recordings shorter than this many seconds are empty.
    pub min_seconds: f64,
    /// Frame loudness (dB over one 16-bit step) below which a recording is silent throughout.
    pub silence_level_db: f64,
    /// Spread between loud (90th percentile) and quiet (10th percentile) frames below which a
    /// recording is a steady noise (hiss, hum, an open line) rather than speech.
    pub min_speech_spread_db: f64,
    /// Words a transcription engine writes for hesitations; a transcription of only these is empty.
    pub filler_words: Vec<String>,
}

impl Default for SilenceConfig {
    fn default() -> Self {
        Self {
            min_seconds: 2.0,
            silence_level_db: 30.0,
            min_speech_spread_db: 12.0,
            filler_words: [
                "eh", "uh", "uhm", "um", "ehm", "hm", "hmm", "äh", "ähm", "euh",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// How one PBX's notification e-mails are recognised and read.
///
/// A message matches when every condition given holds (`from`, `subject`, `body`, `headers`);
/// a pattern with no condition never matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PbxPattern {
    /// The PBX's name, recorded on the item (e.g. `asterisk`).
    pub name: String,
    /// Matched against the From header as `Display Name <address>`.
    #[serde(default)]
    pub from: Option<ConfigRegex>,
    /// Matched against the decoded Subject.
    #[serde(default)]
    pub subject: Option<ConfigRegex>,
    /// Matched against the plain-text body.
    #[serde(default)]
    pub body: Option<ConfigRegex>,
    /// Header field names that must be present.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Where each field is read; for a field listed twice the first capture that matches wins.
    #[serde(default)]
    pub captures: Vec<FieldCapture>,
    /// chrono formats for the `recorded_at` capture, read in the Date header's offset.
    #[serde(default)]
    pub recorded_at_formats: Vec<String>,
}

impl PbxPattern {
    /// Tells whether the pattern has at least one condition.
    pub fn has_conditions(&self) -> bool {
        self.from.is_some()
            || self.subject.is_some()
            || self.body.is_some()
            || !self.headers.is_empty()
    }
}

/// One field read from one place with one expression (its `value` group, else its first group).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldCapture {
    /// The field filled.
    pub field: VoicemailField,
    /// Where the expression is applied.
    pub source: CaptureSource,
    /// The expression.
    pub regex: ConfigRegex,
}

/// The voicemail fields a pattern can capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailField {
    /// The caller's number as written.
    CallerNumber,
    /// The caller-ID name.
    CallerName,
    /// The number that was called.
    CalledNumber,
    /// The voicemail box.
    Mailbox,
    /// The PBX's message number in the box.
    MessageNumber,
    /// `m:ss`, `h:mm:ss` or seconds.
    Duration,
    /// When the message was left, as the PBX writes it.
    RecordedAt,
    /// The PBX's transcription.
    Transcription,
}

/// Where a capture expression is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureSource {
    /// The decoded Subject.
    Subject,
    /// The plain-text body.
    Body,
    /// The decoded value of the named header field.
    Header(String),
}

/// One capture as (field, source, expression); the expression is a built-in constant.
type CaptureSpec = (VoicemailField, CaptureSource, &'static str);

/// Builds the built-in patterns; an expression that fails to compile drops its capture with an
/// error log (a unit test keeps every built-in compiling).
pub(crate) fn builtin_patterns() -> Vec<PbxPattern> {
    [asterisk_headers(), asterisk_subject(), cloud_transcribed()]
        .into_iter()
        .flatten()
        .collect()
}

fn compile(source: &str) -> Option<ConfigRegex> {
    match ConfigRegex::new(source) {
        Ok(regex) => Some(regex),
        Err(error) => {
            tracing::error!(%error, source, "built-in voicemail pattern does not compile");
            None
        }
    }
}

fn captures(specs: Vec<CaptureSpec>) -> Vec<FieldCapture> {
    specs
        .into_iter()
        .filter_map(|(field, source, expression)| {
            compile(expression).map(|regex| FieldCapture {
                field,
                source,
                regex,
            })
        })
        .collect()
}

/// Captures shared by the Asterisk forms: subject, `voicemail.conf` default body and date.
fn asterisk_body_captures() -> Vec<CaptureSpec> {
    use VoicemailField::*;
    vec![
        (
            Mailbox,
            CaptureSource::Subject,
            r"(?i)\bmailbox\s+(?P<value>[\w@.-]+)",
        ),
        (
            MessageNumber,
            CaptureSource::Subject,
            r"(?i)\bmessage\s+(?P<value>\d+)",
        ),
        (
            Mailbox,
            CaptureSource::Body,
            r"(?i)\bin mailbox\s+(?P<value>[\w@.-]+)",
        ),
        (
            Duration,
            CaptureSource::Body,
            r"(?i)\bleft an?\s+(?P<value>\d+(?::\d{2}){1,2})\s+long message",
        ),
        (
            CallerName,
            CaptureSource::Body,
            r#"(?i)\bfrom\s+"(?P<value>[^"]*)"\s*<"#,
        ),
        (
            CallerNumber,
            CaptureSource::Body,
            r"(?i)\bfrom\s+(?:\x22[^\x22]*\x22\s*)?<(?P<value>[^>]*)>",
        ),
        (
            RecordedAt,
            CaptureSource::Body,
            r"(?i)\bon\s+(?P<value>\w+day,\s+\w+\s+\d{1,2},\s+\d{4}\s+at\s+\d{1,2}:\d{2}:\d{2}\s+[AP]M)",
        ),
    ]
}

const ASTERISK_DATE_FORMATS: [&str; 1] = ["%A, %B %d, %Y at %I:%M:%S %p"];

/// Asterisk and FreePBX with their `X-Asterisk-CallerID` headers (the `voicemail.conf` default).
fn asterisk_headers() -> Option<PbxPattern> {
    use VoicemailField::*;
    let mut specs = vec![
        (
            CallerNumber,
            CaptureSource::Header("X-Asterisk-CallerID".to_owned()),
            r"^\s*(?P<value>\S.*?)\s*$",
        ),
        (
            CallerName,
            CaptureSource::Header("X-Asterisk-CallerIDName".to_owned()),
            r"^\s*(?P<value>\S.*?)\s*$",
        ),
    ];
    specs.extend(asterisk_body_captures());
    Some(PbxPattern {
        name: "asterisk".to_owned(),
        from: None,
        subject: None,
        body: None,
        headers: vec!["X-Asterisk-CallerID".to_owned()],
        captures: captures(specs),
        recorded_at_formats: ASTERISK_DATE_FORMATS.map(str::to_owned).to_vec(),
    })
}

/// Asterisk and FreePBX mail whose `X-Asterisk-*` headers were stripped on the way.
fn asterisk_subject() -> Option<PbxPattern> {
    Some(PbxPattern {
        name: "asterisk".to_owned(),
        from: None,
        subject: Some(compile(
            r"(?i)\bnew (?:voicemail )?message \d+ in mailbox\b",
        )?),
        body: Some(compile(r"(?i)\blong message\b")?),
        headers: Vec::new(),
        captures: captures(asterisk_body_captures()),
        recorded_at_formats: ASTERISK_DATE_FORMATS.map(str::to_owned).to_vec(),
    })
}

/// Cloud PBX (Teams-, 3CX-style) notifications carrying a transcription instead of audio, in
/// Dutch, English, German or French.
fn cloud_transcribed() -> Option<PbxPattern> {
    use VoicemailField::*;
    let specs = vec![
        (
            CallerNumber,
            CaptureSource::Body,
            r"(?im)^\s*(?:beller|caller|calling number|anrufer|appelant)\s*:\s*(?P<value>.*?)\s*$",
        ),
        (
            Duration,
            CaptureSource::Body,
            r"(?im)^\s*(?:duur|duration|dauer|durée|duree|länge)\s*:\s*(?P<value>\d+(?::\d{2}){0,2})\s*$",
        ),
        (
            Duration,
            CaptureSource::Subject,
            r"(?i)\((?P<value>\d+)\s*(?:seconden|seconds|sec|sekunden|secondes|s)\)",
        ),
        (
            CalledNumber,
            CaptureSource::Body,
            r"(?im)^\s*(?:gebeld nummer|called number|angerufene nummer|numéro appelé)\s*:\s*(?P<value>.*?)\s*$",
        ),
        (
            Transcription,
            CaptureSource::Body,
            r"(?is)(?:^|\n)\s*(?:transcriptie|transcription|transkription|transkript)\s*:\s*\n(?P<value>.*?)(?:\n\s*\n|\z)",
        ),
    ];
    Some(PbxPattern {
        name: "cloud-pbx".to_owned(),
        from: None,
        subject: Some(compile(
            r"(?i)^\s*(?:voicemail|voice mail|sprachnachricht|message vocal|messagerie vocale)\b",
        )?),
        body: Some(compile(
            r"(?im)^\s*(?:transcriptie|transcription|transkription|transkript|duur|duration|dauer|durée)\s*:",
        )?),
        headers: Vec::new(),
        captures: captures(specs),
        recorded_at_formats: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_pattern_and_capture_compiles() {
        let patterns = builtin_patterns();
        assert_eq!(patterns.len(), 3);
        let capture_counts: Vec<usize> = patterns.iter().map(|p| p.captures.len()).collect();
        assert_eq!(capture_counts, vec![9, 7, 5]);
        assert!(patterns.iter().all(PbxPattern::has_conditions));
    }

    #[test]
    fn config_round_trips_through_json_and_rejects_bad_regex() {
        let config = VoicemailConfig::default();
        let json = serde_json::to_string(&config).unwrap();
        let back: VoicemailConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, config);
        let bad = r#"{"patterns":[{"name":"x","subject":"(unclosed"}]}"#;
        assert!(serde_json::from_str::<VoicemailConfig>(bad).is_err());
    }

    #[test]
    fn withheld_markers_match_case_insensitively() {
        let config = VoicemailConfig::default();
        assert!(config.is_withheld(" Anonymous "));
        assert!(config.is_withheld("<anonymous>"));
        assert!(config.is_withheld(""));
        assert!(!config.is_withheld("+31612345678"));
    }
}
