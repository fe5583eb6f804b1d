//! The containers the values add (sidecars, init containers, the custom
//! Job's): their names, restart policies, probes, ports, mounts, and the
//! volumes a pod gives them.

use k8s_openapi::api::core::v1::{Container, ContainerPort, SecurityContext, Volume};

use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::Anchor;

use super::env::check_env;
use super::probes::{ProbeKind, check_probe};
use super::resources::check_resources;
use super::security::check_security_context;
use super::{check_port, check_port_name};

/// Containers the values add; `init` for init containers, which may have
/// probes and lifecycle hooks only as sidecars (`restartPolicy: Always`,
/// validateInitContainers), where other containers may have no
/// `restartPolicy` at all (validateContainers). A container without a
/// `securityContext` is rendered with `inherited`.
pub(crate) fn check_containers(
    containers: &[Container],
    init: bool,
    inherited: &SecurityContext,
    at: &Anchor<'_>,
    report: &mut Reporter<'_>,
) {
    // The host ports taken: across a pod's containers, which run together,
    // but within each init container alone (checkHostPortConflicts).
    let mut host_ports = Vec::new();
    for (i, container) in containers.iter().enumerate() {
        let base = at.index(i);
        if !k8s::is_dns1123_label(&container.name) {
            report.at(
                Code::InvalidName,
                base.key("name"),
                format!("`{}` is not a valid container name", container.name),
            );
        }
        let image = container.image.as_deref().unwrap_or_default();
        check_image_reference(
            image,
            || format!("the container `{}` has no image", container.name),
            &base.key("image"),
            report,
        );
        if let Some(resources) = &container.resources {
            check_resources(resources, &base.key("resources"), report);
        }
        if let Some(context) = &container.security_context {
            check_security_context(context, &base.key("securityContext"), report);
        }
        check_env(container.env.as_deref().unwrap_or_default(), &base.key("env"), report);
        let context = container.security_context.as_ref().unwrap_or(inherited);
        check_volume_mounts(container, context, &base.key("volumeMounts"), report);
        let sidecar = container.restart_policy.as_deref() == Some("Always");
        match container.restart_policy.as_deref() {
            Some(policy) if !init => {
                report
                    .at_key(
                        Code::InvalidValue,
                        base.key("restartPolicy"),
                        format!("`restartPolicy: {policy}` is for init containers only"),
                    )
                    .with_help("remove it: a pod's containers restart as the pod's `restartPolicy` says");
            }
            Some(policy) if policy != "Always" => {
                report
                    .at(
                        Code::InvalidValue,
                        base.key("restartPolicy"),
                        format!("an init container's `restartPolicy` can only be `Always`, not `{policy}`"),
                    )
                    .with_help("set `Always` to make it a sidecar, or remove it");
            }
            _ => {}
        }
        let probes = [&container.liveness_probe, &container.readiness_probe, &container.startup_probe];
        for ((kind, key), probe) in ProbeKind::ALL.into_iter().zip(probes) {
            let Some(probe) = probe else { continue };
            if init && !sidecar {
                report
                    .at_key(
                        Code::InvalidValue,
                        base.key(key),
                        format!("an init container cannot have a `{key}`"),
                    )
                    .with_help("remove it, or set `restartPolicy: Always` to run the container as a sidecar, which may have probes");
            } else {
                check_probe(probe, kind, &base.key(key), report);
            }
        }
        if init && !sidecar && container.lifecycle.is_some() {
            report
                .at_key(
                    Code::InvalidValue,
                    base.key("lifecycle"),
                    "an init container cannot have a `lifecycle`",
                )
                .with_help("remove it, or set `restartPolicy: Always` to run the container as a sidecar");
        }
        if let Some(policy) = container.image_pull_policy.as_deref()
            && !policy.is_empty()
        {
            const POLICIES: &[&str] = &["Always", "IfNotPresent", "Never"];
            if !POLICIES.contains(&policy) {
                report
                    .at(
                        Code::InvalidValue,
                        base.key("imagePullPolicy"),
                        format!("`{policy}` is not an image pull policy"),
                    )
                    .with_help_closest(policy, POLICIES, "use `IfNotPresent`, `Always` or `Never`");
            }
        }
        if init {
            host_ports.clear();
        }
        check_container_ports(
            container.ports.as_deref().unwrap_or_default(),
            &mut host_ports,
            &base.key("ports"),
            report,
        );
    }
}

