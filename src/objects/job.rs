//! The bench's Jobs, and the CronJob of scheduled backups.
//!
//! A Job's pod template is immutable, so a Job that must run again needs a
//! new name; and a name that changes on every render (the chart stamps the
//! render time into it) keeps GitOps tools from ever settling. A Job's name
//! here is `<fullname>-<task>-<hash>`, the hash taken over what its task's
//! [`Rerun`] rule covers: same values, same Job. A new image tag gives a new
//! migrate Job but the same create-site Job; since the image is still in that
//! Job's template, it deletes itself ([`FINISHED_JOB_TTL`]) after it finished,
//! so that `kubectl apply` never has to change it. A CronJob is updated in
//! place, so it keeps a plain `<fullname>-<task>` name.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, Container, EnvFromSource, EnvVar, EnvVarSource, ObjectFieldSelector, PodSpec, PodTemplateSpec,
    ResourceRequirements, SecretKeySelector, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sha2::{Digest, Sha256};

use super::workload::{bench_mounts, bench_volumes, pod_defaults};
use super::{Manifest, common_labels, meta, storage};
use crate::model::component::{BENCH_DIR, ComponentKind, LOGS_DIR, SITES_DIR, TMP_DIR};
use crate::model::jobs::{BenchJob, NAME_HASH_DIGITS, Rerun, S3Target, SecretRef, Task};
use crate::model::{Bench, label};
use crate::templates::{self, S3_DIR};

/// Seconds a finished Job whose name leaves out the image is kept (with its
/// pod and logs). Until then, applying a new image fails on it (`field is
/// immutable`); after it, the same Job is created again, and finds its work
/// done.
pub const FINISHED_JOB_TTL: i32 = 600;

