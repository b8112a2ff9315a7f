//! The voicemail webhook's shared secret, replaceable while serving: the configuration file's,
//! or one an admin saved (the `settings` row [`SAVED_SECRET_SETTING`]), which overrides it.
//! The value is never shown, logged or put in an audit event; `Debug` redacts it.

use std::sync::{Arc, PoisonError, RwLock};

/// The `settings` row holding a secret an admin saved; empty: the file's applies.
pub const SAVED_SECRET_SETTING: &str = "voicemail_webhook.secret";
/// The fewest characters a saved secret has.
pub const MIN_SECRET_CHARS: usize = 16;

/// The secret in force, shared by clones: the saved one, else the file's.
#[derive(Clone, Default)]
pub struct WebhookSecret {
    file: Option<Arc<[u8]>>,
    saved: Arc<RwLock<Option<Arc<[u8]>>>>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookSecret")
            .field("file", &self.file.as_ref().map(|_| "<redacted>"))
            .field("saved", &self.is_saved().then_some("<redacted>"))
            .finish()
    }
}

fn non_empty(secret: &[u8]) -> Option<Arc<[u8]>> {
    (!secret.is_empty()).then(|| Arc::from(secret))
}

impl WebhookSecret {
    /// The configuration file's secret (empty: none), with nothing saved yet.
    pub fn from_file(file: Option<&[u8]>) -> Self {
        Self {
            file: file.and_then(non_empty),
            saved: Arc::default(),
        }
    }

    /// The secret in force, if any.
    pub fn current(&self) -> Option<Arc<[u8]>> {
        let saved = self.saved.read().unwrap_or_else(PoisonError::into_inner);
        saved.clone().or_else(|| self.file.clone())
    }

    /// Puts the saved secret (the [`SAVED_SECRET_SETTING`] row's value) in force; none or
    /// empty: the file's.
    pub fn apply_saved(&self, saved: Option<&str>) {
        let saved = saved.and_then(|secret| non_empty(secret.as_bytes()));
        *self.saved.write().unwrap_or_else(PoisonError::into_inner) = saved;
    }

    /// Whether a saved secret is in force (over the file's).
    pub fn is_saved(&self) -> bool {
        self.saved
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    /// Whether the configuration file holds a secret.
    pub fn has_file_secret(&self) -> bool {
        self.file.is_some()
    }
}

/// Why a secret an admin typed is refused (never naming it), if it is.
pub fn secret_problem(secret: &str) -> Option<String> {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return Some(format!(
            "a secret has at least {MIN_SECRET_CHARS} characters"
        ));
    }
    if secret.trim() != secret || secret.chars().any(char::is_control) {
        return Some("a secret has no leading or trailing spaces or control characters".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_secret_overrides_the_files_until_cleared_and_is_never_printed() {
        let secret = WebhookSecret::from_file(Some(b"file-secret-0123456789"));
        let clone = secret.clone();
        assert_eq!(
            secret.current().as_deref(),
            Some(&b"file-secret-0123456789"[..])
        );
        secret.apply_saved(Some("admin-secret-0123456789"));
        assert_eq!(
            clone.current().as_deref(),
            Some(&b"admin-secret-0123456789"[..])
        );
        assert!(clone.is_saved());
        let printed = format!("{clone:?}");
        assert!(!printed.contains("secret-0123"), "{printed}");
        secret.apply_saved(Some(""));
        assert_eq!(
            clone.current().as_deref(),
            Some(&b"file-secret-0123456789"[..])
        );
        assert_eq!(WebhookSecret::from_file(Some(b"")).current(), None);
        assert!(secret_problem("short").is_some());
        assert!(secret_problem(" padded-secret-0123456789").is_some());
        assert_eq!(secret_problem("a-good-secret-0123456789"), None);
    }
}
