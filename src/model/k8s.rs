//! Kubernetes' own validation rules, for the values that end up in objects.
//!
//! Transcribed from k8s.io/apimachinery's `validation` package (IsDNS1123Label,
//! IsDNS1123Subdomain, IsDNS1035Label, IsQualifiedName, IsValidLabelValue,
//! IsEnvVarName, IsConfigMapKey), from `resource.ParseQuantity`, from the
//! Gateway API's CRD patterns, and from the image reference grammar of
//! github.com/distribution/reference (what containerd and CRI-O parse image
//! names with), so that what the API server or the kubelet would reject at
//! apply time is reported at render time, with a line. The nginx settings the
//! image's template pastes into its configuration are held to nginx's own
//! syntax (nginx.org/en/docs/syntax.html) here too.

/// A DNS-1123 label: names of most objects, at most 63 characters.
pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && is_label_shaped(s.as_bytes())
}

/// A DNS-1035 label: Service names, which must also start with a letter.
pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.as_bytes().split(|&b| b == b'.').all(is_label_shaped)
}

/// A host name an Ingress accepts: a DNS-1123 subdomain, or `*.` followed by one.
pub fn is_ingress_host(s: &str) -> bool {
    let name = s.strip_prefix("*.").unwrap_or(s);
    is_dns1123_subdomain(name) && !name.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Lower-case alphanumerics and `-`, starting and ending alphanumeric. Bytes,
/// not characters: every object's name and label keys go through here.
fn is_label_shaped(label: &[u8]) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    label.first().is_some_and(alnum) && label.last().is_some_and(alnum) && label.iter().all(|b| alnum(b) || *b == b'-')
}

/// A label value: empty, or at most 63 alphanumerics with `-`, `_`, `.` inside.
pub fn is_label_value(s: &str) -> bool {
    s.is_empty() || (s.len() <= 63 && is_name_part(s))
}

/// A label or annotation key: `[prefix/]name`, the prefix a DNS subdomain.
pub fn is_qualified_name(s: &str) -> bool {
    let (prefix, name) = match s.bytes().position(|b| b == b'/') {
        Some(slash) => (Some(&s[..slash]), &s[slash + 1..]),
        None => (None, s),
    };
    prefix.is_none_or(is_dns1123_subdomain) && name.len() <= 63 && is_name_part(name)
}

fn is_name_part(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// An environment variable name as Kubernetes 1.33 validates it by default
/// (IsRelaxedEnvVarName: RelaxedEnvironmentVariableValidation is on by
/// default from 1.32): printable ASCII other than `=`.
pub fn is_env_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'=')
}

/// A key of a Secret or ConfigMap (IsConfigMapKey): at most 253 letters,
/// digits, `-`, `_` and `.`, and not `.`, `..` or anything starting `..`.
pub fn is_config_key(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && s != "."
        && !s.starts_with("..")
}

/// A Gateway API `Kind` (the kind of a route's parent): a letter, then
/// letters, digits and `-`, ending with a letter or digit; at most 63.
pub fn is_api_kind(s: &str) -> bool {
    let bytes = s.as_bytes();
    s.len() <= 63
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// An image repository, distribution/reference's `name`:
/// `[domain[:port]/]path-component[/path-component…]`. The domain is
/// host-name components (either case) or a bracketed IPv6 address; a path
/// component is lower-case letters and digits joined by one `.`, one or two
/// `_`, or any number of `-`. The path is at most 255 characters.
pub fn is_image_repository(s: &str) -> bool {
    let is_path = |path: &str| path.len() <= 255 && path.split('/').all(is_image_path_component);
    match s.split_once('/') {
        Some((domain, path)) if is_registry_domain(domain) && is_path(path) => true,
        _ => is_path(s),
    }
}

fn is_image_path_component(component: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    let mut at = 0;
    loop {
        let run = bytes[at..].iter().take_while(|b| alnum(b)).count();
        if run == 0 {
            return false;
        }
        at += run;
        if at == bytes.len() {
            return true;
        }
        let separator = bytes[at..].iter().take_while(|b| matches!(b, b'.' | b'_' | b'-')).count();
        let separator_text = &component[at..at + separator];
        if !matches!(separator_text, "." | "_" | "__") && !separator_text.bytes().all(|b| b == b'-') {
            return false;
        }
        at += separator;
    }
}

/// A registry in an image reference: `host[:port]`, the host a domain name
/// (components of letters, digits and inner `-`, joined by `.`) or `[IPv6]`.
fn is_registry_domain(s: &str) -> bool {
    let (host_ok, port) = match s.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((ipv6, rest)) => (
                !ipv6.is_empty() && ipv6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
                rest.strip_prefix(':').or(if rest.is_empty() { None } else { Some("-") }),
            ),
            None => (false, None),
        },
        None => {
            let (host, port) = match s.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (s, None),
            };
            let component = |c: &str| {
                let bytes = c.as_bytes();
                bytes.first().is_some_and(u8::is_ascii_alphanumeric)
                    && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
                    && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            };
            (host.split('.').all(component), port)
        }
    };
    host_ok && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// An image tag: a letter, digit or `_`, then at most 127 letters, digits,
