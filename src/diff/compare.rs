//! When two values of a field are the same to the API server, and which
//! fields differ.
//!
//! Values compare as parsed, so key order and YAML formatting never count.
//! Beyond that, typing is strict, because the API server's is: `"3"` and
//! `3` differ (a string field refuses the number, and an int-or-string
//! field such as a port reads `"8000"` as a port's name). Numbers compare
//! by value (`1` and `1.0` are both the integer 1 once decoded). The
//! exception is a quantity (a resource, an HPA's target or tolerance),
//! which the API server parses and stores in canonical form: `cpu: 1`,
//! `cpu: "1"` and `cpu: 1000m` are one value, and so are `1Gi` and `1024Mi`.

use std::cmp::Ordering;

use serde_json::Value;

use super::object::{ItemIndex, merge_key};
use crate::node::Path;

/// Whether `a` and `b`, the values of field `key` in a map under `parent`,
/// read the same to the API server.
pub fn equivalent(a: &Value, b: &Value, key: &str, parent: &str) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, av)| b.get(k).is_some_and(|bv| equivalent(av, bv, k, key)))
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(av, bv)| equivalent(av, bv, key, parent)),
        _ if is_quantity(key, parent) => a == b || quantity(a).zip(quantity(b)).is_some_and(|(a, b)| a.same_as(&b)),
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
            (Some(a), Some(b), _, _) => a == b,
            (_, _, Some(a), Some(b)) => a == b,
            _ => a.as_f64() == b.as_f64(),
        },
        _ => a == b,
    }
}

/// Makes `after` read like `before` wherever the two are equivalent but
/// written differently (`1` and `"1"` as a quantity), so that a textual
/// diff shows only real changes.
pub fn reconcile(after: &mut Value, before: &Value, key: &str, parent: &str) {
    if after == before {
        return;
    }
    if equivalent(after, before, key, parent) && !after.is_object() && !after.is_array() {
        *after = before.clone();
        return;
    }
    match (after, before) {
        (Value::Object(after), Value::Object(before)) => {
            for (k, value) in after.iter_mut() {
                if let Some(old) = before.get(k) {
                    reconcile(value, old, k, key);
                }
            }
        }
        (Value::Array(after), Value::Array(before)) => {
            let items: Vec<&Value> = after.iter().chain(before.iter()).collect();
            match merge_key(key, &items) {
                Some(merge) => {
                    let before = ItemIndex::new(before, merge);
                    for item in after.iter_mut() {
                        if let Some((_, old)) = item.get(merge).and_then(|id| before.find(id)) {
                            reconcile(item, old, key, parent);
                        }
                    }
                }
                None if after.len() == before.len() => {
                    for (item, old) in after.iter_mut().zip(before) {
                        reconcile(item, old, key, parent);
                    }
                }
                None => {}
            }
        }
        _ => {}
    }
}

/// One field that differs between two versions of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub path: Path,
    /// `None` when the field is new.
    pub before: Option<Value>,
    /// `None` when the field is gone.
    pub after: Option<Value>,
}

/// The fields that differ, deepest first where both sides have the field.
/// Items of lists with a merge key (containers, env, volumes) are matched by
/// it; their paths use the index in `after`, or in `before` for an item that
/// is gone. Other lists compare item by item when their lengths agree, and
/// whole otherwise.
pub fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    collect(before, after, &Path::root(), "", "", &mut changes);
    changes
}

