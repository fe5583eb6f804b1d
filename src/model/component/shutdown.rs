//! How long Kubernetes lets a pod behind a Service stop, before it kills
//! it: the `terminationGracePeriodSeconds` of nginx, gunicorn and socketio.
//!
//! The grace period counts from the start of the preStop hook
//! ([`ComponentKind::pre_stop_command`](super::ComponentKind::pre_stop_command)), so it is that wait for the
//! endpoints, then the longest a request may still take, then a margin for
//! the process to exit. (The workers' comes from their queues' timeouts.)

use super::Component;
use super::command::graceful_timeout;
use super::kind::{ENDPOINT_REMOVAL_SECONDS, Role};
use crate::model::k8s::nginx_time_seconds;
use crate::values::Values;

/// Seconds, after the longest request a component finishes on its way
/// out, for its process to exit before Kubernetes kills it.
pub const STOP_MARGIN_SECONDS: u64 = 5;

/// The grace period of a component behind a Service; `None` for the others.
pub(super) fn serving_grace_period(component: &Component, values: &Values) -> Option<i64> {
    let last_request = match component.kind.spec().role {
        // nginx waits `proxy_read_timeout` for gunicorn; an invalid one is
        // an error of its own (`checks::nginx`).
        Role::Proxy => nginx_time_seconds(&values.nginx.environment.proxy_read_timeout)?,
        Role::App => graceful_timeout(&component.args),
        // node, PID 1 without a handler of its own, ignores SIGTERM, and
        // socket.io's clients reconnect to another pod: nothing to wait for.
        Role::Realtime => 0,
        Role::Worker { .. } | Role::Scheduler => return None,
    };
    let seconds = ENDPOINT_REMOVAL_SECONDS
        .saturating_add(last_request)
        .saturating_add(STOP_MARGIN_SECONDS);
    Some(i64::try_from(seconds).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::component::ComponentKind;

    #[test]
    fn every_component_with_a_pre_stop_hook_gets_time_for_it() {
        let values = Values::default();
        for &kind in ComponentKind::ALL {
            let component = Component::from_pod(kind, &kind.values(&values).pod);
            let grace = serving_grace_period(&component, &values);
            assert_eq!(grace.is_some(), kind.pre_stop_command().is_some(), "{kind:?}");
            if let Some(grace) = grace {
                assert!(grace > i64::try_from(ENDPOINT_REMOVAL_SECONDS).unwrap(), "{kind:?}: {grace}");
            }
        }
    }
}
