//! Recording URLs from webhooks: checked before the server fetches them, so a forged or
//! careless callback cannot point the server at itself or at the internal network.
//!
//! The server still has to resolve the host and check each address with
//! [`is_forbidden_address`] (DNS may point an allowed name anywhere), and fetch with redirects
//! disabled.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use url::{Host, Url};

/// Longest recording URL accepted, in bytes.
const MAX_URL_BYTES: usize = 2048;

/// Which recording URLs may be fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RecordingUrlPolicy {
    /// Host names allowed; `*.example.com` allows every subdomain (not the apex).
    pub allowed_hosts: Vec<String>,
    /// Whether plain `http` is allowed (test set-ups only).
    pub allow_http: bool,
    /// Ports allowed besides the scheme's default.
    pub allowed_ports: Vec<u16>,
}

/// Why a recording URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRejected {
    /// The text is no absolute URL, or is too long.
    #[error("recording url is not a valid absolute url")]
    Invalid,
    /// The scheme is not https (or http when allowed).
    #[error("recording url scheme {0:?} is not allowed")]
    Scheme(String),
    /// The URL carries a user name or password.
    #[error("recording url must not carry credentials")]
    UserInfo,
    /// The URL has no host.
    #[error("recording url has no host")]
    NoHost,
    /// The host is an address the server must never fetch from.
    #[error("recording url points at a forbidden address {0}")]
    ForbiddenAddress(IpAddr),
    /// The host is not on the allow-list.
    #[error("recording url host {0:?} is not on the allow-list")]
    HostNotAllowed(String),
    /// The port is not the scheme's default and not allowed.
    #[error("recording url port {0} is not allowed")]
    Port(u16),
}

/// Checks a recording URL with https only, default ports only and the given host allow-list.
pub fn check_recording_url(url: &str, allow_list: &[String]) -> Result<Url, UrlRejected> {
    let policy = RecordingUrlPolicy {
        allowed_hosts: allow_list.to_vec(),
        ..RecordingUrlPolicy::default()
    };
    check_recording_url_with(url, &policy)
}

/// Checks a recording URL against a policy.
pub fn check_recording_url_with(
    url: &str,
    policy: &RecordingUrlPolicy,
) -> Result<Url, UrlRejected> {
    if url.len() > MAX_URL_BYTES {
        return Err(UrlRejected::Invalid);
    }
    let parsed = Url::parse(url.trim()).map_err(|_| UrlRejected::Invalid)?;
    match parsed.scheme() {
        "https" => {}
        "http" if policy.allow_http => {}
        other => return Err(UrlRejected::Scheme(other.to_owned())),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(UrlRejected::UserInfo);
    }
    let host_name = match parsed.host() {
        None => return Err(UrlRejected::NoHost),
        Some(Host::Ipv4(address)) => check_address(IpAddr::V4(address))?,
        Some(Host::Ipv6(address)) => check_address(IpAddr::V6(address))?,
        Some(Host::Domain(domain)) => domain.trim_end_matches('.').to_ascii_lowercase(),
    };
    if !policy
        .allowed_hosts
        .iter()
        .any(|allowed| host_allowed(&host_name, allowed))
    {
        return Err(UrlRejected::HostNotAllowed(host_name));
    }
    if let Some(port) = parsed.port()
        && !policy.allowed_ports.contains(&port)
    {
        return Err(UrlRejected::Port(port));
    }
    Ok(parsed)
}

fn check_address(address: IpAddr) -> Result<String, UrlRejected> {
    if is_forbidden_address(address) {
        Err(UrlRejected::ForbiddenAddress(address))
    } else {
        Ok(address.to_string())
    }
}

fn host_allowed(host: &str, allowed: &str) -> bool {
    let allowed = allowed.trim().trim_end_matches('.').to_ascii_lowercase();
    match allowed.strip_prefix("*.") {
        Some(parent) => host
            .strip_suffix(parent)
            .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
        None => !allowed.is_empty() && host == allowed,
    }
}

/// Tells whether an address must never be fetched from: loopback, private, link-local
/// (cloud metadata), unspecified, shared (CGNAT), multicast, broadcast, documentation,
/// unique-local, and such IPv4 addresses mapped or embedded into IPv6.
pub fn is_forbidden_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => {
            let embedded_v4_forbidden = v6.to_ipv4().is_some_and(is_forbidden_v4);
            embedded_v4_forbidden || is_forbidden_v6(v6)
        }
    }
}

fn is_forbidden_v4(address: Ipv4Addr) -> bool {
    let [first, second, ..] = address.octets();
    let shared_cgnat = first == 100 && (64..128).contains(&second);
    let benchmarking = first == 198 && (second == 18 || second == 19);
    let reserved = first >= 240;
    address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_broadcast()
        || address.is_multicast()
        || address.is_documentation()
        || first == 0
        || shared_cgnat
        || benchmarking
        || reserved
}

fn is_forbidden_v6(address: Ipv6Addr) -> bool {
    let first = address.segments()[0];
    let unique_local = (first & 0xfe00) == 0xfc00;
    let link_local = (first & 0xffc0) == 0xfe80;
    let documentation = first == 0x2001 && address.segments()[1] == 0x0db8;
    let nat64 = first == 0x0064 && address.segments()[1] == 0xff9b;
    address.is_loopback()
        || address.is_unspecified()
        || address.is_multicast()
        || unique_local
        || link_local
        || documentation
        || nat64
}