/// The Job, or the CronJob when the task runs on a schedule.
pub fn build(bench: &Bench, job: &BenchJob) -> Manifest {
    let names = &bench.names;
    let task = job.task.name();
    let mut spec = job_spec(bench, job);
    let mut labels = common_labels(names);
    labels.insert(label::COMPONENT.to_owned(), task.to_owned());
    if let Task::Custom { labels: extra, .. } = &job.task {
        labels.extend(extra.clone());
    }
    if let Some(schedule) = &job.schedule {
        let name = job.pinned_name.clone().unwrap_or_else(|| names.object(task));
        return Manifest::CronJob(Box::new(CronJob {
            metadata: meta(names, name, labels),
            spec: Some(CronJobSpec {
                schedule: schedule.clone(),
                // A backup still running when the next is due is left to finish.
                concurrency_policy: Some("Forbid".to_owned()),
                successful_jobs_history_limit: Some(3),
                failed_jobs_history_limit: Some(3),
                job_template: JobTemplateSpec {
                    metadata: None,
                    spec: Some(spec),
                },
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    let rerun = job.task.reruns_on();
    let name = job
        .pinned_name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", names.object(task), content_hash(&mut spec, bench, rerun)));
    Manifest::Job(Box::new(Job {
        metadata: meta(names, name, labels),
        spec: Some(JobSpec {
            ttl_seconds_after_finished: (rerun == Rerun::PodWithoutImage).then_some(FINISHED_JOB_TTL),
            ..spec
        }),
        ..Default::default()
    }))
}

fn job_spec(bench: &Bench, job: &BenchJob) -> JobSpec {
    let names = &bench.names;
    let task = job.task.name();
    let (init_containers, containers, restart_policy, extra_volumes) = match &job.task {
        Task::Custom {
            init_containers,
            containers,
            restart_policy,
            volumes,
            ..
        } => {
            // The user's containers run under the restricted defaults unless they set their own.
            let restricted = |containers: &[Container]| -> Vec<Container> {
                let mut containers = containers.to_vec();
                for container in &mut containers {
                    container
                        .security_context
                        .get_or_insert_with(|| bench.user_container_security_context.clone());
                }
                containers
            };
            (
                restricted(init_containers),
                restricted(containers),
                restart_policy.clone(),
                volumes.clone(),
            )
        }
        Task::VolumePermissions => {
            let chown = root_container(
                bench,
                job,
                "volume-permissions",
                vec!["chown".into(), "-R".into(), "1000:1000".into(), BENCH_DIR.into()],
            );
            (Vec::new(), vec![chown], "Never".to_owned(), Vec::new())
        }
        // The backup first, then the copy to S3, which reads the list of
        // files the backup wrote from the volume they share.
        Task::Backup { s3: Some(s3), .. } => {
            let upload = aws_container(
                bench,
                "upload",
                s3,
                templates::s3_upload_script(s3, &bench.image, job.schedule.is_some()),
            );
            (
                vec![script_container(bench, job)],
                vec![upload],
                "Never".to_owned(),
                vec![s3_scratch_volume()],
            )
        }
        // The download first, then the restore.
        Task::Restore(restore) if restore.from_s3.is_some() => {
            let s3 = restore.from_s3.as_ref().expect("matched");
            let download = aws_container(bench, "download", s3, templates::s3_download_script(restore, s3));
            (
                vec![download],
                vec![script_container(bench, job)],
                "Never".to_owned(),
                vec![s3_scratch_volume()],
            )
        }
        other => {
            let mut init = Vec::new();
            if let Task::Configure { fix_volume: true, .. } = other {
                let command = vec!["chown".into(), "-R".into(), "1000:1000".into(), SITES_DIR.into(), LOGS_DIR.into()];
                init.push(root_container(bench, job, "fix-volume-ownership", command));
            }
            (init, vec![script_container(bench, job)], "Never".to_owned(), Vec::new())
        }
    };
    // Only the bench's own script container mounts the scratch directory.
    let scripted = !matches!(job.task, Task::Custom { .. } | Task::VolumePermissions);
    let scratch = if scripted { bench.scratch_dirs(&[TMP_DIR]) } else { &[] };
    let mut volumes = bench_volumes(bench, true, false, scratch);
    volumes.extend(extra_volumes);
    let pod_labels = BTreeMap::from([
        (label::NAME.to_owned(), names.chart.clone()),
        (label::INSTANCE.to_owned(), names.release.clone()),
        (label::COMPONENT.to_owned(), task.to_owned()),
        crate::model::part_of_label(names),
    ]);
    JobSpec {
        backoff_limit: Some(job.backoff_limit),
        template: PodTemplateSpec {
            metadata: Some(ObjectMeta {
                labels: Some(pod_labels),
                annotations: job.task.changes_a_site().then(keep_on_its_node),
                ..Default::default()
            }),
            spec: Some(PodSpec {
                restart_policy: Some(restart_policy),
                containers,
                init_containers: (!init_containers.is_empty()).then_some(init_containers),
                volumes: Some(volumes),
                node_selector: (!job.node_selector.is_empty()).then(|| job.node_selector.clone()),
                tolerations: (!job.tolerations.is_empty()).then(|| job.tolerations.clone()),
                affinity: job.affinity.clone(),
                ..pod_defaults(bench)
            }),
        },
        ..Default::default()
    }
}

/// The annotations by which the cluster autoscaler and Karpenter leave a
/// pod's node alone while it runs (`cluster-autoscaler.kubernetes.io/safe-to-evict`,
/// `karpenter.sh/do-not-disrupt`): neither drains a node for a scale-down,
/// a consolidation or a drift under such a pod. A node drained by hand, or
/// lost, still stops it.
fn keep_on_its_node() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("cluster-autoscaler.kubernetes.io/safe-to-evict".to_owned(), "false".to_owned()),
        ("karpenter.sh/do-not-disrupt".to_owned(), "true".to_owned()),
    ])
}

/// The bench container running a task's script with the settings of the
/// ConfigMap, and its passwords as env from Secrets, never as literals.
fn script_container(bench: &Bench, job: &BenchJob) -> Container {
    let exec_deployment = bench.names.deployment(ComponentKind::Gunicorn);
    let upgrade = templates::Upgrade {
        image: &bench.image,
        exec_deployment: &exec_deployment,
    };
    let script = templates::job_script(&job.task, job.schedule.is_some(), upgrade).expect("scripted tasks have a script");
    let (command, args) = match &job.task {
        Task::Configure { command, args, .. } => (
            command.clone().unwrap_or_else(|| vec!["bash".to_owned(), "-c".to_owned()]),
            args.clone().unwrap_or_else(|| vec![script]),
        ),
        _ => (vec!["bash".to_owned(), "-c".to_owned()], vec![script]),
    };
    // The endpoints come from the ConfigMap (`envFrom` below), the Redis
    // passwords from the Secret (see `Bench::redis_password_env`).
    let mut env = bench.redis_password_env.clone();
    match &job.task {
        Task::Configure { env: extra, .. } => env.extend(extra.iter().cloned()),
        Task::CreateSites {
            db_root_user,
            db_root_password,
            admin_password,
            ..
        } => {
            env.extend(root_login_env(db_root_user, db_root_password));
            env.push(secret_env("ADMIN_PASSWORD", admin_password));
            env.push(job_name_env());
        }
        Task::DropSites {
            db_root_user,
            db_root_password,
            ..
        } => {
            env.extend(root_login_env(db_root_user, db_root_password));
            env.push(job_name_env());
        }
        Task::Restore(restore) => {
            env.extend(root_login_env(&restore.db_root_user, &restore.db_root_password));
            env.push(job_name_env());
        }
        Task::Migrate { .. } => env.push(job_name_env()),
        _ => {}
    }
    let mut mounts = bench_mounts(true, bench.scratch_dirs(&[TMP_DIR]));
    if matches!(&job.task, Task::Backup { s3: Some(_), .. }) {
        mounts.push(s3_scratch_mount());
    }
    Container {
        name: job.task.name().to_owned(),
        image: Some(bench.image.clone()),
        image_pull_policy: Some(bench.pull_policy.to_owned()),
        command: Some(command),
        args: Some(args),
        env_from: Some(vec![EnvFromSource {
            config_map_ref: Some(ConfigMapEnvSource {
                name: storage::config_map_name(bench),
                optional: None,
            }),
            ..Default::default()
        }]),
        env: (!env.is_empty()).then_some(env),
        resources: Some(job.resources.clone()),
        security_context: Some(bench.container_security_context.clone()),
        volume_mounts: Some(mounts),
        ..Default::default()
    }
}

/// `JOB_NAME`, the Job's own name: a failed migrate's (or restore's, or a
/// refused password's) log names the Job to delete before running it again.
fn job_name_env() -> EnvVar {
    EnvVar {
        name: "JOB_NAME".to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: "metadata.labels['batch.kubernetes.io/job-name']".to_owned(),
                api_version: None,
            }),
            ..Default::default()
        }),
    }
}