/// `_`, `.` and `-`.
pub fn is_image_tag(s: &str) -> bool {
    let word = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
    let bytes = s.as_bytes();
    bytes.len() <= 128 && bytes.first().is_some_and(word) && bytes.iter().all(|b| word(b) || matches!(b, b'.' | b'-'))
}

/// An image digest the runtime can verify: `sha256:`, `sha384:` or
/// `sha512:` and the hash's lower-case hex digits (go-digest's encodings
/// for the algorithms it registers).
pub fn is_image_digest(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let length = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return false,
    };
    hex.len() == length && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A whole image reference, `repository[:tag][@digest]`, as a container's
/// `image` gives it.
pub fn is_image_reference(s: &str) -> bool {
    let (name, digest) = match s.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (s, None),
    };
    // A tag follows the last `:` after the last `/`; a `:` before it is a port.
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[last_slash..].rfind(':') {
        Some(colon) => (&name[..last_slash + colon], Some(&name[last_slash + colon + 1..])),
        None => (name, None),
    };
    is_image_repository(repository) && tag.is_none_or(is_image_tag) && digest.is_none_or(is_image_digest)
}

/// An IPv4 or IPv6 address, a CIDR range of either, or `unix:` (what nginx's
/// `set_real_ip_from` takes besides a host name it resolves).
pub fn is_ip_or_cidr(s: &str) -> bool {
    let (address, prefix) = match s.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (s, None),
    };
    let max_prefix = match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => 32,
        Ok(std::net::IpAddr::V6(_)) => 128,
        Err(_) => return s == "unix:",
    };
    prefix.is_none_or(|p| p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u8>().is_ok_and(|p| p <= max_prefix))
}

/// A CIDR range as a NetworkPolicy's `ipBlock` takes it: what Kubernetes
/// 1.33 parses (IsValidCIDRForLegacyField, its StrictIPCIDRValidation gate
/// off by default, which leaves netutils.ParseCIDRSloppy: Go 1.16's
/// `net.ParseCIDR`). So an IPv4 number may carry leading zeros
/// (`010.0.0.0/8` is 10.0.0.0/8), the address may have bits past the
/// prefix, and an IPv4-mapped IPv6 range (`::ffff:10.0.0.0/104`) counts as
/// the IPv4 range it maps, as Go's `IPNet.Contains` sees it; the API server
/// only warns of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The first address of the range (the address with the bits past the
    /// prefix cleared); an IPv4 one in the low 32 bits.
    network: u128,
    v4: bool,
    /// The prefix length within `network`'s family.
    prefix: u8,
    /// The prefix length as written (`Mask.Size()`), which ValidateIPBlock
    /// compares: 104 for `::ffff:10.0.0.0/104`, whose `prefix` is 8.
    written_prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (address, prefix) = s.split_once('/')?;
        let (address, width): (u128, u8) = match without_leading_zeros(address).parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            std::net::IpAddr::V6(a) => (u128::from(a), 128),
        };
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let written_prefix = prefix.parse::<u8>().ok().filter(|p| *p <= width)?;
        let network = address & mask(width, written_prefix);
        // Go's To4: ten zero bytes, then 0xffff.
        if width == 128 && network >> 32 == 0xffff {
            return Some(Cidr {
                network: network & u128::from(u32::MAX),
                v4: true,
                prefix: written_prefix.saturating_sub(96),
                written_prefix,
            });
        }
        Some(Cidr {
            network,
            v4: width == 32,
            prefix: written_prefix,
            written_prefix,
        })
    }

    /// Whether `inner` may be an `except` of this range, as ValidateIPBlock
    /// decides: this range contains `inner`'s first address, and `inner` has
    /// the longer prefix as written.
    pub fn strictly_contains(&self, inner: &Cidr) -> bool {
        let width = if self.v4 { 32 } else { 128 };
        self.v4 == inner.v4 && inner.network & mask(width, self.prefix) == self.network && self.written_prefix < inner.written_prefix
    }
}

