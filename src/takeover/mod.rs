//! `takeover`: the plan that moves a live Helm release to the bundle, as
//! commands to read and run, in the only order that keeps the data.
//!
//! 0. Nothing happens while a Job of the release still runs: the plan
//!    deletes them, and one cut off part-way leaves its site half made or
//!    half migrated.
//! 1. Every PersistentVolumeClaim of the release is protected before
//!    anything else: `helm.sh/resource-policy: keep` (which helm upgrade and
//!    rollback read on the live object), and its volume's reclaim policy set
//!    to `Retain`, so the data outlives the claim whatever deletes it.
//! 2. Every object is brought to exactly the rendered spec. Each object
//!    helm made first gets a record of a last apply naming what helm set
//!    and the bundle does not ([`removals`]); `kubectl apply` then removes
//!    those fields and sets the bundle's in one request, so a probe whose
//!    handler changes never holds two. A server-side dry run checks every
//!    change first. What the API server does not let change is handled
//!    kind by kind: a Job or a Deployment whose selector differs is deleted
//!    and created again; a claim's spec is only grown, and a render that
//!    would change it otherwise, or mount the sites from another claim, is
//!    refused.
//! 3. What only helm had is deleted, the last installed first; never a
//!    claim, unless asked, and never a Secret. A Secret keeps the keys only
//!    helm set, too: the chart's may hold the only copy of the database root
//!    password (given with `--set` at install, absent from the values).
//! 4. helm's release record (the `sh.helm.release.v1.<release>.v<N>`
//!    Secrets, or ConfigMaps with `HELM_DRIVER=configmap`) is saved to a
//!    file and deleted last, so that until then helm
//!    can still take the release back, and after it `helm uninstall` can
//!    delete nothing.
//!
//! The README ("Moving from the Helm chart") says why each command is the
//! one it is. Nothing secret is printed: objects are applied from the
//! bundle's files, and the records carry no value of helm's but list keys.

mod removals;

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::diff::compare::{equivalent, quantity_order};
use crate::diff::object::{Key, Object};
use crate::diff::sites::sites_volume;
use crate::emit;
use crate::source::secrets;
use crate::templates;
use crate::unicode::is_bidi_control;

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The render names no namespace: the plan's commands would act in
    /// whatever namespace kubectl's context points at.
    NoNamespace,
    /// No object of the helm manifest is in the render: another release or
    /// namespace, most likely.
    NothingInCommon,
    /// The render would change a live claim's spec in a way the API server
    /// refuses.
    ClaimChange {
        claim: String,
        field: String,
        live: String,
        rendered: String,
    },
    /// The render reaches its database or a Redis through a Service only
    /// helm had, which the plan would delete.
    InClusterService { service: String, used_as: &'static str },
    /// The render's pods would mount the sites directory from another
    /// volume than the release's: they would start without the sites.
    SitesVolume { workload: String, live: String, rendered: String },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NoNamespace => f.write_str(
                "the render names no namespace; pass the release's namespace with --namespace, so that every command of the plan names it",
            ),
            Refusal::NothingInCommon => {
                f.write_str("no object of the helm manifest is in the render; are --release and --namespace those of the helm release?")
            }
            Refusal::ClaimChange {
                claim,
                field,
                live,
                rendered,
            } => write!(
                f,
                "PersistentVolumeClaim `{claim}`: the render has `{field}: {rendered}`, the release `{live}`, and a claim's spec cannot change \
                 (storage can only grow); set the values to the release's `{live}`"
            ),
            Refusal::InClusterService { service, used_as } => write!(
                f,
                "the render's {used_as} is the Service `{service}`, which only the helm release has and the plan would delete; \
                 this tool expects the database and Redis outside the release: move the data there first, and point the values at it"
            ),
            Refusal::SitesVolume { workload, live, rendered } => write!(
                f,
                "{workload}: the release's pods mount the sites directory from {live}, the render's would from {rendered}, \
                 and start without the release's sites; set `persistence.worker.existingClaim` so that the render mounts the release's claim"
            ),
        }
    }
}