/// The AWS CLI container of a backup or restore, with the sites volume at
/// the bench's path, its access keys from the Secret and its home (the
/// CLI's cache) and temporary files in the pod's scratch volume.
fn aws_container(bench: &Bench, name: &str, s3: &S3Target, script: String) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(s3.image.clone()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(vec!["bash".to_owned(), "-c".to_owned()]),
        args: Some(vec![script]),
        env: Some(vec![
            secret_env("AWS_ACCESS_KEY_ID", &s3.access_key_id),
            secret_env("AWS_SECRET_ACCESS_KEY", &s3.secret_access_key),
            literal_env("AWS_DEFAULT_REGION", &s3.region),
            literal_env("HOME", S3_DIR),
            // The root file system may be read-only.
            literal_env("TMPDIR", S3_DIR),
        ]),
        security_context: Some(bench.container_security_context.clone()),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "sites-dir".to_owned(),
                mount_path: SITES_DIR.to_owned(),
                ..Default::default()
            },
            s3_scratch_mount(),
        ]),
        ..Default::default()
    }
}

/// The scratch volume the S3 containers share with the bench's.
fn s3_scratch_volume() -> Volume {
    Volume {
        name: "s3".to_owned(),
        empty_dir: Some(Default::default()),
        ..Default::default()
    }
}