fn collect(before: &Value, after: &Value, path: &Path, key: &str, parent: &str, changes: &mut Vec<FieldChange>) {
    if equivalent(before, after, key, parent) {
        return;
    }
    let whole = |changes: &mut Vec<FieldChange>| {
        changes.push(FieldChange {
            path: path.clone(),
            before: Some(before.clone()),
            after: Some(after.clone()),
        })
    };
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let at = path.key(k);
                match (b.get(k), a.get(k)) {
                    (Some(bv), Some(av)) => collect(bv, av, &at, k, key, changes),
                    (bv, av) => changes.push(FieldChange {
                        path: at,
                        before: bv.cloned(),
                        after: av.cloned(),
                    }),
                }
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            let items: Vec<&Value> = b.iter().chain(a.iter()).collect();
            match merge_key(key, &items) {
                Some(merge) => {
                    let (before_items, after_items) = (ItemIndex::new(b, merge), ItemIndex::new(a, merge));
                    if common(b, merge, &after_items) != common(a, merge, &before_items) {
                        // The same items in another order.
                        return whole(changes);
                    }
                    for (i, item) in b.iter().enumerate() {
                        if item.get(merge).is_some_and(|id| after_items.find(id).is_none()) {
                            changes.push(FieldChange {
                                path: path.index(i),
                                before: Some(item.clone()),
                                after: None,
                            });
                        }
                    }
                    for (i, item) in a.iter().enumerate() {
                        match item.get(merge).and_then(|id| before_items.find(id)) {
                            Some((_, old)) => collect(old, item, &path.index(i), key, parent, changes),
                            None => changes.push(FieldChange {
                                path: path.index(i),
                                before: None,
                                after: Some(item.clone()),
                            }),
                        }
                    }
                }
                None if b.len() == a.len() => {
                    for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                        collect(bv, av, &path.index(i), key, parent, changes);
                    }
                }
                None => whole(changes),
            }
        }
        _ => whole(changes),
    }
}

/// The merge keys of the items of `list` that `other` has too, in order.
fn common<'v>(list: &'v [Value], merge: &str, other: &ItemIndex<'_>) -> Vec<&'v Value> {
    list.iter()
        .filter_map(|item| item.get(merge))
        .filter(|id| other.find(id).is_some())
        .collect()
}

/// How two resource quantities compare (`10Gi` is less than `20Gi`);
/// `None` when either is no quantity.
pub fn quantity_order(a: &Value, b: &Value) -> Option<Ordering> {
    quantity(a)?.order(&quantity(b)?)
}

/// Whether field `key` under `parent` holds a resource quantity: requests
/// and limits (of containers, claims and quotas), an emptyDir's size limit,
/// and an HPA metric's target or current value.
fn is_quantity(key: &str, parent: &str) -> bool {
    matches!(parent, "requests" | "limits" | "hard" | "capacity" | "allocatable")
        || key == "sizeLimit"
        || (matches!(key, "value" | "averageValue") && matches!(parent, "target" | "current"))
        || (key == "tolerance" && matches!(parent, "scaleUp" | "scaleDown"))
}

/// A quantity's exact value: `digits × 10^decimal × 2^binary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Quantity {
    digits: i128,
    decimal: i32,
    binary: i32,
}

impl Quantity {
    fn same_as(&self, other: &Quantity) -> bool {
        self.order(other) == Some(Ordering::Equal)
    }

    /// How two quantities compare; `None` when they are too far apart to
    /// scale to one unit (they then differ).
    fn order(&self, other: &Quantity) -> Option<Ordering> {
        let (a, b) = (self.normalised()?, other.normalised()?);
        let decimal = a.decimal.min(b.decimal);
        let binary = a.binary.min(b.binary);
        let scale = |q: Quantity| {
            let tens = u32::try_from(q.decimal - decimal).ok().and_then(|e| 10i128.checked_pow(e))?;
            let twos = u32::try_from(q.binary - binary).ok().and_then(|e| 2i128.checked_pow(e))?;
            q.digits.checked_mul(tens)?.checked_mul(twos)
        };
        Some(scale(a)?.cmp(&scale(b)?))
    }

    /// Trailing decimal zeros moved into the exponent; zero has one form.
    fn normalised(self) -> Option<Quantity> {
        let mut q = self;
        if q.digits == 0 {
            return Some(Quantity {
                digits: 0,
                decimal: 0,
                binary: 0,
            });
        }
        while q.digits % 10 == 0 {
            q.digits /= 10;
            q.decimal = q.decimal.checked_add(1)?;
        }
        Some(q)
    }
}

