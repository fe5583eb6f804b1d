//! How a pod behind a Service stops: the preStop hook of nginx, gunicorn
//! and socketio, and their `terminationGracePeriodSeconds`, how long
//! Kubernetes lets them stop before it kills them. One place decides both,
//! because the grace period must cover what the hook waits for.
//!
//! Each hook first waits [`ENDPOINT_REMOVAL_SECONDS`]; Kubernetes sends
//! SIGTERM when it ends. The grace period counts from the start of the
//! hook, so it is that wait, then the longest a request may still take,
//! then [`STOP_MARGIN_SECONDS`] for the process to exit. (The workers'
//! comes from their queues' timeouts.)
//!
//! The hooks are commands, not the hook's `sleep` action, which needs
//! Kubernetes 1.30: the image has bash and `sleep`, and nginx needs a
//! command anyway.

use super::Component;
use super::command::graceful_timeout;
use super::kind::{NGINX_PID_FILE, Role};
use crate::model::k8s::nginx_time_seconds;
use crate::values::{EntrypointSetting, Values};

/// Seconds a stopping pod behind a Service keeps serving before it stops
/// listening: the pod leaves the Service's endpoints as it starts to stop,
/// but kube-proxy and the ingress controller learn that a moment later and
/// send it new connections until then.
pub const ENDPOINT_REMOVAL_SECONDS: u64 = 5;

/// Seconds, after the longest request a component finishes on its way
/// out, for its process to exit before Kubernetes kills it.
pub const STOP_MARGIN_SECONDS: u64 = 5;

/// How a component behind a Service stops.
#[derive(Debug)]
pub(super) struct ServingStop {
    /// The main container's preStop command.
    pub pre_stop: Vec<String>,
    pub grace_period_seconds: i64,
}

/// The preStop hook and grace period of a component behind a Service;
/// `None` for the others, and for nginx with an invalid `proxyReadTimeout`
/// (an error of its own, `checks::nginx`).
pub(super) fn serving_stop(component: &Component, values: &Values) -> Option<ServingStop> {
    let endpoints = format!("sleep {ENDPOINT_REMOVAL_SECONDS}");
    let (pre_stop, last_request) = match component.kind.spec().role {
        Role::Proxy => {
            // One from `valueFrom` is known only in the cluster: the
            // entrypoint's default is the best guess.
            let setting = EntrypointSetting::ProxyReadTimeout;
            let read_timeout = values
                .nginx
                .entrypoint_setting(setting)
                .value
                .unwrap_or(setting.entrypoint_default());
            let read_timeout = nginx_time_seconds(read_timeout)?;
            (nginx_pre_stop(&endpoints, read_timeout), read_timeout)
        }
        Role::App => (words(&endpoints), graceful_timeout(&component.args)),
        // node, PID 1 without a handler of its own, ignores SIGTERM, and
        // socket.io's clients reconnect to another pod: nothing to wait for.
        Role::Realtime => (words(&endpoints), 0),
        Role::Worker { .. } | Role::Scheduler => return None,
    };
    let seconds = ENDPOINT_REMOVAL_SECONDS
        .saturating_add(last_request)
        .saturating_add(STOP_MARGIN_SECONDS);
    Some(ServingStop {
        pre_stop,
        grace_period_seconds: i64::try_from(seconds).unwrap_or(i64::MAX),
    })
}

/// nginx never gets Kubernetes' SIGTERM (the image's `nginx-entrypoint.sh`
/// runs it as a child of bash, which as PID 1 ignores SIGTERM) and would
/// drop its requests at once on it (with `nginx.config` it is PID 1), so
/// its hook stops it itself. SIGQUIT to the master, read from its pid file
/// (not `nginx -s quit`, which parses the configuration again and fails
/// when the upstreams' names no longer resolve, as while the bundle is
/// deleted), lets it finish its requests; but a proxied websocket never
/// idles out (socket.io pings every 25 s) and holds a quitting worker, so
/// after the longest a plain request may take (`proxy_read_timeout`)
/// SIGTERM makes it close what is left. socket.io's clients reconnect
/// through another pod.
fn nginx_pre_stop(endpoints: &str, read_timeout: u64) -> Vec<String> {
    let script = [
        endpoints.to_owned(),
        format!("pid=\"$(cat {NGINX_PID_FILE})\" || exit 0"),
        "kill -QUIT \"$pid\" || exit 0".to_owned(),
        "SECONDS=0".to_owned(),
        format!(
            "while kill -0 \"$pid\" 2>/dev/null; do if ((SECONDS >= {read_timeout})); then kill -TERM \"$pid\"; exit 0; fi; sleep 1; done"
        ),
    ]
    .join("; ");
    vec!["bash".to_owned(), "-c".to_owned(), script]
}

fn words(command: &str) -> Vec<String> {
    command.split(' ').map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::component::ComponentKind;

    /// Every component behind a Service gets a hook and time for it.
    #[test]
    fn every_serving_component_stops_gracefully() {
        let values = Values::default();
        for &kind in ComponentKind::ALL {
            let component = Component::from_pod(kind, &kind.values(&values).pod);
            let stop = serving_stop(&component, &values);
            assert_eq!(stop.is_some(), kind.spec().port.is_some(), "{kind:?}");
            if let Some(stop) = stop {
                assert!(
                    stop.grace_period_seconds > i64::try_from(ENDPOINT_REMOVAL_SECONDS).unwrap(),
                    "{kind:?}: {stop:?}"
                );
            }
        }
    }
}
