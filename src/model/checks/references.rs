//! The image every bench container runs, and the objects the pods refer to
//! by name: pull secrets, the ServiceAccount, and the Secrets (and keys in
//! them) that hold passwords.

use super::kubernetes::{check_object_name, check_secret_key};
use crate::diagnostic::Code;
use crate::model::k8s;
use crate::model::report::Reporter;
use crate::values::{Image, Values};

/// The image every bench container runs: `repository:tag`, or
/// `repository@digest` when a digest pins it. Both parts must be what the
/// container runtime parses (distribution/reference's grammar); a moving tag
/// is only a warning.
pub(super) fn check_image(image: &Image, report: &mut Reporter<'_>) {
    let repository = image.repository.as_str();
    if !k8s::is_image_repository(repository) {
        report
            .at(Code::InvalidValue, &image.repository, format!("`{repository}` is not an image repository"))
            .with_help("write `[registry[:port]/]path`, the path in lower case, e.g. `frappe/erpnext` or `registry.example.com/erp`; the tag goes in `image.tag`");
    }
    if let Some(digest) = image.digest.as_deref().filter(|d| !d.is_empty()) {
        if !k8s::is_image_digest(digest) {
            report
                .at(Code::InvalidValue, &image.digest, format!("`{digest}` is not an image digest"))
                .with_help("a digest is `sha256:` followed by 64 lower-case hex digits (or `sha512:` and 128), as `docker buildx imagetools inspect` prints it");
        }
        return;
    }
    let tag = image.tag.as_str();
    if !k8s::is_image_tag(tag) {
        let message = if tag.is_empty() {
            format!("the image has no tag: pods would run `{repository}:`, which no runtime can pull")
        } else {
            format!("`{tag}` is not an image tag")
        };
        report.at(Code::InvalidValue, &image.tag, message).with_help(
            "a tag is at most 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`, e.g. `v16.32.3`; or pin `image.digest`",
        );
    } else if tag == "latest" || tag.ends_with("-latest") || tag.starts_with("latest-") {
        report
            .at(
                Code::ImageTag,
                &image.tag,
                format!("the image has the moving tag `{tag}`: each pod restart may run a different build"),
            )
            .with_help("pin a version tag such as `v16.32.3`, and change it to upgrade");
    }
}

/// The objects the pods refer to by name.
pub(super) fn check_references(values: &Values, report: &mut Reporter<'_>) {
    for (i, secret) in values.image_pull_secrets.iter().enumerate() {
        let at = values.image_pull_secrets.anchor().index(i).key("name");
        check_object_name(&secret.name, "Secret", &at, report);
    }
    let account = &values.service_account.name;
    if let Some(name) = account.as_deref().filter(|n| !n.is_empty()) {
        check_object_name(name, "ServiceAccount", &account.anchor(), report);
    }
    if let Some(secret) = values.db_existing_secret.as_deref().filter(|s| !s.is_empty()) {
        check_object_name(secret, "Secret", &values.db_existing_secret.anchor(), report);
        let key = &values.db_existing_secret_password_key;
        if let Some(name) = key.as_deref().filter(|k| !k.is_empty()) {
            check_secret_key(name, &key.anchor(), report);
        }
    }
    let jobs = &values.jobs;
    for (enabled, secret, secret_key) in [
        (
            *jobs.create_site.enabled,
            &jobs.create_site.admin_existing_secret,
            &jobs.create_site.admin_existing_secret_key,
        ),
        (
            *jobs.create_multiple_sites.enabled,
            &jobs.create_multiple_sites.admin_existing_secret,
            &jobs.create_multiple_sites.admin_existing_secret_key,
        ),
    ] {
        if let Some(name) = secret.as_deref().filter(|s| enabled && !s.is_empty()) {
            check_object_name(name, "Secret", &secret.anchor(), report);
            check_secret_key(secret_key, &secret_key.anchor(), report);
        }
    }
}
