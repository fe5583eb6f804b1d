//! Names of the release and of everything derived from it: object names,
//! the namespace, and the chart's selector labels.

use std::collections::BTreeMap;

use super::component::ComponentKind;
use super::report::Reporter;
use super::{Settings, jobs, k8s};
use crate::diagnostic::{Code, Diagnostic};
use crate::values::Values;

/// The keys of the labels objects are built with, Kubernetes' recommended
/// `app.kubernetes.io/*` labels, written once: a misspelt key is then a
/// compile error rather than a label no selector matches.
pub mod label {
    pub const NAME: &str = "app.kubernetes.io/name";
    pub const INSTANCE: &str = "app.kubernetes.io/instance";
    pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
    pub const COMPONENT: &str = "app.kubernetes.io/component";
    pub const VERSION: &str = "app.kubernetes.io/version";
    pub const PART_OF: &str = "app.kubernetes.io/part-of";
    /// The chart's extra pod label.
    pub const APP: &str = "app.kubernetes.io/app";
    /// Every key above. Each is valid as written (a test holds each to
    /// `k8s::is_qualified_name`), so `objects::verify` checks only the keys
    /// the user gave.
    pub const ALL: [&str; 7] = [NAME, INSTANCE, MANAGED_BY, COMPONENT, VERSION, PART_OF, APP];
}

/// Names of the release and everything derived from it.
#[derive(Debug, Clone)]
pub struct Names {
    pub release: String,
    /// The chart name, `erpnext` unless `nameOverride`.
    pub chart: String,
    /// The prefix of every object name.
    pub fullname: String,
    pub namespace: Option<String>,
    /// The image tag, carried as `app.kubernetes.io/version`.
    pub version: String,
    /// The labels every object carries, built once: each object takes a copy.
    pub labels: BTreeMap<String, String>,
}

impl Names {
    /// `<fullname>-<suffix>`.
    pub fn object(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.fullname)
    }

    /// A component's Deployment name.
    pub fn deployment(&self, kind: ComponentKind) -> String {
        self.object(kind.suffix())
    }

    /// A component's Service name; nginx's Service carries the bare full name,
    /// as the chart's does, so that existing Ingresses keep pointing at it.
    pub fn service(&self, kind: ComponentKind) -> String {
        if kind.is_proxy() {
            self.fullname.clone()
        } else {
            self.object(kind.suffix())
        }
    }
}

pub(super) fn resolve_names(values: &Values, settings: &Settings, report: &mut Reporter<'_>) -> Names {
    let chart = values
        .name_override
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or("erpnext")
        .to_owned();
    let fullname = match values.fullname_override.as_deref().filter(|n| !n.is_empty()) {
        Some(fullname) => fullname.to_owned(),
        None if settings.release.contains(&chart) => settings.release.clone(),
        None => format!("{}-{chart}", settings.release),
    };
    let namespace = settings
        .namespace
        .clone()
        .or_else(|| (*values.namespace).clone())
        .filter(|n| !n.is_empty());
    // The longest names derived from the full name must still be valid.
    let origin = [
        ("fullnameOverride", &values.fullname_override),
        ("nameOverride", &values.name_override),
    ]
    .into_iter()
    .find(|(_, name)| name.as_deref().is_some_and(|n| !n.is_empty()));
    // A Job's name (`<fullname>-<task>-<hash>`) is the longest derived name.
    let longest = fullname.len() + jobs::NAME_SUFFIX_LEN;
    let longest_suffix = ComponentKind::ALL
        .iter()
        .map(|kind| kind.suffix())
        .max_by_key(|suffix| suffix.len());
    let instance_label = format!("{}-{}", settings.release, longest_suffix.unwrap_or_default());
    let problem = if !k8s::is_dns1123_label(&fullname) {
        Some(format!(
            "`{fullname}` is not a valid object name: lower-case letters, digits and `-`, starting and ending with a letter or digit, at most 63 characters"
        ))
    } else if longest > 63 {
        Some(format!(
            "object names derived from `{fullname}` are too long: the longest Job name would have {longest} characters, Kubernetes allows 63"
        ))
    } else if !k8s::is_label_value(&instance_label) {
        Some(format!(
            "the selector label `{instance_label}` derived from the release name is not a valid label value (at most 63 characters)"
        ))
    } else {
        None
    };
    if let Some(problem) = problem {
        match origin {
            Some((key, name)) => {
                report
                    .at(Code::InvalidName, name, problem)
                    .with_help(format!("make `{key}` shorter, with lower-case letters, digits and `-` only"));
            }
            None => {
                report
                    .push(Diagnostic::new(
                        Code::InvalidName,
                        format!(
                            "{problem} (from the release name `{}`, given by {})",
                            settings.release, settings.release_source
                        ),
                    ))
                    .with_help("choose a shorter lower-case release name, or set `fullnameOverride`");
            }
        }
    }
    if let Some(namespace) = &namespace
        && !k8s::is_dns1123_label(namespace)
    {
        let message = format!("`{namespace}` is not a valid namespace name");
        if settings.namespace.is_some() {
            report.push(Diagnostic::new(
                Code::InvalidName,
                format!("{message} (from {})", settings.namespace_source),
            ));
        } else {
            report.at(Code::InvalidName, &values.namespace, message);
        }
    }
    let version = (*values.image.tag).clone();
    Names {
        labels: common_labels(&chart, &settings.release, &version),
        release: settings.release.clone(),
        chart,
        fullname,
        namespace,
        version,
    }
}

/// Labels every object carries.
fn common_labels(chart: &str, release: &str, version: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (label::NAME.to_owned(), chart.to_owned()),
        (label::INSTANCE.to_owned(), release.to_owned()),
        (label::MANAGED_BY.to_owned(), "frappe-manifests".to_owned()),
    ]);
    // An image tag may be longer than a label value allows; then it is left out.
    if k8s::is_label_value(version) && !version.is_empty() {
        labels.insert(label::VERSION.to_owned(), version.to_owned());
    }
    labels
}

/// The label every pod of the bench carries, Deployments' and Jobs' alike,
/// so that NetworkPolicies can select the whole bench.
pub fn part_of_label(names: &Names) -> (String, String) {
    (label::PART_OF.to_owned(), names.fullname.clone())
}

/// The chart's selector labels of a component. They are immutable on a live
/// Deployment, so they must match the chart's exactly for an existing helm
/// release to be updated in place.
pub fn selector_labels(names: &Names, kind: ComponentKind) -> BTreeMap<String, String> {
    BTreeMap::from([
        (label::NAME.to_owned(), component_name_label(names, kind)),
        (label::INSTANCE.to_owned(), [&names.release, "-", kind.suffix()].concat()),
    ])
}

/// The `app.kubernetes.io/name` selector label of a component's pods.
pub fn component_name_label(names: &Names, kind: ComponentKind) -> String {
    [&names.chart, "-", kind.suffix()].concat()
}
