//! Where deliveries may go. A webhook URL is chosen by whoever registers it, so without checks
//! it could make this service call its own network (databases, cloud metadata at
//! 169.254.169.254, admin ports on loopback). Every address a URL's host resolves to is checked
//! — at registration, and again by the delivery client's resolver on every connection, which
//! hands the HTTP client only the checked addresses (so a DNS answer cannot change between the
//! check and the connect). Redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use kit::AppError;

/// Which non-public addresses are allowed (settings `ALLOW_PRIVATE_TARGETS`,
/// `ALLOW_LOOPBACK_TARGETS`); by default none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    pub allow_private: bool,
    pub allow_loopback: bool,
}

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Public,
    Loopback,
    /// Private, link-local, unique-local, multicast, unspecified, reserved or documentation.
    Private,
}

impl Policy {
    pub fn allows(&self, ip: IpAddr) -> bool {
        match classify(ip) {
            Class::Public => true,
            Class::Loopback => self.allow_private || self.allow_loopback,
            Class::Private => self.allow_private,
        }
    }

    /// `Err` naming the first refused address.
    pub fn check(&self, addrs: &[IpAddr]) -> Result<(), String> {
        match addrs.iter().find(|ip| !self.allows(**ip)) {
            Some(ip) => Err(format!(
                "refused: the target address {ip} is {} (webhooks go to public addresses only)",
                match classify(*ip) {
                    Class::Loopback => "loopback",
                    _ => "private or reserved",
                }
            )),
            None => Ok(()),
        }
    }
}

pub fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if a == 127 {
        return Class::Loopback;
    }
    let private = a == 0                              // "this network", unspecified
        || a == 10                                     // RFC 1918
        || (a == 100 && (64..128).contains(&b))        // carrier-grade NAT
        || (a == 169 && b == 254)                      // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))         // RFC 1918
        || (a == 192 && b == 168)                      // RFC 1918
        || (a == 192 && b == 0 && c == 0)              // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)              // documentation
        || (a == 198 && (b == 18 || b == 19))          // benchmarking
        || (a == 198 && b == 51 && c == 100)           // documentation
        || (a == 203 && b == 0 && c == 113)            // documentation
        || a >= 224; // multicast, reserved, broadcast
    if private {
        Class::Private
    } else {
        Class::Public
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if ip == Ipv6Addr::LOCALHOST {
        return Class::Loopback;
    }
    // IPv4 written as IPv6 (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::a.b.c.d, the deprecated
    // compatible ::a.b.c.d) is judged as the IPv4 address it reaches.
    let s = ip.segments();
    let embedded = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0; 5] && (s[5] == 0xffff || (s[5] == 0 && !ip.is_unspecified())) {
        return classify_v4(embedded);
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return classify_v4(embedded);
    }
    let private = ip.is_unspecified()
        || (s[0] & 0xfe00) == 0xfc00     // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80     // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0     // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00     // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]); // discard-only 100::/64
    if private {
        Class::Private
    } else {
        Class::Public
    }
}

/// A parsed webhook URL: http or https, a host, no credentials.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: reqwest::Url,
    pub host: String,
    pub port: u16,
}

pub fn parse_url(field: &str, raw: &str) -> Result<Target, AppError> {
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err(AppError::bad_input(
            field,
            "must be at most 2000 characters",
        ));
    }
    let url = reqwest::Url::parse(raw)
        .map_err(|e| AppError::bad_input(field, format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AppError::bad_input(field, "must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::bad_input(
            field,
            "must not contain credentials; authenticate with the signature",
        ));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| AppError::bad_input(field, "must name a host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| AppError::bad_input(field, "must name a port"))?;
    Ok(Target { url, host, port })
}

/// The addresses `host` resolves to (itself when it is an IP address).
pub async fn resolve(host: &str, port: u16) -> std::io::Result<Vec<IpAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
    if addrs.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no addresses",
        ));
    }
    Ok(addrs.into_iter().map(|a| a.ip()).collect())
}

/// The registration check of `raw`: a valid URL whose every address the policy allows.
pub async fn check_registration(
    field: &str,
    raw: &str,
    policy: Policy,
) -> Result<Target, AppError> {
    let target = parse_url(field, raw)?;
    let addrs = resolve(&target.host, target.port).await.map_err(|_| {
        AppError::bad_input(
            field,
            format!("the host {:?} does not resolve", target.host),
        )
    })?;
    policy
        .check(&addrs)
        .map_err(|why| AppError::bad_input(field, why))?;
    Ok(target)
}

/// The delivery client's resolver: resolves, refuses names with any address the policy does
/// not allow, and returns exactly the checked addresses, which the client then connects to.
pub struct CheckedResolver {
    pub policy: Policy,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let addrs = resolve(name.as_str(), 0).await?;
            policy.check(&addrs)?;
            let addrs: reqwest::dns::Addrs =
                Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Class {
        classify(s.parse().unwrap())
    }

    #[test]
    fn private_loopback_link_local_multicast_and_unspecified_are_not_public() {
        for ip in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
        ] {
            assert_eq!(class(ip), Class::Private, "{ip}");
        }
        for ip in ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"] {
            assert_eq!(class(ip), Class::Loopback, "{ip}");
        }
        for ip in ["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700::1111"] {
            assert_eq!(class(ip), Class::Public, "{ip}");
        }
    }

    #[test]
    fn the_policy_can_allow_loopback_alone() {
        let lo = Policy {
            allow_loopback: true,
            allow_private: false,
        };
        assert!(lo.allows("127.0.0.1".parse().unwrap()));
        assert!(!lo.allows("10.0.0.1".parse().unwrap()));
        assert!(!Policy::default().allows("127.0.0.1".parse().unwrap()));
        let all = Policy {
            allow_private: true,
            allow_loopback: false,
        };
        assert!(all.allows("10.0.0.1".parse().unwrap()));
        assert!(all.allows("::1".parse().unwrap()));
    }

    #[test]
    fn urls_need_http_a_host_and_no_credentials() {
        assert!(parse_url("u", "https://example.com/hook").is_ok());
        assert_eq!(parse_url("u", "http://[::1]:8080/").unwrap().host, "::1");
        for bad in [
            "ftp://example.com/",
            "not a url",
            "https://u:p@example.com/",
        ] {
            assert!(parse_url("u", bad).is_err(), "{bad}");
        }
    }
}
