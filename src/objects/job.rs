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
//!
//! A Job that changes a site comes with a PodDisruptionBudget of the same
//! name ([`disruption_budget`]): the Eviction API, which `kubectl drain` and
//! managed node upgrades use, then refuses to evict its pod while it is
//! Ready, which its [`changing_a_site_probe`] makes it only while the script
//! changes a site, not while it waits.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{
    CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec, PodFailurePolicy, PodFailurePolicyOnPodConditionsPattern, PodFailurePolicyRule,
};
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, Container, EnvFromSource, EnvVar, EnvVarSource, ExecAction, ObjectFieldSelector, PodSpec, PodTemplateSpec, Probe,
    ResourceRequirements, SecretKeySelector, SecurityContext, Volume, VolumeMount,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use sha2::{Digest, Sha256};

use super::workload::{bench_mounts, bench_volumes, pod_defaults};
use super::{Manifest, common_labels, meta, storage};
use crate::model::component::{BENCH_DIR, ComponentKind, LOGS_DIR, SITES_DIR, TMP_DIR};
use crate::model::jobs::{BenchJob, NAME_HASH_DIGITS, Rerun, S3Target, SecretRef, Task};
use crate::model::{Bench, Names, label};
use crate::templates::{self, CHANGING_A_SITE_FILE, CHANGING_A_SITE_PROBE_PERIOD, S3_DIR};

/// Seconds a finished Job whose name leaves out the image is kept (with its
/// pod and logs). Until then, applying a new image fails on it (`field is
/// immutable`); after it, the same Job is created again, and finds its work
/// done.
pub const FINISHED_JOB_TTL: i32 = 600;

/// The label the Job controller puts on each pod of a Job, the Job's name as
/// its value (Kubernetes 1.27 and later).
pub const JOB_NAME_LABEL: &str = "batch.kubernetes.io/job-name";

/// The label the Job controller puts on each pod of a Job, the Job's uid as
/// its value (Kubernetes 1.27 and later).
pub const JOB_UID_LABEL: &str = "batch.kubernetes.io/controller-uid";

/// The label on the pods of a Job that changes a site, which its
/// [`disruption_budget`] selects: the Job's name as rendered. Not
/// [`JOB_NAME_LABEL`], whose value Kubernetes takes from the Job's name when
/// it runs: kustomize's `namePrefix` and `nameSuffix` rename the Job and the
/// budget but no label value, and a budget over the rendered name would then
/// select no pod. A value in the pod template is left as it is by a rename,
/// and `labels` (`includeSelectors`) or `commonLabels` add theirs to the
/// template and to the selector alike.
pub const JOB_LABEL: &str = "frappe-manifests/job";

/// The Job, or the CronJob when the task runs on a schedule; before a Job
/// that changes a site, its [`disruption_budget`]. Only backups run on a
/// schedule, and none changes a site.
pub fn build(bench: &Bench, job: &BenchJob) -> Vec<Manifest> {
    let mut manifest = job_or_cron_job(bench, job);
    match &mut manifest {
        Manifest::Job(built) if job.task.changes_a_site() => {
            let name = built.metadata.name.clone().expect("a Job has a name");
            // After the name, which hashes the pod template: the label is the name.
            let template = &mut built.spec.as_mut().expect("a Job has a spec").template;
            let labels = template.metadata.get_or_insert_default().labels.get_or_insert_default();
            labels.insert(JOB_LABEL.to_owned(), name);
            let budget = disruption_budget(&bench.names, &built.metadata);
            vec![Manifest::PodDisruptionBudget(Box::new(budget)), manifest]
        }
        _ => vec![manifest],
    }
}

/// A PodDisruptionBudget that keeps the Eviction API (`kubectl drain`, the
/// node upgrades of GKE, EKS and AKS, the cluster autoscaler, Karpenter)
/// from evicting the pod of the Job `job` while it changes a site: cut off
/// part-way, a migrate leaves its site half migrated (MariaDB commits each
/// DDL statement), a restore half loaded.
///
/// Only then: the pod is Ready only while its script changes a site
/// ([`changing_a_site_probe`]), and `unhealthyPodEvictionPolicy:
/// AlwaysAllow` lets the eviction handler take a running pod that is not
/// Ready without looking at the budget. The Job waits far longer than it
/// changes (for the backing services, the one-off backup, a site's
/// creation: hours, up to a day), and a drain, or a node upgrade that gives
/// up after 15 minutes (EKS), would wait all that time. A pod that was not
/// Ready when the handler read it is deleted with that version as a
/// precondition, so one that turned Ready meanwhile is refused (HTTP 429).
/// Kubernetes 1.27 and later (beta, on by default; GA in 1.31); an older
/// API server drops the field, and the budget then holds the pod while it
/// runs.
///
/// `minAvailable: 1` as an integer: the disruption controller then counts
/// the pods the selector matches, where `maxUnavailable` or a percentage
/// would look for the scale of their controller, which a Job does not have
/// (`getExpectedPodCount`). Its one pod, Ready or not, leaves no disruption
/// allowed (the condition is `InsufficientPods`, always). A pod that has finished,
/// or not yet started (Pending: still pulling its image or running an init
/// container, before it changed anything), is evicted regardless (the
/// eviction handler's `canIgnorePDB`). The selector is the Job's own name
/// as rendered ([`JOB_LABEL`], on its pods): a budget over the pods of two
/// Jobs of the same task would allow one eviction when both run, and two
/// budgets over one pod make the Eviction API refuse it with an error.
/// Named as the Job is, so that each Job has its own.
fn disruption_budget(names: &Names, job: &ObjectMeta) -> PodDisruptionBudget {
    let name = job.name.clone().expect("a Job has a name");
    let selector = BTreeMap::from([(JOB_LABEL.to_owned(), name.clone())]);
    PodDisruptionBudget {
        metadata: meta(names, name, job.labels.clone().unwrap_or_default()),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector),
                match_expressions: None,
            }),
            unhealthy_pod_eviction_policy: Some("AlwaysAllow".to_owned()),
            max_unavailable: None,
        }),
        ..Default::default()
    }
}

