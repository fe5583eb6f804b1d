//! Who the pods run as: their ServiceAccount, and the security contexts
//! every pod and container gets unless the values give their own (the
//! `restricted` Pod Security Standard).

use k8s_openapi::api::core::v1::{Capabilities, PodSecurityContext, SeccompProfile, SecurityContext};

use super::names::Names;
use crate::values::Values;

/// As the chart: the named account, else the one rendered, else the
/// namespace's `default`.
pub(super) fn service_account(values: &Values, names: &Names) -> String {
    match values.service_account.name.as_deref().filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None if values.service_account.create => names.fullname.clone(),
        None => "default".to_owned(),
    }
}

pub(super) fn pod_security_context(values: &Values) -> PodSecurityContext {
    (*values.pod_security_context)
        .clone()
        .unwrap_or_else(restricted_pod_security_context)
}

/// Our own containers': restricted, with a read-only root filesystem,
/// because what they write is known ([`super::component::ScratchDir`]).
pub(super) fn container_security_context(values: &Values) -> SecurityContext {
    (*values.security_context).clone().unwrap_or_else(|| SecurityContext {
        read_only_root_filesystem: Some(true),
        ..restricted_container_security_context()
    })
}

/// The containers the values bring (sidecars, init containers, custom Job
/// containers): restricted too, but with a writable root filesystem, since
/// what they write is not known.
pub(super) fn user_container_security_context(values: &Values) -> SecurityContext {
    (*values.security_context)
        .clone()
        .unwrap_or_else(restricted_container_security_context)
}

/// The `restricted` Pod Security Standard at pod level, as the frappe user.
fn restricted_pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(1000),
        run_as_group: Some(1000),
        fs_group: Some(1000),
        // Where the driver applies fsGroup, the kubelet otherwise walks the
        // whole sites volume (every site's files and backups) at each pod's
        // start; with this, only when the volume's root is not already the
        // group's.
        fs_group_change_policy: Some("OnRootMismatch".to_owned()),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_owned(),
            localhost_profile: None,
        }),
        ..Default::default()
    }
}

/// The `restricted` Pod Security Standard at container level.
fn restricted_container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            add: None,
        }),
        ..Default::default()
    }
}
