//! What every bench process reads its settings from: the `FRAPPE_*`
//! variables of the Deployments, the bench's ConfigMap and Secret data, and
//! the services they wait for.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::EnvVar;

use super::database::Database;
use super::endpoint;
use super::jobs::{self, InlineSecrets};
use super::redis::Redis;
use crate::values::Values;

/// Data of the ConfigMap: the settings without secrets. The Jobs read them
/// (the same `FRAPPE_*` variables the Deployments get, and the services to
/// wait for), and the configure Job's name hashes them.
pub(super) fn config_data(
    db: &Database,
    redis: &Redis,
    backing_services: &[(String, i32)],
    credentials_checksum: Option<&str>,
) -> BTreeMap<String, String> {
    let mut config = BTreeMap::new();
    config.insert("FRAPPE_DB_HOST".to_owned(), db.host.clone());
    config.insert("FRAPPE_DB_PORT".to_owned(), db.port.to_string());
    config.insert("FRAPPE_REDIS_CACHE".to_owned(), redis.cache.without_password());
    config.insert("FRAPPE_REDIS_QUEUE".to_owned(), redis.queue.without_password());
    config.insert("SOCKETIO_PORT".to_owned(), "9000".to_owned());
    config.insert(
        "BACKING_SERVICES".to_owned(),
        backing_services
            .iter()
            .map(|(host, port)| endpoint::host_port(host, u16::try_from(*port).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(" "),
    );
    if let Some(checksum) = credentials_checksum {
        config.insert("REDIS_CREDENTIALS_SHA256".to_owned(), checksum.to_owned());
    }
    config
}

/// Data of the bench's own Secret, when the values write a password: the
/// Redis passwords of the URLs, the database root password (the chart
/// renders it even when no Job uses it) and the Administrator password.
pub(super) fn secret_data(values: &Values, redis: &Redis, inline: InlineSecrets) -> Option<BTreeMap<String, String>> {
    let mut secret = redis.inline_secrets.clone();
    if values.db_existing_secret.as_deref().is_none_or(str::is_empty)
        && let Some(password) = values.db_root_password.as_ref().filter(|p| !p.is_empty())
    {
        secret.insert(jobs::DB_ROOT_PASSWORD_KEY.to_owned(), password.clone());
    }
    if let Some(password) = inline.admin_password {
        secret.insert(jobs::ADMIN_PASSWORD_KEY.to_owned(), password);
    }
    (!secret.is_empty()).then_some(secret)
}

pub(super) fn env_var(name: &str, value: String) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value),
        value_from: None,
    }
}

/// The `FRAPPE_*` variables every bench process reads its endpoints from.
/// Frappe's config loader prefers them to `common_site_config.json`
/// (`get_site_config`: `FRAPPE_DB_HOST`, `FRAPPE_DB_PORT`,
/// `FRAPPE_REDIS_CACHE`, `FRAPPE_REDIS_QUEUE`), and so does socket.io's
/// `node_utils.js` for the two Redis URLs, in v15 and v16 alike. The pod
/// spec holds no password: a URL whose password the values write comes
/// whole from the bench's Secret, password percent-encoded; one whose
/// password an `existingSecret` holds names it as `$(VAR)`, a Secret-backed
/// variable the kubelet expands as it is (so that password must need no
/// encoding, as the README says).
pub(super) fn connection_env(db: &Database, redis: &Redis) -> Vec<EnvVar> {
    let mut env = vec![
        env_var("FRAPPE_DB_HOST", db.host.clone()),
        env_var("FRAPPE_DB_PORT", db.port.to_string()),
    ];
    for (name, url, password, whole_url) in [
        ("FRAPPE_REDIS_CACHE", &redis.cache, &redis.cache_password, &redis.cache_url),
        ("FRAPPE_REDIS_QUEUE", &redis.queue, &redis.queue_password, &redis.queue_url),
    ] {
        match (whole_url, password) {
            (Some(secret), _) => env.push(secret_env(name, secret)),
            (None, Some(secret)) => {
                let variable = password_variable(name);
                env.push(secret_env(&variable, secret));
                env.push(env_var(name, url.with_password_reference(&variable)));
            }
            (None, None) => env.push(env_var(name, url.without_password())),
        }
    }
    env
}

/// The Secret-backed Redis password variables (`REDIS_CACHE_PASSWORD`,
/// `REDIS_QUEUE_PASSWORD`), for the Jobs, whose scripts put them into the
/// ConfigMap's URLs, percent-encoded (`templates/prelude.sh.j2`).
pub(super) fn redis_password_env(redis: &Redis) -> Vec<EnvVar> {
    [
        ("FRAPPE_REDIS_CACHE", &redis.cache_password),
        ("FRAPPE_REDIS_QUEUE", &redis.queue_password),
    ]
    .into_iter()
    .filter_map(|(name, password)| Some(secret_env(&password_variable(name), password.as_ref()?)))
    .collect()
}

/// `REDIS_QUEUE_PASSWORD` for `FRAPPE_REDIS_QUEUE`.
fn password_variable(url_variable: &str) -> String {
    format!("{}_PASSWORD", url_variable.trim_start_matches("FRAPPE_"))
}

fn secret_env(name: &str, secret: &jobs::SecretRef) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(k8s_openapi::api::core::v1::EnvVarSource {
            secret_key_ref: Some(k8s_openapi::api::core::v1::SecretKeySelector {
                name: secret.name.clone(),
                key: secret.key.clone(),
                optional: None,
            }),
            ..Default::default()
        }),
    }
}

/// SHA-256 over the Redis passwords written in the values and the URLs
/// that carry them, so that a new password (or endpoint, which the pods then
/// read from the Secret) changes the pod templates (and the configure Job)
/// and reaches every process. Only for passwords the values file already holds in
/// clear; with `existingSecret` there is none, and rotating that Secret
/// needs a `kubectl rollout restart`.
pub(super) fn credentials_checksum(passwords: &BTreeMap<String, String>) -> Option<String> {
    use sha2::{Digest, Sha256};
    if passwords.is_empty() {
        return None;
    }
    let mut hasher = Sha256::new();
    for (key, password) in passwords {
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(password.as_bytes());
        hasher.update([0]);
    }
    Some(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// host and port of every backing service, each once.
pub(super) fn backing_services(db: Option<&Database>, redis: Option<&Redis>) -> Vec<(String, i32)> {
    let mut services = Vec::new();
    if let Some(db) = db {
        services.push((db.host.clone(), db.port));
    }
    if let Some(redis) = redis {
        for url in [&redis.cache, &redis.queue] {
            services.push((url.host.clone(), i32::from(url.port)));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    services.retain(|s| seen.insert(s.clone()));
    services
}