/// Parses a quantity as Kubernetes writes them (`500m`, `1.5Gi`, `2e3`, `1`).
fn quantity(value: &Value) -> Option<Quantity> {
    let text = match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(&text)),
    };
    let number_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits_text = format!("{whole}{fraction}");
    let digits_text = digits_text.trim_start_matches('0');
    if digits_text.len() > 30 {
        return None;
    }
    let digits: i128 = if digits_text.is_empty() { 0 } else { digits_text.parse().ok()? };
    let mut decimal = -i32::try_from(fraction.len()).ok()?;
    let mut binary = 0;
    match suffix {
        "" => {}
        "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
            binary = 10 * (1 + ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"].iter().position(|s| *s == suffix)? as i32);
        }
        "n" => decimal -= 9,
        "u" => decimal -= 6,
        "m" => decimal -= 3,
        "k" => decimal += 3,
        "M" => decimal += 6,
        "G" => decimal += 9,
        "T" => decimal += 12,
        "P" => decimal += 15,
        "E" => decimal += 18,
        exponent if exponent.starts_with(['e', 'E']) => decimal = decimal.checked_add(exponent[1..].parse::<i32>().ok()?)?,
        _ => return None,
    }
    Some(Quantity {
        digits: if negative { -digits } else { digits },
        decimal,
        binary,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn quantities_compare_by_value() {
        for (a, b) in [
            (json!(1), json!("1")),
            (json!("1"), json!("1000m")),
            (json!("0.5"), json!("500m")),
            (json!("1Gi"), json!("1024Mi")),
            (json!("2e3"), json!("2k")),
            (json!("0"), json!("0Gi")),
        ] {
            assert!(equivalent(&a, &b, "cpu", "requests"), "{a} and {b}");
        }
        // An HPA's tolerance is a quantity too.
        assert!(equivalent(&json!("0.1"), &json!("100m"), "tolerance", "scaleDown"));
        assert!(!equivalent(&json!("0.1"), &json!("10m"), "tolerance", "scaleUp"));
        for (a, b) in [(json!("1"), json!("1Ki")), (json!("1G"), json!("1Gi")), (json!("500m"), json!("5"))] {
            assert!(!equivalent(&a, &b, "memory", "limits"), "{a} and {b}");
        }
    }

    #[test]
    fn other_fields_keep_their_types() {
        assert!(!equivalent(&json!("3"), &json!(3), "value", "env"));
        assert!(!equivalent(&json!("8000"), &json!(8000), "port", "httpGet"));
        assert!(equivalent(&json!(1), &json!(1.0), "replicas", "spec"));
        assert!(!equivalent(&json!("1"), &json!("1000m"), "value", "env"));
    }

    #[test]
    fn reconcile_copies_only_what_reads_the_same() {
        let before = json!({"resources": {"limits": {"cpu": 1}}, "replicas": 2});
        let mut after = json!({"resources": {"limits": {"cpu": "1"}}, "replicas": 3});
        reconcile(&mut after, &before, "", "");
        assert_eq!(after, json!({"resources": {"limits": {"cpu": 1}}, "replicas": 3}));
    }

    #[test]
    fn field_changes_match_named_items() {
        let before = json!({"containers": [{"name": "a", "image": "x"}, {"name": "gone"}]});
        let after = json!({"containers": [{"name": "new"}, {"name": "a", "image": "y"}]});
        let changes: Vec<String> = field_changes(&before, &after)
            .iter()
            .map(|c| format!("{} {:?} {:?}", c.path, c.before, c.after))
            .collect();
        assert_eq!(
            changes,
            [
                r#"containers[1] Some(Object {"name": String("gone")}) None"#,
                r#"containers[0] None Some(Object {"name": String("new")})"#,
                r#"containers[1].image Some(String("x")) Some(String("y"))"#,
            ]
        );
    }
}