/// What the plan is made from.
pub struct Request<'a> {
    /// The render's objects, in install order.
    pub rendered: &'a [Object],
    /// The helm release's objects (`helm get manifest`), in its order.
    pub helm: &'a [Object],
    pub release: &'a str,
    /// Delete the claims only helm had, too.
    pub delete_helm_claims: bool,
}

/// A checked plan; [`Plan::script`] writes it out.
#[derive(Debug)]
pub struct Plan {
    namespace: String,
    release: String,
    /// The release's Jobs: none may still run when the plan deletes them.
    jobs: Vec<String>,
    protect: Vec<String>,
    queue_change: Option<(String, String)>,
    records: Vec<RecordStep>,
    applies: Vec<ApplyStep>,
    deletions: Vec<DeleteStep>,
    kept_claims: Vec<String>,
    kept_secrets: Vec<String>,
}

#[derive(Debug)]
struct RecordStep {
    title: String,
    yaml: String,
    removes: Vec<String>,
}

#[derive(Debug)]
struct ApplyStep {
    /// Index into the render's objects, and so into the bundle's files.
    index: usize,
    title: String,
    resource: String,
    how: How,
    notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Only the bundle has it.
    Create,
    /// helm made it; a record names what to remove.
    Update,
    /// helm made it, and the API server does not let it change so.
    Recreate(&'static str),
}

#[derive(Debug)]
struct DeleteStep {
    resource: String,
    note: Option<&'static str>,
}

pub fn plan(request: &Request) -> Result<Plan, Vec<Refusal>> {
    let namespace = match request.rendered.first().and_then(|o| o.key.namespace.clone()) {
        Some(namespace) => namespace,
        None => return Err(vec![Refusal::NoNamespace]),
    };
    let helm_by_key: HashMap<&Key, &Object> = request.helm.iter().map(|o| (&o.key, o)).collect();
    if !request.rendered.iter().any(|o| helm_by_key.contains_key(&o.key)) {
        return Err(vec![Refusal::NothingInCommon]);
    }
    let rendered_keys: HashSet<&Key> = request.rendered.iter().map(|o| &o.key).collect();
    let helm_only: Vec<&Object> = request.helm.iter().filter(|o| !rendered_keys.contains(&o.key)).collect();

    let mut refusals = in_cluster_services(request.rendered, &helm_only);
    refusals.extend(sites_volume_change(request.rendered, &helm_by_key));
    let mut records = Vec::new();
    let mut applies = Vec::new();
    for (index, ours) in request.rendered.iter().enumerate() {
        let (apply, record) = apply_step(index, ours, helm_by_key.get(&ours.key).copied(), &mut refusals);
        applies.push(apply);
        records.extend(record);
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    let (deletions, kept_claims, kept_secrets) = deletions(&helm_only, request.delete_helm_claims);
    Ok(Plan {
        namespace,
        release: request.release.to_owned(),
        jobs: request
            .helm
            .iter()
            .filter(|o| o.key.is("batch", "Job"))
            .map(|o| o.key.resource())
            .collect(),
        protect: request
            .helm
            .iter()
            .filter(|o| o.key.is("", "PersistentVolumeClaim"))
            .map(|o| o.key.name.clone())
            .collect(),
        queue_change: queue_change(request.helm, request.rendered, &helm_only),
        records,
        applies,
        deletions,
        kept_claims,
        kept_secrets,
    })
}

/// How the render's object `ours` (the `index`th) gets to the cluster, given
/// the object helm made of the same name, if any; and the record to give
/// kubectl first, when it is updated.
fn apply_step(index: usize, ours: &Object, helm: Option<&Object>, refusals: &mut Vec<Refusal>) -> (ApplyStep, Option<RecordStep>) {
    let mut step = ApplyStep {
        index,
        title: ours.key.to_string(),
        resource: ours.key.resource(),
        how: How::Create,
        notes: Vec::new(),
    };
    let Some(helm) = helm else {
        return (step, None);
    };
    let spec = |object: &Object, field: &str| object.value["spec"].get(field).cloned().unwrap_or_default();
    if ours.key.is("batch", "Job") && !equivalent(&spec(helm, "template"), &spec(ours, "template"), "template", "spec") {
        step.how = How::Recreate("a Job's pod template cannot change, so the Job runs again");
        return (step, None);
    }
    if ours.key.is("apps", "Deployment") && !equivalent(&spec(helm, "selector"), &spec(ours, "selector"), "selector", "spec") {
        step.how = How::Recreate("a Deployment's selector cannot change; its pods stop until the new ones are ready");
        return (step, None);
    }
    if ours.key.is("", "PersistentVolumeClaim") {
        match claim_changes(helm, ours) {
            Ok(growth) => step.notes.extend(growth),
            Err(refusal) => refusals.push(refusal),
        }
    }
    if ours.key.is("apps", "Deployment") && ours.value["spec"].get("replicas").is_none() && helm.value["spec"].get("replicas").is_some() {
        step.notes
            .push("keeps its replica count: the bundle's autoscaler sets it from now on".to_owned());
    }
    if ours.key.is("", "Secret") {
        let keys = helm.value["data"].as_object().into_iter().flatten().map(|(key, _)| key);
        for key in keys.filter(|key| ours.value["data"].get(key.as_str()).is_none()) {
            step.notes.push(format!(
                "keeps `{}`, which only helm set: it may be the only copy of a password",
                one_line(key)
            ));
        }
    }
    step.how = How::Update;
    let (record, removed) = removals::record(helm, ours);
    let record = RecordStep {
        title: step.title.clone(),
        yaml: emit::to_yaml(&record),
        removes: removed.iter().map(ToString::to_string).collect(),
    };
    (step, Some(record))
}

/// The first Deployment whose pods the render would give another sites
/// volume than the release's: a new claim is empty, and every site would be
/// gone from the bench (create-site would even create them anew, with new
/// databases).
/// A release whose pods keep the sites on no claim (the chart's `emptyDir`
/// without persistence) has none to lose.
fn sites_volume_change(rendered: &[Object], helm_by_key: &HashMap<&Key, &Object>) -> Option<Refusal> {
    rendered.iter().filter(|o| o.key.is("apps", "Deployment")).find_map(|ours| {
        let live = sites_volume(&helm_by_key.get(&ours.key)?.value)?;
        let rendered = sites_volume(&ours.value);
        (live.claim && Some(&live) != rendered.as_ref()).then(|| Refusal::SitesVolume {
            workload: ours.key.to_string(),
            live: live.to_string(),
            rendered: rendered.map_or_else(|| "no volume".to_owned(), |v| v.to_string()),
        })
    })
}

/// What of `helm_only` is deleted, the last installed first, and the claims
/// and Secrets that are kept instead.
fn deletions(helm_only: &[&Object], delete_helm_claims: bool) -> (Vec<DeleteStep>, Vec<String>, Vec<String>) {
    let mut deletions = Vec::new();
    let mut kept_claims = Vec::new();
    let mut kept_secrets = Vec::new();
    for helm in helm_only.iter().rev() {
        // A password in it may be the only copy: the chart's database root
        // password given with `--set` at install is in no values file.
        if helm.key.is("", "Secret") {
            kept_secrets.push(helm.key.name.clone());
            continue;
        }
        let is_claim = helm.key.is("", "PersistentVolumeClaim");
        if is_claim && !delete_helm_claims {
            kept_claims.push(helm.key.name.clone());
            continue;
        }
        let note = if is_claim {
            Some("its volume stays (step 1 set it to Retain): delete the PersistentVolume once you no longer need its data")
        } else if helm.key.is("apps", "StatefulSet") {
            Some("the claims of its volumeClaimTemplates stay")
        } else if helm.value["metadata"]["annotations"].get("helm.sh/hook").is_some() {
            Some("a helm hook: it exists only if helm ran it")
        } else {
            None
        };
        deletions.push(DeleteStep {
            resource: helm.key.resource(),
            note,
        });
    }
    (deletions, kept_claims, kept_secrets)
}

/// What of a claim's spec the render changes: growth notes, or why the API
/// server would refuse it. Fields the release's manifest does not set
/// (the cluster's default class) cannot be checked here; the plan's dry run
/// checks them against the live claim.
fn claim_changes(helm: &Object, ours: &Object) -> Result<Vec<String>, Refusal> {
    let (live, rendered) = (&helm.value["spec"], &ours.value["spec"]);
    let refusal = |field: &str, live: &Value, rendered: &Value| Refusal::ClaimChange {
        claim: ours.key.name.clone(),
        field: field.to_owned(),
        live: scalar_text(live),
        rendered: scalar_text(rendered),
    };
    let mut notes = Vec::new();
    for (field, value) in rendered.as_object().into_iter().flatten() {
        let Some(current) = live.get(field) else { continue };
        if field == "resources" {
            let (old, new) = (&current["requests"]["storage"], &value["requests"]["storage"]);
            match quantity_order(new, old) {
                Some(Ordering::Equal) => {}
                Some(Ordering::Greater) => notes.push(format!(
                    "grows from {} to {}: the storage class must allow volume expansion",
                    one_line(&scalar_text(old)),
                    scalar_text(new)
                )),
                _ => return Err(refusal("resources.requests.storage", old, new)),
            }
        } else if !equivalent(current, value, field, "spec") {
            return Err(refusal(field, current, value));
        }
    }
    Ok(notes)
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The endpoints the render's bench uses, from its ConfigMap: what each is,
/// and its host.
fn endpoints(rendered: &[Object]) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for object in rendered.iter().filter(|o| o.key.is("", "ConfigMap")) {
        for (variable, used_as) in [
            ("FRAPPE_DB_HOST", "database host"),
            ("FRAPPE_REDIS_CACHE", "cache Redis"),
            ("FRAPPE_REDIS_QUEUE", "queue Redis"),
        ] {
            if let Some(text) = object.value["data"][variable].as_str() {
                found.push((used_as, RedisAddress::parse(text).host));
            }
        }
    }
    found
}

/// Services only helm had that the render's bench would reach.
fn in_cluster_services(rendered: &[Object], helm_only: &[&Object]) -> Vec<Refusal> {
    let mut refusals = Vec::new();
    for (used_as, host) in endpoints(rendered) {
        // DNS names are case-insensitive (RFC 4343), and the cluster's DNS
        // answers `Frappe-Bench-Valkey-Queue` as the Service of that name;
        // Service names themselves are lowercase.
        let host = host.to_ascii_lowercase();
        for service in helm_only.iter().filter(|o| o.key.is("", "Service")) {
            let name = &service.key.name;
            let in_namespace = service.key.namespace.as_deref().is_some_and(|ns| {
                host.strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix('.'))
                    .and_then(|rest| rest.strip_prefix(ns))
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            });
            if host == *name || in_namespace {
                refusals.push(Refusal::InClusterService {
                    service: name.clone(),
                    used_as,
                });
            }
        }
    }
    refusals
}

/// A Redis URL's server and database, without user-info.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RedisAddress {
    host: String,
    port: String,
    database: String,
}

