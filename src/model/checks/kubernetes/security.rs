//! Pod and container security contexts: user and group IDs, profiles,
//! privilege.

use k8s_openapi::api::core::v1::{AppArmorProfile, PodSecurityContext, SeccompProfile, SecurityContext};

use crate::diagnostic::Code;
use crate::model::report::Reporter;
use crate::values::Anchor;

/// The pod-level security context (validatePodSpecSecurityContext): user
/// and group IDs, and what the container-level one shares with it.
pub(crate) fn check_pod_security_context(context: &PodSecurityContext, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (key, id) in [
        ("runAsUser", context.run_as_user),
        ("runAsGroup", context.run_as_group),
        ("fsGroup", context.fs_group),
    ] {
        if let Some(id) = id {
            check_id(id, &at.key(key), report);
        }
    }
    for (i, id) in context.supplemental_groups.iter().flatten().enumerate() {
        check_id(*id, &at.key("supplementalGroups").index(i), report);
    }
    if let Some(policy) = context.fs_group_change_policy.as_deref()
        && !matches!(policy, "OnRootMismatch" | "Always")
    {
        report
            .at(
                Code::InvalidValue,
                at.key("fsGroupChangePolicy"),
                format!("`{policy}` is not an `fsGroupChangePolicy`"),
            )
            .with_help("use `OnRootMismatch` or `Always`");
    }
    check_profiles(context.seccomp_profile.as_ref(), context.app_armor_profile.as_ref(), at, report);
}

/// A container's security context (ValidateSecurityContext).
pub(crate) fn check_security_context(context: &SecurityContext, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    for (key, id) in [("runAsUser", context.run_as_user), ("runAsGroup", context.run_as_group)] {
        if let Some(id) = id {
            check_id(id, &at.key(key), report);
        }
    }
    check_profiles(context.seccomp_profile.as_ref(), context.app_armor_profile.as_ref(), at, report);
    if context.allow_privilege_escalation == Some(false) {
        if context.privileged == Some(true) {
            report
                .at(
                    Code::InvalidValue,
                    at.key("allowPrivilegeEscalation"),
                    "a privileged container cannot have `allowPrivilegeEscalation: false`",
                )
                .with_help("remove `privileged: true`, or `allowPrivilegeEscalation: false`");
        }
        // Only this spelling: validation.go compares the string as written.
        let added = context.capabilities.as_ref().and_then(|c| c.add.as_deref()).unwrap_or_default();
        if let Some(i) = added.iter().position(|capability| capability == "CAP_SYS_ADMIN") {
            report
                .at(
                    Code::InvalidValue,
                    at.key("capabilities").key("add").index(i),
                    "`CAP_SYS_ADMIN` cannot be added with `allowPrivilegeEscalation: false`",
                )
                .with_help("remove `CAP_SYS_ADMIN`, or `allowPrivilegeEscalation: false`");
        }
    }
}

/// A user or group ID (IsValidUserID, IsValidGroupID): 0 to 2147483647.
fn check_id(id: i64, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !(0..=i64::from(i32::MAX)).contains(&id) {
        report
            .at(Code::InvalidValue, at, format!("`{id}` is not a user or group ID"))
            .with_help("IDs are 0 to 2147483647");
    }
}

/// `seccompProfile` and `appArmorProfile` (validateSeccompProfileField,
/// ValidateAppArmorProfileField): a known type, and a `localhostProfile`
/// with `Localhost` only, where it is needed.
fn check_profiles(seccomp: Option<&SeccompProfile>, app_armor: Option<&AppArmorProfile>, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let profiles = [
        (
            "seccompProfile",
            seccomp.map(|p| (p.type_.as_str(), p.localhost_profile.as_deref())),
        ),
        (
            "appArmorProfile",
            app_armor.map(|p| (p.type_.as_str(), p.localhost_profile.as_deref())),
        ),
    ];
    for (key, profile) in profiles {
        let Some((kind, localhost)) = profile else { continue };
        let at = at.key(key);
        match (kind, localhost) {
            ("Localhost", None) => {
                report
                    .at_key(Code::InvalidValue, &at, format!("a `Localhost` {key} needs a `localhostProfile`"))
                    .with_help("name the profile the node has, e.g. `localhostProfile: profiles/frappe.json`");
            }
            ("Localhost", Some(path)) => {
                let bad = if key == "seccompProfile" {
                    (path.starts_with('/') || path.split('/').any(|part| part == ".."))
                        .then_some("must be a path relative to the kubelet's seccomp directory, without `..`")
                } else {
                    (path.trim() != path || path.is_empty()).then_some("must name a profile, without blanks around it")
                };
                if let Some(reason) = bad {
                    report.at(
                        Code::InvalidValue,
                        at.key("localhostProfile"),
                        format!("`localhostProfile` {reason}"),
                    );
                }
            }
            ("RuntimeDefault" | "Unconfined", Some(_)) => {
                report
                    .at_key(
                        Code::InvalidValue,
                        at.key("localhostProfile"),
                        format!("`localhostProfile` is for `type: Localhost` only, not `{kind}`"),
                    )
                    .with_help("remove `localhostProfile`, or set `type: Localhost`");
            }
            ("RuntimeDefault" | "Unconfined", None) => {}
            (other, _) => {
                let message = if other.is_empty() {
                    format!("the {key} has no `type`")
                } else {
                    format!("`{other}` is not a profile type")
                };
                report
                    .at(Code::InvalidValue, at.key("type"), message)
                    .with_help("use `RuntimeDefault`, `Localhost` or `Unconfined`");
            }
        }
    }
}
