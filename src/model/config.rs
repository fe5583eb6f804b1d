//! What every bench process reads its settings from: the `FRAPPE_*`
//! variables of the Deployments, the bench's ConfigMap data, and the
//! services they wait for.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::EnvVar;

use super::database::Database;
use super::redis::Redis;

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
/// `node_utils.js` for the two Redis URLs, in v15 and v16 alike. A Redis
/// password is a Secret-backed variable that the URL names as `$(VAR)`,
/// which the kubelet expands: the pod spec holds no password.
pub(super) fn connection_env(db: &Database, redis: &Redis) -> Vec<EnvVar> {
    let mut env = vec![
        env_var("FRAPPE_DB_HOST", db.host.clone()),
        env_var("FRAPPE_DB_PORT", db.port.to_string()),
    ];
    for (name, url, password) in [
        ("FRAPPE_REDIS_CACHE", &redis.cache, &redis.cache_password),
        ("FRAPPE_REDIS_QUEUE", &redis.queue, &redis.queue_password),
    ] {
        match password {
            Some(secret) => {
                let variable = format!("{}_PASSWORD", name.trim_start_matches("FRAPPE_"));
                env.push(EnvVar {
                    name: variable.clone(),
                    value: None,
                    value_from: Some(k8s_openapi::api::core::v1::EnvVarSource {
                        secret_key_ref: Some(k8s_openapi::api::core::v1::SecretKeySelector {
                            name: secret.name.clone(),
                            key: secret.key.clone(),
                            optional: None,
                        }),
                        ..Default::default()
                    }),
                });
                env.push(env_var(name, url.with_password(Some(&format!("$({variable})")))));
            }
            None => env.push(env_var(name, url.with_password(None))),
        }
    }
    env
}

/// SHA-256 over the Redis passwords written in the values, so that a new
/// password changes the pod templates (and the configure Job) and reaches
/// every process. Only for passwords the values file already holds in
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
