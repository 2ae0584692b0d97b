//! The address a request comes from, which per-address limits (requests, link actions, console
//! logins) count by. Behind a proxy every request comes from the proxy; an operator names the
//! proxies it trusts (`--trusted-proxies`), and for a request from one of them the address is the
//! last one in `X-Forwarded-For` that is not itself a trusted proxy. A forwarded header from
//! anyone else is ignored: it is whatever the client wrote.
use std::net::IpAddr;
use std::str::FromStr;

use axum::extract::Request;

/// An address or a network (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                masked(u128::from(u32::from(net)), u128::from(u32::from(ip)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => masked(u128::from(net), u128::from(ip), 128, self.prefix),
            _ => false,
        }
    }
}

fn masked(net: u128, ip: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits - prefix);
    shift >= 128 || (net >> shift) == (ip >> shift)
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (addr, prefix) = text.trim().split_once('/').map_or((text.trim(), None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = addr.parse().map_err(|_| format!("'{text}' is not an IP address or network"))?;
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => {
                p.parse::<u8>().ok().filter(|p| *p <= bits).ok_or_else(|| format!("'{text}': bad prefix length"))?
            }
            None => bits,
        };
        Ok(Self { addr, prefix })
    }
}

/// The resolved client address, in the request's extensions.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub IpAddr);

/// Works the client address out once for every layer and handler after it (in the outermost
/// layer, [`crate::edge`]).
pub fn resolve(trusted: &[IpNet], request: &mut Request) {
    if let Some(peer) = crate::serve::peer(request).map(|a| a.ip()) {
        let forwarded = request.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok());
        let address = client(peer, forwarded, trusted);
        request.extensions_mut().insert(ClientAddress(address));
    }
}

/// `peer`, or when it is a trusted proxy, the last forwarded address that is not one.
fn client<'a>(peer: IpAddr, forwarded: impl Iterator<Item = &'a str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = forwarded.flat_map(|v| v.split(',')).filter_map(|hop| hop.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !is_trusted(*ip)).unwrap_or(peer)
}

/// The client address of a request, from its extensions (the peer when it did not come
/// through [`resolve`]).
pub fn of(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    let peer = || extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    extensions.get::<ClientAddress>().map(|c| c.0).or_else(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trusted_proxy_speaks_for_its_client() {
        let trusted: Vec<IpNet> = ["10.0.0.0/8", "::1"].iter().map(|n| n.parse().unwrap()).collect();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let header = ["203.0.113.9, 198.51.100.7, 10.1.2.3"];
        assert_eq!(client(ip("10.0.0.1"), header.into_iter(), &trusted), ip("198.51.100.7"), "the last untrusted hop");
        assert_eq!(client(ip("192.0.2.1"), header.into_iter(), &trusted), ip("192.0.2.1"), "not a trusted peer");
        assert_eq!(client(ip("::1"), ["junk"].into_iter(), &trusted), ip("::1"), "nothing usable forwarded");
        assert!("10.0.0.0/33".parse::<IpNet>().is_err() && "nonsense".parse::<IpNet>().is_err());
        assert!("0.0.0.0/0".parse::<IpNet>().unwrap().contains(ip("8.8.8.8")));
    }
}