/// The mask of a prefix of `prefix` bits in an address of `width` bits, in
/// the low `width` bits.
fn mask(width: u8, prefix: u8) -> u128 {
    let all = if width == 32 { u128::from(u32::MAX) } else { u128::MAX };
    all & !(u128::MAX.checked_shr(u32::from(prefix)).unwrap_or(0) >> (128 - u32::from(width)))
}

/// `address` with the leading zeros of each of its numbers dropped (`010.0.0.1`
/// as `10.0.0.1`, `0001::` as `1::`), keeping one of a number that is all
/// zeros. Go's parser, which Kubernetes keeps for the fields it has always
/// parsed so (k8s.io/utils/net's fork of Go 1.16's `net`), takes such zeros
/// (as decimal, not octal); the platform's takes none. Anything else the
/// platform's parser decides.
fn without_leading_zeros(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    for piece in address.split_inclusive(['.', ':']) {
        let number = piece.strip_suffix(['.', ':']).unwrap_or(piece);
        let kept = number.trim_start_matches('0');
        out.push_str(if kept.is_empty() && !number.is_empty() { "0" } else { kept });
        out.push_str(&piece[number.len()..]);
    }
    out
}

/// An nginx variable: `$` and a name of letters, digits and `_`.
pub fn is_nginx_variable(s: &str) -> bool {
    s.strip_prefix('$')
        .is_some_and(|name| !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// An nginx size or offset: digits, then `k`, `m` or `g` in either case.
pub fn is_nginx_size(s: &str) -> bool {
    let digits = s.strip_suffix(['k', 'K', 'm', 'M', 'g', 'G']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// An nginx time as nginx reads `proxy_read_timeout` and its other
/// millisecond directives, without blanks (the value is pasted into the
/// configuration unquoted, where a blank starts another argument): e.g.
/// `90`, `120s`, `1h30m`, `500ms`. See [`nginx_time_millis`].
pub fn is_nginx_time(s: &str) -> bool {
    nginx_time_millis(s).is_some()
}

/// The seconds an nginx time (see [`is_nginx_time`]) stands for, rounded up.
pub fn nginx_time_seconds(s: &str) -> Option<u64> {
    nginx_time_millis(s).map(|millis| millis.div_ceil(1_000))
}

/// The milliseconds of an nginx time, or `None` where nginx refuses it
/// (`invalid value`, and nginx does not start). nginx's `ngx_parse_time`
/// (`src/core/ngx_parse.c`) for a millisecond directive (`is_sec == 0`):
/// numbers each followed by a unit, the units `w d h m s ms` in that
/// order and each at most once (no `y` or `M`, which only second
/// directives take), a last number without a unit counting seconds, and
/// nothing that overflows a 64-bit `ngx_int_t`.
fn nginx_time_millis(s: &str) -> Option<u64> {
    // In the only order nginx takes them, with their milliseconds.
    const UNITS: [(&str, i64); 6] = [
        ("w", 604_800_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let (mut rest, mut total, mut value, mut next_unit, mut digits_seen) = (s, 0_i64, 0_i64, 0, false);
    while let Some(c) = rest.chars().next() {
        if let Some(digit) = c.to_digit(10) {
            value = value.checked_mul(10)?.checked_add(i64::from(digit))?;
            digits_seen = true;
            rest = &rest[1..];
            continue;
        }
        // nginx reads `ms` wherever an `m` is followed by an `s`.
        let unit = if rest.starts_with("ms") { "ms" } else { rest.get(..1)? };
        let index = UNITS.iter().position(|(name, _)| *name == unit)?;
        if index < next_unit {
            return None;
        }
        next_unit = index + 1;
        rest = &rest[unit.len()..];
        total = total.checked_add(value.checked_mul(UNITS[index].1)?)?;
        value = 0;
    }
    if !digits_seen {
        return None;
    }
    let millis = total.checked_add(value.checked_mul(1_000)?)?;
    u64::try_from(millis).ok()
}

/// Whether `s` parses as a Kubernetes resource quantity: a decimal number
/// (sign, digits, at most one point) then a binary-SI suffix (`Ki`…`Ei`), a
/// decimal-SI suffix (`n u m k M G T P E`) or a decimal exponent (`e3`).
pub fn is_quantity(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number_end = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let digits = number.chars().filter(char::is_ascii_digit).count();
    if digits == 0 || number.matches('.').count() > 1 {
        return false;
    }
    if SUFFIXES.iter().any(|(known, ..)| *known == suffix) {
        return true;
    }
    let Some(rest) = suffix.strip_prefix(['e', 'E']) else {
        return false;
    };
    let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

/// A quantity's suffixes and what each multiplies by, as powers of ten and
/// of two: none, binary-SI (`Ki`…`Ei`) and decimal-SI (`n`…`E`).
const SUFFIXES: [(&str, i32, i32); 16] = [
    ("", 0, 0),
    ("Ki", 0, 10),
    ("Mi", 0, 20),
    ("Gi", 0, 30),
    ("Ti", 0, 40),
    ("Pi", 0, 50),
    ("Ei", 0, 60),
    ("n", -9, 0),
    ("u", -6, 0),
    ("m", -3, 0),
    ("k", 3, 0),
    ("M", 6, 0),
    ("G", 9, 0),
    ("T", 12, 0),
    ("P", 15, 0),
    ("E", 18, 0),
];

/// A quantity's exact value, `mantissa × 10^exp10 × 2^exp2`: what the API
/// server compares a request with its limit by (`Quantity.Cmp`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantityValue {
    pub negative: bool,
    mantissa: u128,
    exp10: i32,
    exp2: i32,
}

impl QuantityValue {
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }

    /// The value times `10^exp10`, rounded up, of one that is not negative:
    /// `Quantity.Value()` for `0`, `MilliValue()` for `3`. `None` where it
    /// does not fit in 128 bits.
    pub fn ceil_scaled(&self, exp10: i32) -> Option<u128> {
        if self.negative {
            return None;
        }
        let scale = self.exp10.checked_add(exp10)?;
        let numerator = self
            .mantissa
            .checked_mul(2u128.checked_pow(u32::try_from(self.exp2).ok()?)?)?
            .checked_mul(10u128.checked_pow(u32::try_from(scale.max(0)).ok()?)?)?;
        let denominator = 10u128.checked_pow(u32::try_from(-scale.min(0)).ok()?)?;
        Some(numerator.div_ceil(denominator))
    }
}

/// How `Quantity.String()` writes a quantity back: with the binary suffix
/// family it was written in, the decimal one, or a decimal exponent. A
/// binary quantity below 1024 is written as a decimal one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantityFormat {
    BinarySi,
    DecimalSi,
    DecimalExponent,
}

/// The format of a quantity [`is_quantity`] accepts, by its suffix. The
/// suffix tables come first, as the API server reads them
/// (`suffixHandler.interpret`): `E` is exa and `Ei` exbi, and only an `e` or
/// `E` with more after it is an exponent.
pub fn quantity_format(s: &str) -> QuantityFormat {
    let suffix = s.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '.' | '+' | '-'));
    if suffix.ends_with('i') {
        QuantityFormat::BinarySi
    } else if suffix.len() > 1 && suffix.starts_with(['e', 'E']) {
        QuantityFormat::DecimalExponent
    } else {
        QuantityFormat::DecimalSi
    }
}

/// The value of a quantity [`is_quantity`] accepts; `None` for one it does
/// not, or one too long or too precise to compare exactly here (more than 38
/// digits, or finer than the nano the API server rounds to).
pub fn quantity_value(s: &str) -> Option<QuantityValue> {
    if !is_quantity(s) {
        return None;
    }
    let negative = s.starts_with('-');
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let number_end = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    let (mut exp10, exp2) = match SUFFIXES.iter().find(|(known, ..)| *known == suffix) {
        Some(&(_, exp10, exp2)) => (exp10, exp2),
        None => (suffix[1..].parse::<i32>().ok().filter(|e| e.abs() <= 1000)?, 0),
    };
    exp10 -= i32::try_from(fraction.len()).ok()?;
    let significant = digits.trim_end_matches('0');
    exp10 += i32::try_from(digits.len() - significant.len()).ok()?;
    if significant.len() > 38 || (!significant.is_empty() && exp10 < -9) {
        return None;
    }
    let mantissa = if significant.is_empty() { 0 } else { significant.parse().ok()? };
    Some(QuantityValue {
        negative: negative && mantissa != 0,
        mantissa,
        exp10,
        exp2,
    })
}

/// `a` against `b`, for two quantities that are not negative; `None` where
/// the exact comparison does not fit in 128 bits (`1E` against `1n`).
pub fn compare_quantities(a: QuantityValue, b: QuantityValue) -> Option<std::cmp::Ordering> {
    if a.negative || b.negative {
        return None;
    }
    if a.mantissa == 0 || b.mantissa == 0 {
        return Some(a.mantissa.min(1).cmp(&b.mantissa.min(1)));
    }
    let exp10 = a.exp10.min(b.exp10);
    let exp2 = a.exp2.min(b.exp2);
    let scaled = |q: QuantityValue| -> Option<u128> {
        let tens = 10u128.checked_pow(u32::try_from(q.exp10 - exp10).ok()?)?;
        let twos = 2u128.checked_pow(u32::try_from(q.exp2 - exp2).ok()?)?;
        q.mantissa.checked_mul(tens)?.checked_mul(twos)
    };
    Some(scaled(a)?.cmp(&scaled(b)?))
}

/// A container port's name (IsValidPortName, an IANA service name): at most
/// 15 lower-case letters, digits and `-`, with a letter, and no `-` at
/// either end or twice in a row.
pub fn is_port_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Storage classes that only provide ReadWriteOnce block volumes, whatever
/// the claim asks: a ReadWriteMany claim on them never binds, or binds once
/// and leaves every other pod Pending.
pub const BLOCK_ONLY_STORAGE_CLASSES: &[&str] = &[
    "gp2",
    "gp3",
    "io1",
    "io2",
    "st1",
    "sc1",
    "ebs-sc",
    "standard-rwo",
    "premium-rwo",
    "balanced-rwo",
    "pd-standard",
    "pd-ssd",
    "pd-balanced",
    "managed",
    "managed-csi",
    "managed-premium",
    "managed-csi-premium",
    "default",
    "do-block-storage",
    "local-path",
    "linode-block-storage",
    "hcloud-volumes",
    "csi-cinder-sc-delete",
    "oci-bv",
    "vsphere-csi",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_compare_exactly() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let cmp = |a: &str, b: &str| compare_quantities(quantity_value(a).unwrap(), quantity_value(b).unwrap());
        for (a, b, expected) in [
            ("1", "1000m", Equal),
            ("0.1", "100m", Equal),
            ("1Gi", "1073741824", Equal),
            ("1Gi", "1G", Greater),
            ("1.5Gi", "1536Mi", Equal),
            ("2", "500m", Greater),
            ("500m", "0.5001", Less),
            ("1e3", "1k", Equal),
            ("0", "0m", Equal),
            ("0", "1n", Less),
            ("+1", "1", Equal),
            ("010", "10", Equal),
        ] {
            assert_eq!(cmp(a, b), Some(expected), "{a} against {b}");
        }
        let ceil = |q: &str, exp10: i32| quantity_value(q).unwrap().ceil_scaled(exp10);
        assert_eq!(ceil("1.5", 3), Some(1500));
        assert_eq!(ceil("0.9999", 3), Some(1000), "MilliValue rounds up");
        assert_eq!(ceil("1n", 3), Some(1));
        assert_eq!(ceil("0.5Ki", 0), Some(512));
        assert_eq!(ceil("2Mi", 0), Some(2_097_152));
        assert_eq!(ceil("1500m", 0), Some(2));
        assert_eq!(quantity_format("1Mi"), QuantityFormat::BinarySi);
        assert_eq!(quantity_format("1e3"), QuantityFormat::DecimalExponent);
        assert_eq!(quantity_format("1M"), QuantityFormat::DecimalSi);
        assert_eq!(quantity_format("1"), QuantityFormat::DecimalSi);
        assert_eq!(quantity_format("1E"), QuantityFormat::DecimalSi, "exa");
        assert_eq!(quantity_format("1Ei"), QuantityFormat::BinarySi, "exbi");
        assert_eq!(quantity_format("1E3"), QuantityFormat::DecimalExponent);
        assert!(quantity_value("-1").unwrap().negative);
        assert!(!quantity_value("-0").unwrap().negative);
        assert_eq!(quantity_value("0.1n"), None, "finer than the API server keeps");
        assert_eq!(
            compare_quantities(quantity_value("12345678901234567890E").unwrap(), quantity_value("1n").unwrap()),
            None
        );
    }

    #[test]
    fn port_names() {
        for ok in ["http", "metrics", "h2c", "web-1", "a23456789012345"] {
            assert!(is_port_name(ok), "{ok}");
        }
        for bad in ["", "Metrics", "8080", "-http", "http-", "web--1", "a234567890123456", "my_port"] {
            assert!(!is_port_name(bad), "{bad}");
        }
    }

    #[test]
    fn quantities() {
        for ok in ["1", "0.5", "500m", "1Gi", "1.5Gi", "1e3", "1E-3", "+1", ".5", "2Ki", "100M"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "1.5.3Gi", "Gi", "1GB", "1gi", "abc", "1e", "1 Gi", "--1"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn config_keys() {
        for ok in ["password", "DB_PASSWORD", "tls.crt", ".hidden", "a-b_c.d", &"k".repeat(253)] {
            assert!(is_config_key(ok), "{ok}");
        }
        for bad in ["", ".", "..", "..data", "a/b", "pass word", "clé", &"k".repeat(254)] {
            assert!(!is_config_key(bad), "{bad}");
        }
    }

    #[test]
    fn api_kinds() {
        for ok in ["Gateway", "Service", "my-Kind2", "G"] {
            assert!(is_api_kind(ok), "{ok}");
        }
        for bad in ["", "1Gateway", "invalid/kind", "Kind-", "Ga_teway", &"K".repeat(64)] {
            assert!(!is_api_kind(bad), "{bad}");
        }
    }

    /// Accept and reject cases from distribution/reference's grammar
    /// (regexp_test.go and reference_test.go).
    #[test]
    fn image_repositories() {
        for ok in [
            "frappe/erpnext",
            "erpnext",
            "docker.io/library/ubuntu",
            "registry.example.com/erp",
            "Registry.Example.COM/erp",
            // A first component in capitals can only be a registry, and is one.
            "Frappe/erpnext",
            "localhost:5000/erp",
            "registry:5000/team/erp",
            "[2001:db8::1]:5000/erp",
            "[fc00::1]/erp",
            "192.168.1.1:5000/erp",
            "a/b__c/d--e/f_g.h",
            "a----b",
            &format!("x/{}", "a".repeat(255)),
        ] {
            assert!(is_image_repository(ok), "{ok}");
        }
        for bad in [
            "",
            "ERPNext",
            "frappe/ERPNext",
            "frappe/erpnext:v16",
            "frappe/erpnext@sha256:abc",
            "frappe//erpnext",
            "/frappe",
            "frappe/",
            "a___b",
            "a..b",
            "a.-b",
            "-a",
            "a_",
            "frappe/erp next",
            "registry:port/erp",
            "[zz::1]/erp",
            "-registry.example.com/erp",
            &"a".repeat(256),
        ] {
            assert!(!is_image_repository(bad), "{bad}");
        }
    }

    #[test]
    fn image_tags_digests_and_references() {
        for ok in ["v16.32.3", "latest", "_x", "V1.0-rc.1_final", &"t".repeat(128)] {
            assert!(is_image_tag(ok), "{ok}");
        }
        for bad in ["", ".v1", "-v1", "v1+build", "v1:2", "v 1", &"t".repeat(129)] {
            assert!(!is_image_tag(bad), "{bad}");
        }
        let sha256 = format!("sha256:{}", "a".repeat(64));
        assert!(is_image_digest(&sha256));
        assert!(is_image_digest(&format!("sha512:{}", "0".repeat(128))));
        for bad in [
            "sha256:abc",
            &format!("sha256:{}", "A".repeat(64)),
            &format!("md5:{}", "a".repeat(32)),
            "sha256",
        ] {
            assert!(!is_image_digest(bad), "{bad}");
        }
        for ok in [
            "busybox",
            "busybox:1.36",
            "docker.io/library/busybox:1.36",
            "localhost:5000/tools/busybox",
            "localhost:5000/tools/busybox:1.36",
            &format!("busybox@{sha256}"),
            &format!("busybox:1.36@{sha256}"),
        ] {
            assert!(is_image_reference(ok), "{ok}");
        }
        for bad in [
            "",
            "busybox:",
            "busybox:1.36:2",
            "Busybox",
            "busybox@sha256:abc",
            "busy box",
            "localhost:5000/",
        ] {
            assert!(!is_image_reference(bad), "{bad}");
        }
    }

    #[test]
    fn cidr_ranges() {
        let cidr = |s| Cidr::parse(s).unwrap_or_else(|| panic!("{s}"));
        // As Go 1.16's net.ParseCIDR, which the API server keeps for ipBlock.
        for (written, same_as) in [
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("::/0", "::/0"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("fd00::/8", "fd00::/8"),
            ("2001:db8::1/128", "2001:db8::1/128"),
            ("2001:DB8::/32", "2001:db8::/32"),
            ("010.000.0.0/8", "10.0.0.0/8"),
            ("10.0.0.0/008", "10.0.0.0/8"),
            ("0:0:0:0:0:0:0:1/128", "::1/128"),
            ("00000001::/16", "1::/16"),
            ("::ffff:010.1.2.3/128", "::ffff:10.1.2.3/128"),
            ("1:2:3:4:5:6:7::/128", "1:2:3:4:5:6:7:0/128"),
            ("::1.2.3.4/128", "::102:304/128"),
            ("1::2:3.4.5.6/128", "1::2:304:506/128"),
        ] {
            assert_eq!(cidr(written), cidr(same_as), "{written}");
        }
        for bad in [
            "",
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/8 ",
            "10.0.0/8",
            "10.0.0.256/8",
            "example.com/8",
            "fe80::1%eth0/64",
            "1:2:3:4:5:6:7:8::/128",
            "1::2::3/128",
            "1:2:3:4:5:6:7/128",
            "1:2:3:4:5:6:1.2.3.4:5/128",
            "1:2:3:4:1.2.3.4/128",
            "10000::/16",
            ":1::/16",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
        assert!(cidr("10.0.0.0/8").strictly_contains(&cidr("10.1.0.0/16")));
        assert!(cidr("0.0.0.0/0").strictly_contains(&cidr("169.254.169.254/32")));
        assert!(cidr("::/0").strictly_contains(&cidr("fd00::/8")));
        assert!(cidr("::/0").strictly_contains(&cidr("2001:db8::1/128")));
        // An IPv4-mapped range is inside the IPv4 range it maps into, its
        // prefix compared as written (ValidateIPBlock's Mask.Size()).
        assert!(cidr("10.0.0.0/8").strictly_contains(&cidr("::ffff:10.1.0.0/112")));
        assert!(cidr("::ffff:10.0.0.0/104").strictly_contains(&cidr("::ffff:10.1.0.0/112")));
        for (outer, inner) in [
            ("10.0.0.0/8", "10.0.0.0/8"),
            ("10.0.0.0/16", "10.0.0.0/8"),
            ("10.0.0.0/8", "11.0.0.0/16"),
            ("0.0.0.0/0", "fd00::/8"),
            ("::/0", "10.0.0.0/8"),
            ("::/0", "::ffff:10.0.0.0/104"),
            ("::ffff:10.0.0.0/104", "10.1.0.0/16"),
        ] {
            assert!(!cidr(outer).strictly_contains(&cidr(inner)), "{outer} {inner}");
        }
    }

    #[test]
    fn nginx_settings() {
        for ok in ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8", "unix:"] {
            assert!(is_ip_or_cidr(ok), "{ok}");
        }
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "example.com",
            "10.0.0.1; include /etc/passwd",
            "10.0.0.0/+8",
        ] {
            assert!(!is_ip_or_cidr(bad), "{bad}");
        }
        for ok in ["$host", "$http_x_frappe_site_name"] {
            assert!(is_nginx_variable(ok), "{ok}");
        }
        for bad in ["host", "$", "$host;", "${host}", "$host/../x"] {
            assert!(!is_nginx_variable(bad), "{bad}");
        }
        for ok in ["50m", "1024", "8k", "1G"] {
            assert!(is_nginx_size(ok), "{ok}");
        }
        for bad in ["", "m", "50mb", "50 m", "50m; gzip off"] {
            assert!(!is_nginx_size(bad), "{bad}");
        }
        // What nginx 1.22 takes for `proxy_read_timeout`, and what it refuses.
        for ok in ["120", "120s", "2m", "1h30m", "500ms", "1d", "1w2d3h4m5s6ms", "1m30", "0"] {
            assert!(is_nginx_time(ok), "{ok}");
        }
        for bad in [
            "", "s", "1h 30m", "1x", "120;", "12s3x", "1y", "1M", "1y6M", "30m1h", "1m1m", "1ms1s", "-1",
        ] {
            assert!(!is_nginx_time(bad), "{bad}");
        }
        // `ngx_int_t` milliseconds: 2^63 - 1 ms is the most, in any unit.
        assert_eq!(nginx_time_millis("9223372036854775807ms"), Some(i64::MAX as u64));
        assert!(!is_nginx_time("9223372036854775808ms"));
        assert!(is_nginx_time("9223372036854775s"));
        assert!(!is_nginx_time("9223372036854776s"));
        assert!(!is_nginx_time("9223372036854776"));
        assert!(!is_nginx_time("15250284453w"));
        assert!(is_nginx_time("15250284452w"));
        assert!(!is_nginx_time("15250284452w9223372036854775807ms"));
        for (time, seconds) in [
            ("120", 120),
            ("2m", 120),
            ("1h30m", 5400),
            ("1500ms", 2),
            ("1d", 86_400),
            ("1m30", 90),
        ] {
            assert_eq!(nginx_time_seconds(time), Some(seconds), "{time}");
        }
    }

    #[test]
    fn names() {
        assert!(is_dns1123_label("frappe-bench-erpnext"));
        assert!(!is_dns1123_label("Frappe"));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1035_label("a1"));
        assert!(!is_dns1035_label("1a"));
        assert!(is_ingress_host("*.example.com"));
        assert!(!is_ingress_host("ERP_Example.com"));
        assert!(!is_ingress_host("*"));
        assert!(is_qualified_name("cert-manager.io/cluster-issuer"));
        assert!(!is_qualified_name("bad key"));
        assert!(is_env_var_name("DB_HOST"));
        assert!(is_env_var_name("1DB"), "a leading digit is printable ASCII");
        assert!(is_env_var_name("MY VAR:1"));
        assert!(!is_env_var_name(""));
        assert!(!is_env_var_name("CLÉ"));
        assert!(!is_env_var_name("A\tB"));
        assert!(!is_env_var_name("A=B"));
    }
}
