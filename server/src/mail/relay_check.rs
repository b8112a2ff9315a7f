//! Checks an SMTP relay before an admin's change is saved: connects with its security (TLS from
//! the first byte or STARTTLS), then logs in when it has a user, as the outbox will. Each
//! refusal names the field to look at; the password never appears in one.

use std::time::Duration;

use super::outbox::transport;
use super::settings::SmtpRelay;

/// The longest a relay check (connect, TLS, log in) may take.
const RELAY_CHECK_TIMEOUT: Duration = Duration::from_secs(15);

/// A refused relay: the field to look at and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayProblem {
    /// `host`, `security`, `user` or `password`.
    pub field: &'static str,
    /// Why, for the admin.
    pub reason: String,
}

/// Connects to `relay` (without logging in), then logs in when it has a user.
pub async fn check_relay(relay: &SmtpRelay) -> Result<(), RelayProblem> {
    let address = format!("{}:{}", relay.host, relay.port());
    let anonymous = SmtpRelay {
        user: None,
        password: None,
        ..relay.clone()
    };
    connect(&anonymous).await.map_err(|failure| RelayProblem {
        field: if failure.tls { "security" } else { "host" },
        reason: format!(
            "no SMTP relay answers at {address} as configured: {}",
            failure.reason
        ),
    })?;
    let Some(user) = &relay.user else {
        return Ok(());
    };
    connect(relay).await.map_err(|failure| RelayProblem {
        field: "password",
        reason: format!(
            "the relay at {address} refuses the login as {user:?}: {}",
            failure.reason
        ),
    })
}

/// Why a connection failed, and whether TLS was the cause.
struct ConnectFailure {
    tls: bool,
    reason: String,
}

/// Opens and closes one connection to `relay`, logging in when it has credentials.
async fn connect(relay: &SmtpRelay) -> Result<(), ConnectFailure> {
    let failure = |error: lettre::transport::smtp::Error| ConnectFailure {
        tls: error.is_tls(),
        reason: error.to_string(),
    };
    let transport = transport(relay).map_err(failure)?;
    match tokio::time::timeout(RELAY_CHECK_TIMEOUT, transport.test_connection()).await {
        Ok(tested) => tested.map(|_| ()).map_err(failure),
        Err(_) => Err(ConnectFailure {
            tls: false,
            reason: format!("no answer within {} s", RELAY_CHECK_TIMEOUT.as_secs()),
        }),
    }
}