impl RedisAddress {
    /// `redis://user:password@host:6379/1`, or a bare `host:port`; the port
    /// defaults to 6379 and the database to 0, as redis-py's do.
    fn parse(text: &str) -> RedisAddress {
        // A password with a `?`, `#` or `/` (`redis://:pw#x@host`) would
        // be cut at it and its start read as the host or port: every
        // reading of the credentials is masked first, as diagnostics do.
        let masked = secrets::apply(text, &secrets::merge(secrets::url_credentials(text)));
        let rest = masked.split_once("://").map_or(masked.as_str(), |(_, rest)| rest);
        // The query (`?password=…`) is no part of the address, and is
        // never printed.
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
        let (server, database) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match server.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || server.starts_with('[') => (host, port),
            _ => (server, ""),
        };
        RedisAddress {
            host: host.to_owned(),
            port: if port.is_empty() { "6379".to_owned() } else { port.to_owned() },
            database: if database.is_empty() { "0".to_owned() } else { database.to_owned() },
        }
    }
}

impl fmt::Display for RedisAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.host, self.port, self.database)
    }
}

/// The queue Redis before and after, when they differ. The chart gives it
/// to its configure Job as `REDIS_QUEUE`; when that Job is gone from the
/// manifest, a queue Redis of the chart's own (Valkey, Redis or Dragonfly)
/// among the objects to delete still tells it.
fn queue_change(helm: &[Object], rendered: &[Object], helm_only: &[&Object]) -> Option<(String, String)> {
    let ours = rendered
        .iter()
        .filter(|o| o.key.is("", "ConfigMap"))
        .find_map(|o| o.value["data"]["FRAPPE_REDIS_QUEUE"].as_str())
        .map(RedisAddress::parse)?;
    let theirs = helm
        .iter()
        .find_map(|o| env_value(&o.value, "REDIS_QUEUE"))
        .map(RedisAddress::parse)
        .or_else(|| {
            helm_only
                .iter()
                .find(|o| {
                    o.key.is("", "Service")
                        && ["-valkey-queue", "-redis-queue-master", "-dragonfly-queue"]
                            .iter()
                            .any(|s| o.key.name.ends_with(s))
                })
                .map(|service| RedisAddress {
                    host: service.key.name.clone(),
                    port: "6379".to_owned(),
                    database: "0".to_owned(),
                })
        })?;
    (theirs != ours).then(|| (theirs.to_string(), ours.to_string()))
}

