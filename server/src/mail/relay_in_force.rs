//! The SMTP relay in force on this node: the configuration file's, or one an admin saved. The
//! composers read it for each message (its sender address) and the outbox sender rebuilds its
//! connection when it changes, so the next message goes out through the new relay without a
//! restart.

use std::sync::Arc;

use tokio::sync::watch;

use super::settings::SmtpRelay;

/// A shared handle on the relay in force; clones see the same relay.
#[derive(Clone)]
pub struct RelayInForce {
    file: Arc<SmtpRelay>,
    current: Arc<watch::Sender<SmtpRelay>>,
}

impl RelayInForce {
    /// The configuration file's relay, in force until another is put in force.
    pub fn new(file: SmtpRelay) -> Self {
        Self {
            current: Arc::new(watch::Sender::new(file.clone())),
            file: Arc::new(file),
        }
    }

    /// The configuration file's relay.
    pub fn file(&self) -> &SmtpRelay {
        &self.file
    }

    /// The relay in force now.
    pub fn current(&self) -> SmtpRelay {
        self.current.borrow().clone()
    }

    /// Puts `relay` in force for the next message.
    pub fn put_in_force(&self, relay: SmtpRelay) {
        self.current.send_if_modified(|current| {
            let changed = *current != relay;
            *current = relay;
            changed
        });
    }

    /// Follows the relay in force: `changed` reports each new one.
    pub fn subscribe(&self) -> watch::Receiver<SmtpRelay> {
        self.current.subscribe()
    }
}

impl From<SmtpRelay> for RelayInForce {
    fn from(relay: SmtpRelay) -> Self {
        Self::new(relay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Security;

    fn relay(host: &str) -> SmtpRelay {
        SmtpRelay {
            host: host.into(),
            port: None,
            security: Security::Tls,
            user: None,
            password: None,
            from: "service@example.nl".into(),
            from_name: None,
            max_attempts: 8,
            first_retry_seconds: 30,
            max_retry_seconds: 3600,
        }
    }

    #[test]
    fn a_relay_put_in_force_is_seen_by_every_clone_and_reported_once() {
        let in_force = RelayInForce::new(relay("file.example.nl"));
        let clone = in_force.clone();
        let mut follower = in_force.subscribe();
        assert!(!follower.has_changed().unwrap());
        clone.put_in_force(relay("saved.example.nl"));
        assert_eq!(in_force.current().host, "saved.example.nl");
        assert!(follower.has_changed().unwrap());
        follower.borrow_and_update();
        clone.put_in_force(relay("saved.example.nl"));
        assert!(
            !follower.has_changed().unwrap(),
            "the same relay is no change"
        );
        assert_eq!(in_force.file().host, "file.example.nl");
    }
}
