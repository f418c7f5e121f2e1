//! A minimal DER reader for the one thing the TLS probe reports about a certificate: the
//! leaf's subject, issuer, SANs, validity, serial and SHA-256 fingerprint.
//!
//! Why not x509-parser: it fits the task but costs ~53 KB gzip of wasm (measured in
//! ../shared/tls-in-worker.md), which would take the bundle past its 1.1 MB budget; rustls-webpki
//! parses the same fields but does not expose them. X.509's outer structure is small and fixed
//! (RFC 5280 §4.1), so this reads exactly those fields and nothing else. It never panics on
//! any input (a malformed certificate reads as `None`) and never verifies anything: trust is
//! rustls' job.

use sha2::{Digest, Sha256};

use crate::time::UnixMillis;

/// What the probe shows of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCert {
    pub subject: String,
    pub issuer: String,
    /// Raw DER of the subject and issuer names (compared to tell self-issued certificates).
    pub subject_der: Vec<u8>,
    pub issuer_der: Vec<u8>,
    pub sans: Vec<String>,
    pub not_before: UnixMillis,
    pub not_after: UnixMillis,
    /// Hex, colon-separated, as browsers show it.
    pub serial: String,
    /// SHA-256 of the whole DER, hex, colon-separated.
    pub sha256: String,
}

impl ParsedCert {
    /// Subject and issuer are the same name: the certificate signed itself (or claims to).
    pub fn self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }
}

/// One DER element: tag, contents, and the rest of the input after it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The whole encoding (tag + length + contents) of the element at the start of `input`.
fn raw_element(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (_, _, rest) = element(input)?;
    Some((&input[..input.len() - rest.len()], rest))
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Reads a DER certificate. `None` when it is not one this reader understands.
pub fn parse(der: &[u8]) -> Option<ParsedCert> {
    let (0x30, cert, _) = element(der)? else {
        return None;
    };
    let (0x30, tbs, _) = element(cert)? else {
        return None;
    };
    let mut rest = tbs;
    // version [0] EXPLICIT, optional
    if rest.first() == Some(&0xa0) {
        rest = element(rest)?.2;
    }
    let (0x02, serial, r) = element(rest)? else {
        return None;
    };
    rest = element(r)?.2; // signature algorithm
    let (issuer_der, r) = raw_element(rest)?;
    let (0x30, validity, r) = element(r)? else {
        return None;
    };
    let (subject_der, r) = raw_element(r)?;
    rest = element(r)?.2; // subjectPublicKeyInfo
    let (nb_tag, nb, v) = element(validity)?;
    let (na_tag, na, _) = element(v)?;
    let mut sans = Vec::new();
    while let Some((tag, body, r)) = element(rest) {
        rest = r;
        if tag == 0xa3 {
            sans = subject_alt_names(body).unwrap_or_default();
        }
    }
    let serial = match serial {
        [0, tail @ ..] if !tail.is_empty() => tail,
        s => s,
    };
    Some(ParsedCert {
        subject: name_text(element(subject_der)?.1),
        issuer: name_text(element(issuer_der)?.1),
        subject_der: subject_der.to_vec(),
        issuer_der: issuer_der.to_vec(),
        sans,
        not_before: time(nb_tag, nb)?,
        not_after: time(na_tag, na)?,
        serial: hex(serial),
        sha256: hex(&Sha256::digest(der)),
    })
}

/// `CN=…, O=…` from a Name (SEQUENCE OF SET OF AttributeTypeAndValue), in order.
fn name_text(mut rdns: &[u8]) -> String {
    let mut parts = Vec::new();
    while let Some((_, set, r)) = element(rdns) {
        rdns = r;
        let mut atvs = set;
        while let Some((_, atv, r)) = element(atvs) {
            atvs = r;
            let Some((0x06, oid, v)) = element(atv) else {
                continue;
            };
            let Some((_, value, _)) = element(v) else {
                continue;
            };
            let label = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x07] => "L",
                [0x55, 0x04, 0x08] => "ST",
                _ => continue,
            };
            parts.push(format!("{label}={}", String::from_utf8_lossy(value)));
        }
    }
    parts.join(", ")
}

/// dNSName and iPAddress entries of the subjectAltName extension, if present.
fn subject_alt_names(explicit: &[u8]) -> Option<Vec<String>> {
    let (0x30, mut exts, _) = element(explicit)? else {
        return None;
    };
    while let Some((_, ext, r)) = element(exts) {
        exts = r;
        let (0x06, oid, mut v) = element(ext)? else {
            continue;
        };
        if oid != [0x55, 0x1d, 0x11] {
            continue;
        }
        if v.first() == Some(&0x01) {
            v = element(v)?.2; // critical flag
        }
        let (0x04, octets, _) = element(v)? else {
            return None;
        };
        let (0x30, mut names, _) = element(octets)? else {
            return None;
        };
        let mut out = Vec::new();
        while let Some((tag, body, r)) = element(names) {
            names = r;
            match (tag, body.len()) {
                (0x82, _) => out.push(String::from_utf8_lossy(body).into_owned()),
                (0x87, 4) => out.push(format!("{}.{}.{}.{}", body[0], body[1], body[2], body[3])),
                (0x87, 16) => {
                    out.push(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(body).ok()?).to_string())
                }
                _ => {}
            }
        }
        return Some(out);
    }
    None
}

/// UTCTime (0x17, YYMMDDHHMMSSZ) or GeneralizedTime (0x18, YYYYMMDDHHMMSSZ) as Unix ms.
fn time(tag: u8, body: &[u8]) -> Option<UnixMillis> {
    let s = std::str::from_utf8(body).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 if s.len() == 12 => {
            let yy: i64 = s[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        0x18 if s.len() == 14 => (s[..4].parse().ok()?, &s[4..]),
        _ => return None,
    };
    let n = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (month, day, h, m, sec) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some((days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec) * 1000)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_unix_millis() {
        assert_eq!(time(0x17, b"240201000000Z"), Some(1_706_745_600_000));
        assert_eq!(time(0x18, b"20240201000000Z"), Some(1_706_745_600_000));
        assert_eq!(time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(time(0x17, b"2402010000Z"), None);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"hello world",
        ] {
            assert_eq!(parse(input), None);
        }
    }
}
