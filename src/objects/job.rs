//! The configure Job.
//!
//! A Job's pod template is immutable, so a Job that must run again needs a
//! new name; and a name that changes on every render (the chart stamps the
//! render time into it) keeps GitOps tools from ever settling. The name here
//! is the full name plus a hash of everything the Job runs: its spec and the
//! ConfigMap it reads. Same values, same Job; new settings, new Job.

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{ConfigMapEnvSource, Container, EnvFromSource, PodSpec, PodTemplateSpec, SecurityContext};
use sha2::{Digest, Sha256};

use super::workload::{bench_mounts, bench_volumes, pod_defaults};
use super::{common_labels, meta, storage};
use crate::model::component::{LOGS_DIR, SITES_DIR};
use crate::model::{Bench, ConfigureJob};
use crate::templates;

/// How many hex digits of the hash go into a Job's name.
const HASH_DIGITS: usize = 8;

pub fn configure(bench: &Bench, job: &ConfigureJob) -> Job {
    let names = &bench.names;
    let mut init_containers = Vec::new();
    if job.fix_volume {
        init_containers.push(Container {
            name: "fix-volume-ownership".to_owned(),
            image: Some(bench.image.clone()),
            image_pull_policy: Some(bench.pull_policy.to_owned()),
            command: Some(vec![
                "chown".to_owned(),
                "-R".to_owned(),
                "1000:1000".to_owned(),
                SITES_DIR.to_owned(),
                LOGS_DIR.to_owned(),
            ]),
            // Changing ownership needs root and CAP_CHOWN; only when asked for.
            security_context: Some(SecurityContext {
                run_as_user: Some(0),
                run_as_non_root: Some(false),
                ..Default::default()
            }),
            volume_mounts: Some(bench_mounts(true)),
            ..Default::default()
        });
    }
    let args = job.args.clone().unwrap_or_else(|| vec![templates::configure_script(job.rds)]);
    let container = Container {
        name: "configure".to_owned(),
        image: Some(bench.image.clone()),
        image_pull_policy: Some(bench.pull_policy.to_owned()),
        command: Some(job.command.clone()),
        args: Some(args),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: storage::config_map_name(bench),
                optional: None,
            }),
            ..Default::default()
        }]),
        env: (!job.env.is_empty()).then(|| job.env.clone()),
        resources: Some(job.resources.clone()),
        security_context: Some(bench.container_security_context.clone()),
        volume_mounts: Some(bench_mounts(true)),
        ..Default::default()
    };
    let spec = JobSpec {
        backoff_limit: Some(job.backoff_limit),
        template: PodTemplateSpec {
            metadata: None,
            spec: Some(PodSpec {
                restart_policy: Some("Never".to_owned()),
                containers: vec![container],
                init_containers: (!init_containers.is_empty()).then_some(init_containers),
                volumes: Some(bench_volumes(bench, true, false)),
                node_selector: (!job.node_selector.is_empty()).then(|| job.node_selector.clone()),
                tolerations: (!job.tolerations.is_empty()).then(|| job.tolerations.clone()),
                affinity: job.affinity.clone(),
                ..pod_defaults(bench)
            }),
        },
        ..Default::default()
    };
    let name = job
        .job_name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", names.object("configure"), content_hash(&spec, bench)));
    let mut labels = common_labels(names);
    labels.insert("app.kubernetes.io/component".to_owned(), "configure".to_owned());
    Job {
        metadata: meta(names, name, labels),
        spec: Some(spec),
        ..Default::default()
    }
}

/// A short hash of the Job's spec and the configuration it reads.
fn content_hash(spec: &JobSpec, bench: &Bench) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(spec).expect("a JobSpec serializes"));
    hasher.update(serde_json::to_vec(&bench.config).expect("a string map serializes"));
    let digest = hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect::<String>()[..HASH_DIGITS].to_owned()
}

/// The longest suffix a Job name adds to the full name, for name-length checks.
pub const NAME_SUFFIX_LEN: usize = "-configure-".len() + HASH_DIGITS;
