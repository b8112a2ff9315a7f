//! The seam for a local speech-to-text engine. Switchboard ships none: recordings stay playable
//! without text, and an engine (one that keeps its model on disk, never downloading it) can be
//! plugged in by the server.

use switchboard_core::ErrorKind;
use switchboard_core::item::Language;

/// Text a transcriber heard in a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Transcript {
    /// What was said, as the engine writes it.
    pub text: String,
    /// The language the engine heard, when it tells.
    pub language: Option<Language>,
    /// The engine's confidence 0..=1, when it tells.
    pub confidence: Option<f64>,
}

/// Why a transcription did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranscribeError {
    /// The engine is not reachable or not loaded right now; retrying later may work.
    #[error("transcriber unavailable: {0}")]
    Unavailable(String),
    /// The engine could not read the recording.
    #[error("transcription failed: {0}")]
    Failed(String),
}

impl TranscribeError {
    /// Returns the error's kind.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Unavailable(_) => ErrorKind::Unavailable,
            Self::Failed(_) => ErrorKind::Internal,
        }
    }
}

/// Turns a WAV recording into text. Implementations block; callers run them off the async
/// runtime (`spawn_blocking`).
pub trait Transcriber: Send + Sync {
    /// Transcribes a WAV recording; `Ok(None)` when the engine offers no text for it.
    fn transcribe(
        &self,
        wav: &[u8],
        language_hint: Option<Language>,
    ) -> Result<Option<Transcript>, TranscribeError>;
}

/// The default transcriber: never produces text, so voicemails without a PBX transcription stay
/// audio-only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoTranscriber;

impl Transcriber for NoTranscriber {
    fn transcribe(
        &self,
        _wav: &[u8],
        _language_hint: Option<Language>,
    ) -> Result<Option<Transcript>, TranscribeError> {
        Ok(None)
    }
}
