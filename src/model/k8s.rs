//! Kubernetes' own validation rules, for the values that end up in objects.
//!
//! Transcribed from k8s.io/apimachinery's `validation` package (IsDNS1123Label,
//! IsDNS1123Subdomain, IsDNS1035Label, IsQualifiedName, IsValidLabelValue,
//! IsEnvVarName) and from `resource.ParseQuantity`, so that what the API
//! server would reject at apply time is reported at render time, with a line.

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

/// An environment variable name as Kubernetes 1.33 validates it by default:
/// letters, digits, `_`, `-` and `.`, not starting with a digit.
pub fn is_env_var_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
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
    match suffix {
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E" => true,
        exponent => {
            let Some(rest) = exponent.strip_prefix(['e', 'E']) else {
                return false;
            };
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(rest);
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
        }
    }
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
    fn quantities() {
        for ok in ["1", "0.5", "500m", "1Gi", "1.5Gi", "1e3", "1E-3", "+1", ".5", "2Ki", "100M"] {
            assert!(is_quantity(ok), "{ok}");
        }
        for bad in ["", "1.5.3Gi", "Gi", "1GB", "1gi", "abc", "1e", "1 Gi", "--1"] {
            assert!(!is_quantity(bad), "{bad}");
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
        assert!(!is_env_var_name("1DB"));
        assert!(!is_env_var_name("A=B"));
    }
}
