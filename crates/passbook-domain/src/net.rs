//! Which addresses are not on the public internet, from the IANA IPv4 and IPv6 Special-Purpose
//! Address Registries: webhooks in production mode go only to public addresses.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Every block of the IPv4 special-purpose registry (RFC 6890 and its updates), with multicast:
/// none is a place a webhook receiver lives, even the few the registry marks as globally
/// reachable (anycast relays and AS112 sinks).
const SPECIAL_V4: &[(Ipv4Addr, u8)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private use
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space (carrier-grade NAT)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link local
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private use
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation (TEST-NET-1)
    (Ipv4Addr::new(192, 31, 196, 0), 24), // AS112-v4
    (Ipv4Addr::new(192, 52, 193, 0), 24), // AMT
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private use
    (Ipv4Addr::new(192, 175, 48, 0), 24), // direct delegation AS112 service
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation (TEST-NET-2)
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation (TEST-NET-3)
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and the limited broadcast address
];

/// Blocks inside 2000::/3 (the only global unicast space) that the IPv6 special-purpose
/// registry sets apart, or that carry an IPv4 address a gateway would reach for us.
const SPECIAL_V6_IN_GLOBAL: &[(Ipv6Addr, u8)] = &[
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments (Teredo, ORCHID, …)
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16), // 6to4: an embedded IPv4 address
    (Ipv6Addr::new(0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0), 48), // direct delegation AS112 service
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation
];

/// Whether `ip` is anything but a public unicast address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    SPECIAL_V4.iter().any(|&(net, len)| prefix_v4(ip, len) == prefix_v4(net, len))
}

/// Outside 2000::/3 nothing is public: that covers loopback, unspecified, IPv4-mapped and
/// IPv4-compatible (::/96), NAT64 (64:ff9b::/96, 64:ff9b:1::/48), discard-only (100::/64),
/// unique local (fc00::/7), link and site local, multicast, and SRv6 SIDs (5f00::/16).
fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    bits >> 125 != 0b001
        || SPECIAL_V6_IN_GLOBAL.iter().any(|&(net, len)| prefix_v6(bits, len) == prefix_v6(net.into(), len))
}

fn prefix_v4(ip: Ipv4Addr, len: u8) -> u32 {
    u32::from(ip).checked_shr(32 - u32::from(len)).unwrap_or(0)
}

fn prefix_v6(bits: u128, len: u8) -> u128 {
    bits.checked_shr(128 - u32::from(len)).unwrap_or(0)
}

/// The IP address in a URL's host, or `localhost` names: hosts known to be internal without a
/// DNS lookup. Names are checked again on every delivery, after they are resolved.
pub fn internal_host(host: &str) -> Option<String> {
    let bare = host.trim_matches(['[', ']']).trim_end_matches('.').to_ascii_lowercase();
    if bare == "localhost" || bare.ends_with(".localhost") {
        return Some(bare);
    }
    let ip: IpAddr = bare.parse().ok()?;
    is_internal(ip).then_some(bare)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_purpose_addresses_are_internal() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "198.18.0.1",
            "198.19.255.254",
            "192.0.0.9",
            "192.88.99.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fec0::1",
            "fd00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:db8::1",
            "2002:a00:1::",
            "2002:808:808::",
            "3fff::1",
            "5f00::1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "102.89.1.1", "198.20.0.1", "192.0.1.1", "2606:4700::1111", "2c0f:f248::1"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn hosts_known_internal_without_dns() {
        for host in ["localhost", "LOCALHOST.", "api.localhost", "127.1.2.3", "[::1]", "[64:ff9b::7f00:1]"] {
            assert!(internal_host(host).is_some(), "{host}");
        }
        for host in ["hooks.example.com", "8.8.8.8", "[2606:4700::1111]"] {
            assert!(internal_host(host).is_none(), "{host}");
        }
    }
}