/// A container's `image` as the runtime parses it (distribution/reference's
/// grammar): the kubelet expands no `$(VAR)` there. `missing` says what an
/// empty one is.
pub(crate) fn check_image_reference(image: &str, missing: impl FnOnce() -> String, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    if !k8s::is_image_reference(image) {
        let message = if image.is_empty() {
            missing()
        } else {
            format!("`{image}` is not an image reference")
        };
        report.at(Code::InvalidValue, at, message).with_help(
            "write `[registry/]repository[:tag][@sha256:digest]`, e.g. `busybox:1.36` or `registry.example.com/tools/backup:v2`",
        );
    }
}

/// A container's volume mounts as ValidateVolumeMounts checks them, but for
/// the volume each names, which the pod's other keys decide: a name and a
/// mount path, each path once, `subPath` and `subPathExpr` relative and
/// without `..` (validateLocalDescendingPath), not both, and a known
/// `mountPropagation` (`Bidirectional` only for a privileged container,
/// validateMountPropagation: `context` is the one the container runs under).
fn check_volume_mounts(container: &Container, context: &SecurityContext, at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let mut paths: Vec<&str> = Vec::new();
    for (i, mount) in container.volume_mounts.iter().flatten().enumerate() {
        let base = at.index(i);
        if mount.name.is_empty() {
            report
                .at_key(Code::InvalidValue, base.key("name"), "a volume mount needs the `name` of a volume")
                .with_help("name one of the pod's volumes");
        }
        if mount.mount_path.is_empty() {
            report
                .at_key(Code::InvalidValue, base.key("mountPath"), "a volume mount needs a `mountPath`")
                .with_help("give the absolute path the volume appears at in the container");
        } else if paths.contains(&mount.mount_path.as_str()) {
            report
                .at(
                    Code::InvalidValue,
                    base.key("mountPath"),
                    format!("`{}` is mounted twice in this container", mount.mount_path),
                )
                .with_help("mount each volume at its own path");
        }
        paths.push(&mount.mount_path);
        for (key, path) in [("subPath", &mount.sub_path), ("subPathExpr", &mount.sub_path_expr)] {
            let Some(path) = path.as_deref().filter(|p| !p.is_empty()) else {
                continue;
            };
            if path.starts_with('/') || path.split('/').any(|part| part == "..") {
                report
                    .at(
                        Code::InvalidValue,
                        base.key(key),
                        format!("`{path}` must be a path inside the volume: relative, without `..`"),
                    )
                    .with_help(format!(
                        "write `{key}` relative to the volume's root, e.g. `sites/common_site_config.json`"
                    ));
            }
        }
        if mount.sub_path.as_deref().is_some_and(|p| !p.is_empty()) && mount.sub_path_expr.as_deref().is_some_and(|p| !p.is_empty()) {
            report
                .at_key(
                    Code::InvalidValue,
                    base.key("subPathExpr"),
                    "a volume mount takes `subPath` or `subPathExpr`, not both",
                )
                .with_help("keep one of them");
        }
        match mount.mount_propagation.as_deref() {
            None | Some("None" | "HostToContainer") => {}
            Some("Bidirectional") => {
                if context.privileged != Some(true) {
                    report
                        .at_key(
                            Code::InvalidValue,
                            base.key("mountPropagation"),
                            "`Bidirectional` mount propagation is for privileged containers only",
                        )
                        .with_help(if container.security_context.is_none() {
                            "use `HostToContainer`, or leave it out: a container without a `securityContext` of its own runs under the top-level `securityContext` (restricted when unset), which is not privileged"
                        } else {
                            "use `HostToContainer`, or leave it out"
                        });
                }
            }
            Some(other) => {
                report
                    .at(
                        Code::InvalidValue,
                        base.key("mountPropagation"),
                        format!("`{other}` is not a mount propagation"),
                    )
                    .with_help("use `None`, `HostToContainer` or `Bidirectional`");
            }
        }
    }
}

