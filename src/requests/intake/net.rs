//! The client's address: the TCP peer, or — only when the peer is a trusted proxy — the address its
//! `X-Forwarded-For` names (walked from the right, past every trusted proxy).

use std::net::IpAddr;

/// An address block (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = canonical(a.parse::<IpAddr>().ok()?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|n| *n <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    /// A comma-separated list; the first entry that does not parse is the error.
    pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
        s.split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| Cidr::parse(e).ok_or_else(|| e.to_string()))
            .collect()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u32::from(net).into(), self.prefix, 32) == masked(u32::from(ip).into(), self.prefix, 32)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                masked(u128::from(net), self.prefix, 128) == masked(u128::from(ip), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(bits: u128, prefix: u8, width: u8) -> u128 {
    if prefix == 0 { 0 } else { bits >> (width - prefix) }
}

/// `::ffff:1.2.3.4` is 1.2.3.4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// One `X-Forwarded-For` entry: an address, maybe with a port (`1.2.3.4:5678`, `[2001:db8::1]:80`).
fn hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    s.parse::<std::net::SocketAddr>().ok().map(|a| canonical(a.ip()))
}

/// The client address: `peer`, unless `peer` is a trusted proxy; then the right-most address of
/// `forwarded` (all `X-Forwarded-For` values, in order) that is not itself a trusted proxy. An
/// entry that does not parse stops the walk at the last trusted hop (a proxy that passed garbage
/// on is not believed further).
pub fn client_ip(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[Cidr]) -> Option<IpAddr> {
    let mut ip = canonical(peer?);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(ip) {
        return Some(ip);
    }
    let hops: Vec<&str> = forwarded.iter().flat_map(|h| h.split(',')).collect();
    for h in hops.into_iter().rev() {
        let Some(next) = hop(h) else { break };
        ip = next;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(ip)
}

/// The key the per-address limit counts under: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber usually holds a whole /64).
pub fn limit_key(ip: IpAddr) -> u128 {
    match canonical(ip) {
        // As `::ffff:a.b.c.d`: its low 64 bits never equal a /64 key's.
        IpAddr::V4(v4) => (0xffff_u128 << 32) | u128::from(u32::from(v4)),
        IpAddr::V6(v6) => (u128::from(v6) >> 64 << 64) | 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxies = Cidr::parse_list("10.0.0.0/8, 2001:db8::/32").unwrap_or_default();
        // An untrusted peer: its header is ignored, whatever it says.
        assert_eq!(client_ip(Some(ip("203.0.113.9")), &["81.2.69.142"], &proxies), Some(ip("203.0.113.9")));
        // A trusted proxy: the address it names.
        assert_eq!(client_ip(Some(ip("10.1.2.3")), &["81.2.69.142"], &proxies), Some(ip("81.2.69.142")));
        // Spoofed entries left of the proxy chain are not reached: the right-most untrusted wins.
        assert_eq!(
            client_ip(Some(ip("10.1.2.3")), &["1.1.1.1, 81.2.69.142", "10.9.9.9"], &proxies),
            Some(ip("81.2.69.142"))
        );
        assert_eq!(client_ip(Some(ip("::ffff:10.1.2.3")), &["[2a02:ff0::5]:443"], &proxies), Some(ip("2a02:ff0::5")));
        // Garbage from a trusted proxy: the proxy itself.
        assert_eq!(client_ip(Some(ip("10.1.2.3")), &["<script>"], &proxies), Some(ip("10.1.2.3")));
        assert_eq!(client_ip(Some(ip("10.1.2.3")), &[], &proxies), Some(ip("10.1.2.3")));
        assert!(Cidr::parse("10.0.0.0/33").is_none() && Cidr::parse("nope").is_none());
        assert!(Cidr::parse("0.0.0.0/0").is_some_and(|c| c.contains(ip("8.8.8.8"))));
    }

    #[test]
    fn an_ipv6_subscriber_is_one_limit_key_per_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
        assert_ne!(limit_key(ip("0.0.0.1")), limit_key(ip("::1")));
    }
}