fn s3_scratch_mount() -> VolumeMount {
    VolumeMount {
        name: "s3".to_owned(),
        mount_path: S3_DIR.to_owned(),
        ..Default::default()
    }
}

/// The database root user, and its password from a Secret.
fn root_login_env(user: &str, password: &SecretRef) -> [EnvVar; 2] {
    [literal_env("DB_ROOT_USER", user), secret_env("DB_ROOT_PASSWORD", password)]
}

/// A variable whose value the process gets exactly as the values write it.
/// The kubelet reads `$(NAME)` in a `value` as the value of the container's
/// variable `NAME` (a Secret's, `$(AWS_SECRET_ACCESS_KEY)`), and `$$` as
/// `$`; each `$` written `$$` comes through as itself.
fn literal_env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.replace('$', "$$")),
        value_from: None,
    }
}

fn secret_env(name: &str, secret: &SecretRef) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            secret_key_ref: Some(SecretKeySelector {
                name: secret.name.clone(),
                key: secret.key.clone(),
                optional: None,
            }),
            ..Default::default()
        }),
    }
}

/// A container that changes file ownership, which needs root; only rendered
/// when the values ask for it (`fixVolume`, `volumePermissions`). It takes
/// the Job's `resources`, as in the chart (`job-fix-volume-permission.yaml`,
/// and `job-configure-bench.yaml` for its init container).
fn root_container(bench: &Bench, job: &BenchJob, name: &str, command: Vec<String>) -> Container {
    Container {
        name: name.to_owned(),
        image: Some(bench.image.clone()),
        image_pull_policy: Some(bench.pull_policy.to_owned()),
        command: Some(command),
        // Left out when empty: the Job's name hashes its pod, and an empty
        // `resources` would rename (and rerun) every chown Job already applied.
        resources: (job.resources != ResourceRequirements::default()).then(|| job.resources.clone()),
        security_context: Some(SecurityContext {
            run_as_user: Some(0),
            run_as_non_root: Some(false),
            ..Default::default()
        }),
        volume_mounts: Some(bench_mounts(true, &[])),
        ..Default::default()
    }
}

/// A short hash of what the Job's [`Rerun`] rule covers: the SHA-256 of the
/// JSON of the spec (and of the settings), streamed into the hasher rather
/// than built as a buffer first; the bytes, and so the names, are the same.
/// The spec comes back as it went in.
fn content_hash(spec: &mut JobSpec, bench: &Bench, rerun: Rerun) -> String {
    let mut hasher = Sha256::new();
    match rerun {
        Rerun::Pod => hash_json(&mut hasher, spec),
        Rerun::PodAndSettings => {
            hash_json(&mut hasher, spec);
            hash_json(&mut hasher, &bench.config);
        }
        Rerun::PodWithoutImage => {
            // The images are taken out for the hash and put back, rather
            // than the whole spec copied without them.
            let images: Vec<Option<String>> = pod_containers(spec).map(|c| c.image.take()).collect();
            hash_json(&mut hasher, spec);
            for (container, image) in pod_containers(spec).zip(images) {
                container.image = image;
            }
        }
    }
    // The first digits of the hex digest.
    format!("{:.*x}", NAME_HASH_DIGITS, hasher.finalize())
}

/// Every container of the Job's pod, init containers too.
fn pod_containers(spec: &mut JobSpec) -> impl Iterator<Item = &mut Container> {
    spec.template
        .spec
        .iter_mut()
        .flat_map(|pod| pod.containers.iter_mut().chain(pod.init_containers.iter_mut().flatten()))
}

fn hash_json(hasher: &mut Sha256, value: &impl serde::Serialize) {
    serde_json::to_writer(hasher, value).expect("a JobSpec and a string map serialize");
}
