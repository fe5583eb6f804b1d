//! Resource requests and limits: names, quantities, and what may not be
//! overcommitted (extended resources, hugepages).

use k8s_openapi::api::core::v1::ResourceRequirements;

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::Anchor;

use super::check_quantity;

/// A container's resources as ValidateResourceRequirements checks them
/// (validation.go): quantities, resource names, no negative amount, no
/// request above its limit, and for what cannot be overcommitted (extended
/// resources such as `nvidia.com/gpu`, and hugepages) a limit equal to the
/// request. Extended resources come in whole units, hugepages in whole
/// pages, and hugepages only beside a CPU or memory amount.
pub(crate) fn check_resources(resources: &ResourceRequirements, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    const STANDARD: &[&str] = &["cpu", "memory", "ephemeral-storage"];
    for (key, map) in [("limits", &resources.limits), ("requests", &resources.requests)] {
        for (resource, quantity) in map.iter().flatten() {
            check_quantity(quantity, || at.key(key).key(resource), report);
            if !resource.contains('/') && !STANDARD.contains(&resource.as_str()) && !resource.starts_with("hugepages-") {
                report
                    .at_key(
                        Code::InvalidValue,
                        at.key(key).key(resource),
                        format!("`{resource}` is not a container resource"),
                    )
                    .with_help_closest(
                        resource,
                        STANDARD,
                        "use `cpu`, `memory`, `ephemeral-storage`, `hugepages-<size>`, or a prefixed name such as `nvidia.com/gpu`",
                    );
            } else if resource.contains('/')
                && !(k8s::is_qualified_name(resource) && (is_native_resource(resource) || is_extended_resource(resource)))
            {
                report
                    .at_key(
                        Code::InvalidValue,
                        at.key(key).key(resource),
                        format!("`{resource}` is not a valid extended resource name"),
                    )
                    .with_help("extended resources are `<domain>/<name>`, e.g. `nvidia.com/gpu`, as the device plugin advertises them");
            }
            // Only a quantity written with a minus may be negative (`-0` is not).
            if quantity.0.starts_with('-') && k8s::quantity_value(&quantity.0).is_some_and(|v| v.negative) {
                report.at(
                    Code::InvalidValue,
                    at.key(key).key(resource),
                    format!("`{resource}` cannot be negative ({})", quantity.0),
                );
            }
            let value = k8s::quantity_value(&quantity.0);
            // ValidateResourceQuantityValue: `MilliValue() % 1000`.
            if is_extended_resource(resource) && value.and_then(|v| v.ceil_scaled(3)).is_some_and(|milli| milli % 1000 != 0) {
                report
                    .at(
                        Code::InvalidValue,
                        at.key(key).key(resource),
                        format!("`{resource}` comes in whole units, not {}", quantity.0),
                    )
                    .with_help("write a whole number, such as `1`");
            }
            // validateResourceQuantityHugePageValue: whole pages of the size the name gives.
            if let Some(size) = resource.strip_prefix("hugepages-")
                && let Some(value) = value.and_then(|v| v.ceil_scaled(0))
            {
                let page = k8s::quantity_value(size)
                    .filter(|page| page.ceil_scaled(3).is_some_and(|milli| milli > 0 && milli % 1000 == 0))
                    .and_then(|page| page.ceil_scaled(0));
                if page.is_none_or(|page| value % page != 0) {
                    report
                        .at(
                            Code::InvalidValue,
                            at.key(key).key(resource),
                            format!("{} is not a whole number of `{size}` pages", quantity.0),
                        )
                        .with_help(format!("give a multiple of the page size, e.g. `{size}` times the pages needed"));
                }
            }
        }
    }
    for (resource, request) in resources.requests.iter().flatten() {
        // IsOvercommitAllowed: only native resources other than hugepages.
        let exact = !is_native_resource(resource) || resource.starts_with("hugepages-");
        let limit = resources.limits.as_ref().and_then(|limits| limits.get(resource));
        let Some(limit) = limit else {
            if exact {
                report
                    .at(
                        Code::InvalidValue,
                        at.key("requests").key(resource),
                        format!("a {resource} request needs a limit, equal to it"),
                    )
                    .with_help(format!("set `limits.{resource}: {}` (it cannot be overcommitted)", request.0));
            }
            continue;
        };
        let (Some(request_value), Some(limit_value)) = (k8s::quantity_value(&request.0), k8s::quantity_value(&limit.0)) else {
            continue;
        };
        match k8s::compare_quantities(request_value, limit_value) {
            Some(std::cmp::Ordering::Less) if exact => {
                report
                    .at(
                        Code::InvalidValue,
                        at.key("requests").key(resource),
                        format!("the {resource} request ({}) must equal its limit ({})", request.0, limit.0),
                    )
                    .with_help(format!(
                        "{resource} cannot be overcommitted: give the request and the limit the same amount"
                    ));
            }
            Some(std::cmp::Ordering::Greater) => {
                report
                    .at(
                        Code::InvalidValue,
                        at.key("requests").key(resource),
                        format!("the {resource} request ({}) is above its limit ({})", request.0, limit.0),
                    )
                    .with_help(format!("raise `limits.{resource}` to at least the request, or lower the request"));
            }
            _ => {}
        }
    }
    // "HugePages require cpu or memory", in the requests or the limits.
    let amounts = [("limits", &resources.limits), ("requests", &resources.requests)];
    if !amounts
        .iter()
        .flat_map(|(_, map)| map.iter().flatten())
        .any(|(name, _)| name == "cpu" || name == "memory")
    {
        let hugepages = amounts.iter().find_map(|(key, map)| {
            Some((
                key,
                map.iter().flatten().map(|(name, _)| name).find(|n| n.starts_with("hugepages-"))?,
            ))
        });
        if let Some((key, name)) = hugepages {
            report
                .at_key(
                    Code::InvalidValue,
                    at.key(key).key(name),
                    "hugepages need a `cpu` or `memory` amount beside them",
                )
                .with_help("add `requests.memory` (or `cpu`) for the container");
        }
    }
}

/// IsNativeResource (pkg/apis/core/helper/helpers.go): no prefix, or a
/// `kubernetes.io/` one.
fn is_native_resource(name: &str) -> bool {
    !name.contains('/') || name.contains("kubernetes.io/")
}

/// IsExtendedResourceName: a prefixed name outside `kubernetes.io/`, not
/// starting `requests.`, that stays a qualified name with one in front.
fn is_extended_resource(name: &str) -> bool {
    !is_native_resource(name) && !name.starts_with("requests.") && k8s::is_qualified_name(&format!("requests.{name}"))
}