/// The volumes the values add to a pod beside `taken`, the pod's own, as
/// ValidateVolumes checks their names: DNS-1123 labels, each once.
pub(crate) fn check_volumes(volumes: &[Volume], taken: &[&str], at: &Anchor<'_>, report: &mut Reporter<'_>) {
    let mut names = taken.to_vec();
    for (i, volume) in volumes.iter().enumerate() {
        let name = volume.name.as_str();
        if !k8s::is_dns1123_label(name) {
            let message = if name.is_empty() {
                "the volume has no `name`".to_owned()
            } else {
                format!("`{name}` is not a valid volume name")
            };
            report
                .at(Code::InvalidName, at.index(i).key("name"), message)
                .with_help("volume names are at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit");
        } else if names.contains(&name) {
            report
                .at(
                    Code::InvalidName,
                    at.index(i).key("name"),
                    format!("the pod already has a volume named `{name}`"),
                )
                .with_help("give the volume another name; the bench's `sites-dir` and `logs` are always there");
        } else {
            names.push(name);
        }
    }
}

/// The mounts of `containers` that name no volume in `volumes`, the pod's
/// (ValidateVolumeMounts: "not found"); `more` is the key that adds volumes
/// to the pod, where there is one.
pub(crate) fn check_mounted_volumes_exist(
    containers: &[Container],
    volumes: &[&str],
    more: Option<&str>,
    at: &Anchor<'_>,
    report: &mut Reporter<'_>,
) {
    for (i, container) in containers.iter().enumerate() {
        for (j, mount) in container.volume_mounts.iter().flatten().enumerate() {
            if !mount.name.is_empty() && !volumes.contains(&mount.name.as_str()) {
                let known = volumes.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
                report
                    .at(
                        Code::InvalidValue,
                        at.index(i).key("volumeMounts").index(j).key("name"),
                        format!("the pod has no volume named `{}`", mount.name),
                    )
                    .with_help(match more {
                        Some(key) => format!("mount one of {known}, or add the volume under `{key}`"),
                        None => format!("mount one of {known}: the pod has no other volumes"),
                    });
            }
        }
    }
}

/// A container's ports as validateContainerPorts checks them: valid and
/// unique names, port numbers, and a protocol (TCP when left out); and a
/// host port that `host_ports` (protocol, host IP, port) does not hold yet
/// (AccumulateUniqueHostPorts).
fn check_container_ports<'a>(
    ports: &'a [ContainerPort],
    host_ports: &mut Vec<(&'a str, &'a str, i32)>,
    at: &Anchor<'_>,
    report: &mut Reporter<'_>,
) {
    let mut names: Vec<&str> = Vec::new();
    for (i, port) in ports.iter().enumerate() {
        let base = at.index(i);
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty()) {
            if !k8s::is_port_name(name) {
                check_port_name(name, &base.key("name"), report);
            } else if names.contains(&name) {
                report
                    .at(
                        Code::InvalidPort,
                        base.key("name"),
                        format!("the port name `{name}` is used twice in this container"),
                    )
                    .with_help("give each port its own name");
            } else {
                names.push(name);
            }
        }
        check_port(port.container_port, &base.key("containerPort"), report);
        if let Some(host_port) = port.host_port.filter(|p| *p != 0) {
            check_port(host_port, &base.key("hostPort"), report);
            let protocol = port.protocol.as_deref().filter(|p| !p.is_empty()).unwrap_or("TCP");
            let taken = (protocol, port.host_ip.as_deref().unwrap_or_default(), host_port);
            if host_ports.contains(&taken) {
                report
                    .at(
                        Code::InvalidPort,
                        base.key("hostPort"),
                        format!("the host port {host_port}/{protocol} is taken twice in this pod"),
                    )
                    .with_help("give each container port its own `hostPort`, or a different `hostIP`");
            } else {
                host_ports.push(taken);
            }
        }
        if let Some(protocol) = port.protocol.as_deref()
            && !matches!(protocol, "TCP" | "UDP" | "SCTP" | "")
        {
            report
                .at(
                    Code::InvalidValue,
                    base.key("protocol"),
                    format!("`{protocol}` is not a port protocol"),
                )
                .with_help("use `TCP`, `UDP` or `SCTP`, in capitals");
        }
    }
}