/// The literal value of env var `name` in any container of a pod template.
fn env_value<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object["spec"]["template"]["spec"]["containers"]
        .as_array()?
        .iter()
        .flat_map(|c| c["env"].as_array().into_iter().flatten())
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
}

impl Plan {
    /// The plan as a bash script. `bundle` is the directory holding the
    /// bundle's files, `files` their names in the render's order, and
    /// `helm_file` what the helm manifest was read from.
    pub fn script(&self, bundle: &Path, files: &[String], helm_file: &str) -> String {
        let file = |index: usize| bundle.join(&files[index]).display().to_string();
        let records: Vec<_> = self
            .records
            .iter()
            .map(|r| ScriptRecord {
                title: &r.title,
                removes: &r.removes,
                yaml: &r.yaml,
                delimiter: delimiter(&r.yaml),
            })
            .collect();
        let applies: Vec<_> = self
            .applies
            .iter()
            .map(|a| ScriptApply {
                title: &a.title,
                resource: &a.resource,
                file: file(a.index),
                new: a.how == How::Create,
                recreate: match a.how {
                    How::Recreate(reason) => Some(reason),
                    _ => None,
                },
                notes: &a.notes,
            })
            .collect();
        let checked: Vec<String> = self
            .applies
            .iter()
            .filter(|a| !matches!(a.how, How::Recreate(_)))
            .map(|a| file(a.index))
            .collect();
        let deletions: Vec<_> = self
            .deletions
            .iter()
            .map(|d| ScriptDelete {
                resource: &d.resource,
                note: d.note,
            })
            .collect();
        templates::takeover_plan(&ScriptContext {
            release: one_line(&self.release),
            namespace: &self.namespace,
            helm_file: one_line(helm_file),
            bundle: one_line(&bundle.display().to_string()),
            jobs: &self.jobs,
            protect: self.protect.iter().map(|name| format!("persistentvolumeclaim/{name}")).collect(),
            queue_change: self.queue_change.as_ref().map(|(from, to)| [one_line(from), one_line(to)]),
            records,
            checked,
            applies,
            deletions,
            kept_claims: self.kept_claims.iter().map(|name| one_line(name)).collect(),
            kept_secrets: self.kept_secrets.iter().map(|name| one_line(name)).collect(),
            record_selector: format!("owner=helm,name={}", self.release),
            record_backup: format!("helm-release-{}-record.yaml", self.release),
        })
    }
}