fn job_or_cron_job(bench: &Bench, job: &BenchJob) -> Manifest {
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
                vec!["chown".into(), "-R".into(), bench.owner(), BENCH_DIR.into()],
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
                let command = vec!["chown".into(), "-R".into(), bench.owner(), SITES_DIR.into(), LOGS_DIR.into()];
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
        // Our own scripts only, whose pods never restart in place (which
        // a pod failure policy needs); the user's custom Job may.
        pod_failure_policy: (!matches!(job.task, Task::Custom { .. }) && restart_policy == "Never").then(disruptions_ignored),
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

/// A pod failure policy by which a pod taken away by a disruption (the
/// `DisruptionTarget` condition: an eviction, such as a node drain's; a
/// preemption; a NoExecute taint; its node gone; the kubelet's node-pressure
/// eviction or node shutdown) is replaced rather than counted against
/// `backoffLimit`: a drain while the Job waits no longer fails it. A
/// failure of the script itself still counts. Kubernetes 1.26 and later (GA
/// in 1.31); the replacement starts only once the pod it replaces has
/// stopped (failed), never beside it. While a Job changes a site, its
/// [`disruption_budget`] keeps evictions away; the other disruptions may
/// still cut it off, and its replacement then stops, naming the site, rather
/// than redo the change by itself, again each time a pod is taken
/// (`templates/disruption.sh.j2`, by [`job_env`]'s uid): someone looks
/// at the site and runs the Job again, which the README describes.
fn disruptions_ignored() -> PodFailurePolicy {
    PodFailurePolicy {
        rules: vec![PodFailurePolicyRule {
            action: "Ignore".to_owned(),
            on_pod_conditions: Some(vec![PodFailurePolicyOnPodConditionsPattern {
                type_: "DisruptionTarget".to_owned(),
                status: "True".to_owned(),
            }]),
            on_exit_codes: None,
        }],
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
            env.extend(job_env());
        }
        Task::DropSites {
            db_root_user,
            db_root_password,
            ..
        } => {
            env.extend(root_login_env(db_root_user, db_root_password));
            env.extend(job_env());
        }
        Task::Restore(restore) => {
            env.extend(root_login_env(&restore.db_root_user, &restore.db_root_password));
            env.extend(job_env());
        }
        Task::Migrate { .. } => env.extend(job_env()),
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
        readiness_probe: job.task.changes_a_site().then(changing_a_site_probe),
        ..Default::default()
    }
}

/// Ready while the file the script keeps while it changes a site is there
/// (`templates/disruption.sh.j2`), in the container's own `/tmp`. Each
/// run forks one process in the container, every
/// [`CHANGING_A_SITE_PROBE_PERIOD`] seconds. Three failures in a row (the
/// default) make the pod unready again: one exec that times out under the
/// load of a migrate leaves it Ready. The message is what `kubectl describe
/// pod` shows under the probe's `Unhealthy` events while the Job waits.
fn changing_a_site_probe() -> Probe {
    let test = format!("test -e {CHANGING_A_SITE_FILE} || {{ echo 'not changing a site: an eviction may take this pod'; exit 1; }}");
    Probe {
        exec: Some(ExecAction {
            command: Some(vec!["sh".to_owned(), "-c".to_owned(), test]),
        }),
        period_seconds: Some(CHANGING_A_SITE_PROBE_PERIOD),
        ..Default::default()
    }
}

/// `JOB_NAME`, the Job's own name: a failed migrate's (or restore's, or a
/// refused password's) log names the Job to delete before running it again.
/// `JOB_UID`, its uid, which tells a pod of this Job from one of a Job of
/// the same name applied again (`templates/disruption.sh.j2`). Both
/// from the labels the Job controller puts on its pods.
fn job_env() -> [EnvVar; 2] {
    let label = |name: &str, label: &str| EnvVar {
        name: name.to_owned(),
        value: None,
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: format!("metadata.labels['{label}']"),
                api_version: None,
            }),
            ..Default::default()
        }),
    };
    [label("JOB_NAME", JOB_NAME_LABEL), label("JOB_UID", JOB_UID_LABEL)]
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