/// `text` for a comment of the script: control characters and line breaks
/// escaped, so that nothing read from a file or an argument can end the
/// comment and become a command, and bidirectional controls escaped, so
/// that none shows the commands around it in another order.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = c.is_control() || is_bidi_control(c) || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}');
            let shown: Vec<char> = if escape { c.escape_default().collect() } else { vec![c] };
            shown
        })
        .collect()
}

/// A here-document delimiter that no line of `text` is.
fn delimiter(text: &str) -> String {
    let mut delimiter = "RECORD".to_owned();
    while text.lines().any(|line| line == delimiter) {
        delimiter.push('_');
    }
    delimiter
}

#[derive(Serialize)]
struct ScriptContext<'a> {
    release: String,
    namespace: &'a str,
    helm_file: String,
    bundle: String,
    jobs: &'a [String],
    protect: Vec<String>,
    queue_change: Option<[String; 2]>,
    records: Vec<ScriptRecord<'a>>,
    checked: Vec<String>,
    applies: Vec<ScriptApply<'a>>,
    deletions: Vec<ScriptDelete<'a>>,
    kept_claims: Vec<String>,
    kept_secrets: Vec<String>,
    record_selector: String,
    record_backup: String,
}

#[derive(Serialize)]
struct ScriptRecord<'a> {
    title: &'a str,
    removes: &'a [String],
    yaml: &'a str,
    delimiter: String,
}

#[derive(Serialize)]
struct ScriptApply<'a> {
    title: &'a str,
    resource: &'a str,
    file: String,
    new: bool,
    recreate: Option<&'static str>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct ScriptDelete<'a> {
    resource: &'a str,
    note: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::component::SITES_DIR;

    #[test]
    fn redis_addresses_compare_without_user_info() {
        let a = RedisAddress::parse("redis://:secret@queue.example.com:6379");
        let b = RedisAddress::parse("redis://queue.example.com:6379/0");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "queue.example.com:6379/0");
        assert_eq!(
            RedisAddress::parse("redis://frappe-bench-valkey-queue").to_string(),
            "frappe-bench-valkey-queue:6379/0"
        );
        assert_ne!(a, RedisAddress::parse("rediss://queue.example.com:6380/0"));
        // A password in the query is no part of the address printed.
        assert_eq!(
            RedisAddress::parse("redis://oldq:6379/0?password=hunter2").to_string(),
            "oldq:6379/0"
        );
        assert_eq!(RedisAddress::parse("redis://oldq?password=hunter2#x").to_string(), "oldq:6379/0");
        // A password that holds a `#`, `?` or `/`, unescaped.
        for url in ["redis://:Leak#1@oldq:6379", "redis://u:Leak?2@oldq", "redis://:Leak/3@oldq"] {
            assert_eq!(RedisAddress::parse(url).to_string(), "oldq:6379/0", "{url}");
        }
        assert!(!RedisAddress::parse("redis://oldq/0?password=Le@k4").to_string().contains("k4"));
    }

    #[test]
    fn only_a_release_that_keeps_the_sites_on_a_claim_can_lose_them() {
        let deployment = |volume: serde_json::Value| {
            Object::new(
                serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                    "spec": {"template": {"spec": {
                        "containers": [{"name": "web", "volumeMounts": [{"name": "sites-dir", "mountPath": format!("{SITES_DIR}/")}]}],
                        "volumes": [volume]}}}}),
                Some("erp"),
            )
            .unwrap()
        };
        let claim = |name: &str| deployment(serde_json::json!({"name": "sites-dir", "persistentVolumeClaim": {"claimName": name}}));
        let empty_dir = deployment(serde_json::json!({"name": "sites-dir", "emptyDir": {}}));
        let change = |helm: &Object, ours: &Object| sites_volume_change(std::slice::from_ref(ours), &HashMap::from([(&helm.key, helm)]));
        assert_eq!(change(&claim("sites"), &claim("sites")), None);
        assert!(
            matches!(change(&claim("sites"), &claim("other")), Some(Refusal::SitesVolume { live, rendered, .. })
                if live == "the claim `sites`" && rendered == "the claim `other`")
        );
        assert!(change(&claim("sites"), &empty_dir).is_some());
        // The chart without persistence: each pod had its own empty sites.
        assert_eq!(change(&empty_dir, &claim("sites")), None);
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(one_line("a\nrm -rf /\u{2028}b"), "a\\nrm -rf /\\u{2028}b");
    }

    #[test]
    fn a_delimiter_never_ends_the_document_early() {
        assert_eq!(delimiter("a: 1\n"), "RECORD");
        assert_eq!(delimiter("RECORD\nRECORD_\n"), "RECORD__");
    }
}
