//! `frappe-manifests argocd`: the `generate` command of an Argo CD
//! config-management plugin (CMP v2, repo-server sidecar).
//!
//! Argo CD runs it with no shell, in the application's source directory, and
//! describes the application in environment variables: `ARGOCD_APP_NAME`,
//! `ARGOCD_APP_NAMESPACE`, `ARGOCD_APP_SOURCE_PATH`, `KUBE_VERSION`,
//! `ARGOCD_ENV_*` for user variables, and the plugin's parameters as the
//! JSON array `ARGOCD_APP_PARAMETERS`.
//!
//! The repo-server sends the CMP server the whole repository (or, with
//! `reposerver.plugin.use.manifest.generate.paths`, the common root of the
//! application's paths), which unpacks it into a fresh directory under
//! `_cmp_server` and runs the command in the application's directory within
//! it. Values files may come from anywhere in that repository, as Helm
//! sources' value files may; a path (or a symbolic link) that leads outside
//! it, into the sidecar's file system or another application's checkout, is
//! refused before anything is read.
//! Output that is empty, or an exit code of 0 after an error, would let
//! auto-prune delete the application, so neither ever happens: every failure
//! exits non-zero with diagnostics on stderr, which Argo CD shows in its UI.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;
use crate::model::Settings;
use crate::objects::Manifest;
use crate::pipeline::{Input, Request};
use crate::source::resolve_path;

/// One entry of `ARGOCD_APP_PARAMETERS`.
#[derive(Debug, Deserialize)]
struct Parameter {
    name: String,
    #[serde(default)]
    string: Option<String>,
    #[serde(default)]
    array: Option<Vec<String>>,
    #[serde(default)]
    map: Option<BTreeMap<String, String>>,
}

impl Parameter {
    /// The kinds of value it holds (`string`, `array`, `map`), leaving out
    /// the empty ones.
    fn kinds(&self) -> Vec<&'static str> {
        let mut kinds = Vec::new();
        if self.string.as_ref().is_some_and(|s| !s.is_empty()) {
            kinds.push("string");
        }
        if self.array.as_ref().is_some_and(|a| !a.is_empty()) {
            kinds.push("array");
        }
        if self.map.as_ref().is_some_and(|m| !m.is_empty()) {
            kinds.push("map");
        }
        kinds
    }
}

/// The parameters `plugin.yaml` announces, and the kinds of value each is
/// read from (`values-files` also takes one file as a `string`).
const PARAMETERS: [(&str, &[&str]); 3] = [("values-files", &["array", "string"]), ("release", &["string"]), ("set", &["map"])];

/// Refuses a parameter that would not be read: a name not in
/// [`PARAMETERS`] (a typo), a value of another kind than the parameter's
/// own, or a name given twice. Ignored, it would render another bench than
/// the one asked for, and exit 0. Values are never quoted, and names are
/// masked as a `--set` path is: any may carry a password.
fn check(parameters: &[Parameter]) -> Result<(), Error> {
    for (n, parameter) in parameters.iter().enumerate() {
        let problem = match PARAMETERS.iter().find(|(name, _)| *name == parameter.name) {
            None => "is not one this plugin takes: it takes `values-files` (an array), `release` (a string) and `set` (a map)".to_owned(),
            Some(_) if parameters[..n].iter().any(|earlier| earlier.name == parameter.name) => "is given twice".to_owned(),
            Some((_, takes)) => {
                let kinds = parameter.kinds();
                if kinds.len() <= 1 && kinds.iter().all(|kind| takes.contains(kind)) {
                    continue;
                }
                format!("holds {}, and is read from {}", words(&kinds, "and"), words(takes, "or"))
            }
        };
        // A name may be what was meant for `set` (`dbRootPassword=…`) or a URL.
        let name = crate::source::secrets::masked_key_path(&parameter.name);
        return Err(Error::ArgocdParameter {
            name: crate::source::escape_controls(&name).into_owned(),
            problem,
        });
    }
    Ok(())
}

/// `kinds` as a phrase joined by `conjunction`: "a `string` and an `array`".
fn words(kinds: &[&str], conjunction: &str) -> String {
    let article = |kind: &str| if kind.starts_with('a') { "an" } else { "a" };
    let words: Vec<String> = kinds.iter().map(|kind| format!("{} `{kind}`", article(kind))).collect();
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} {conjunction} {last}", rest.join(", ")),
        None => "nothing".to_owned(),
    }
}

/// Builds the render request from Argo CD's environment (`env` looks a
/// variable up) for the application in `app_dir`, the working directory.
pub fn request(env: impl Fn(&str) -> Option<String>, app_dir: &Path) -> Result<Request, Error> {
    let parameters: Vec<Parameter> = match env("ARGOCD_APP_PARAMETERS").filter(|p| !p.trim().is_empty()) {
        // `null` when the Application names the plugin and gives no
        // parameters: Argo CD JSON-encodes its nil list of them.
        Some(json) => serde_json::from_str::<Option<_>>(&json)
            .map_err(|source| Error::ArgocdParameters { source })?
            .unwrap_or_default(),
        None => Vec::new(),
    };
    check(&parameters)?;
    let parameter = |name: &str| parameters.iter().find(|p| p.name == name);

    let files: Vec<String> = match parameter("values-files").and_then(|p| {
        p.array
            .clone()
            .filter(|a| !a.is_empty())
            .or_else(|| p.string.clone().filter(|s| !s.is_empty()).map(|s| vec![s]))
    }) {
        Some(files) => files,
        None => {
            let listed: Vec<String> = env("ARGOCD_ENV_VALUES_FILES")
                .unwrap_or_default()
                .split(',')
                .map(|f| f.trim().to_owned())
                .filter(|f| !f.is_empty())
                .collect();
            if listed.is_empty() {
                vec!["values.yaml".to_owned()]
            } else {
                listed
            }
        }
    };
    let root = repository_root(app_dir, env("ARGOCD_APP_SOURCE_PATH").as_deref());
    let files = files
        .iter()
        .map(|file| values_file(file, app_dir, &root))
        .collect::<Result<Vec<_>, _>>()?;
    let (release, release_source) = parameter("release")
        .and_then(|p| p.string.clone())
        .filter(|r| !r.is_empty())
        .map(|r| (r, "the `release` parameter"))
        .or_else(|| {
            // An Application outside Argo CD's namespace is `<namespace>_<name>`
            // here; Argo CD's Helm sources take the name alone as the release.
            let name = env("ARGOCD_APP_NAME")?;
            let name = name.split_once('_').map_or(name.as_str(), |(_, name)| name);
            (!name.is_empty()).then(|| (name.to_owned(), "`ARGOCD_APP_NAME`"))
        })
        .ok_or(Error::NoRelease)?;
    // Keys are `--set` paths; values as Argo CD gives Helm parameters.
    let sets = parameter("set")
        .and_then(|p| p.map.clone())
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| crate::set::map_entry(&key, &value))
        .collect();
    Ok(Request {
        files: files.into_iter().map(Input::Path).collect(),
        sets,
        settings: Settings {
            release,
            release_source,
            namespace: env("ARGOCD_APP_NAMESPACE").filter(|n| !n.is_empty()),
            namespace_source: "`ARGOCD_APP_NAMESPACE`, the Application's destination",
        },
        ..Default::default()
    })
}

/// The root of the repository checkout that holds `app_dir`: `app_dir` less
/// the trailing directories that `source_path` (the application's path in
/// the repository) names. Only directories that match are left, so a source
/// path that does not describe `app_dir` leaves the boundary narrower, never
/// wider; without one, the boundary is the application's directory.
pub fn repository_root(app_dir: &Path, source_path: Option<&str>) -> PathBuf {
    let app_dir = std::fs::canonicalize(app_dir).unwrap_or_else(|_| app_dir.to_owned());
    let mut root = app_dir.as_path();
    let steps = source_path.unwrap_or("").split('/').filter(|step| !step.is_empty() && *step != ".");
    for step in steps.collect::<Vec<_>>().into_iter().rev() {
        match (root.file_name(), root.parent()) {
            (Some(name), Some(parent)) if name == step && parent.parent().is_some() => root = parent,
            _ => break,
        }
    }
    root.to_owned()
}

/// Where the values file `file` is read from, as Argo CD resolves Helm value
/// files: relative to the application's directory, or to the repository root
/// when it starts with `/`. With every symbolic link resolved, it must lie
/// inside `root`, whether it exists or not ([`resolve_path`]); a file inside
/// that does not exist is left for the reader to report.
fn values_file(file: &str, app_dir: &Path, root: &Path) -> Result<PathBuf, Error> {
    let path = match file.strip_prefix('/') {
        // Relative to the working directory (the application's), for
        // messages that name it as the user would.
        Some(in_repository) => {
            let app_dir = std::fs::canonicalize(app_dir).unwrap_or_else(|_| app_dir.to_owned());
            let depth = app_dir.strip_prefix(root).map_or(0, |below| below.components().count());
            let mut path: PathBuf = std::iter::repeat_n(Component::ParentDir, depth).collect();
            path.push(in_repository);
            path
        }
        None => PathBuf::from(file),
    };
    if resolve_path(&app_dir.join(&path)).starts_with(root) {
        Ok(path)
    } else {
        Err(Error::OutsideRepository {
            // Shown as a values file's name is: a path may carry a password.
            file: crate::source::secrets::masked_name(file).into_owned(),
            root: root.to_owned(),
        })
    }
}

/// A warning when the destination cluster is older than the objects need.
pub fn kube_version_warning(kube_version: Option<String>) -> Option<String> {
    let version = kube_version?;
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.trim_end_matches('+').parse().ok()?;
    ((major, minor) < (1, crate::targets::KUBERNETES_MINOR)).then(|| {
        format!(
            "warning: the objects target Kubernetes {} or newer, and the destination cluster runs {version}",
            crate::targets::KUBERNETES
        )
    })
}

/// Argo CD ordering: every object in the sync wave of its place in the
/// upgrade order ([`crate::order`]).
///
/// The Jobs that delete themselves after they finished (site creation and
/// drop, restore: [`crate::objects::job::FINISHED_JOB_TTL`]) are Sync hooks
/// in their wave, created anew on each sync: as plain resources they would
/// go missing ten minutes after each sync, leaving the application OutOfSync
/// (or, with self-heal, recreated every ten minutes). Each finds its work
/// done when it runs again. No other Job is a hook: hooks run on every
/// sync, and a sync that changes no image must not migrate.
pub fn annotate(manifests: &mut [Manifest]) {
    let waves = crate::order::waves(manifests);
    for (manifest, wave) in manifests.iter_mut().zip(waves) {
        let hook = matches!(manifest, Manifest::Job(job) if job.spec.as_ref().is_some_and(|s| s.ttl_seconds_after_finished.is_some()));
        let annotations = manifest.metadata_mut().annotations.get_or_insert_with(BTreeMap::new);
        annotations.insert("argocd.argoproj.io/sync-wave".to_owned(), wave.to_string());
        if hook {
            annotations.insert("argocd.argoproj.io/hook".to_owned(), "Sync".to_owned());
            annotations.insert("argocd.argoproj.io/hook-delete-policy".to_owned(), "BeforeHookCreation".to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: BTreeMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn parameters_and_environment_become_a_request() {
        let app = tempfile::tempdir().unwrap();
        let request = request(
            env(&[
                ("ARGOCD_APP_NAME", "shop"),
                ("ARGOCD_APP_NAMESPACE", "erp"),
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"values-files","array":["base.yaml","prod.yaml"]},{"name":"set","map":{"image.tag":"v16.1","nginx.environment.upstreamRealIPAddress":"10.0.0.0/8,172.16.0.0/12"}}]"#,
                ),
            ]),
            app.path(),
        )
        .unwrap();
        assert_eq!(request.settings.release, "shop");
        // A release name that makes invalid names is reported as coming from here.
        assert_eq!(request.settings.release_source, "`ARGOCD_APP_NAME`");
        assert_eq!(request.settings.namespace.as_deref(), Some("erp"));
        assert_eq!(request.files.len(), 2);
        assert_eq!(
            request.sets,
            [
                "image.tag=v16.1",
                r"nginx.environment.upstreamRealIPAddress=10.0.0.0/8\,172.16.0.0/12"
            ]
        );

        let defaults = super::request(
            env(&[("ARGOCD_APP_NAME", "shop"), ("ARGOCD_ENV_VALUES_FILES", "a.yaml, b.yaml")]),
            app.path(),
        )
        .unwrap();
        assert_eq!(defaults.files.len(), 2);
        let named = super::request(
            env(&[
                ("ARGOCD_APP_NAME", "shop"),
                ("ARGOCD_APP_PARAMETERS", r#"[{"name":"release","string":"erp"}]"#),
            ]),
            app.path(),
        )
        .unwrap();
        assert_eq!(named.settings.release, "erp");
        assert_eq!(named.settings.release_source, "the `release` parameter");
        assert!(super::request(env(&[]), app.path()).is_err(), "no release name");
        assert!(super::request(env(&[("ARGOCD_APP_NAME", "x"), ("ARGOCD_APP_PARAMETERS", "not json")]), app.path()).is_err());
        assert!(matches!(super::request(env(&[]), app.path()), Err(Error::NoRelease)));
        assert!(matches!(
            super::request(env(&[("ARGOCD_APP_NAME", "x"), ("ARGOCD_APP_PARAMETERS", "not json")]), app.path()),
            Err(Error::ArgocdParameters { .. })
        ));
        let outside = super::request(
            env(&[
                ("ARGOCD_APP_NAME", "x"),
                ("ARGOCD_APP_PARAMETERS", r#"[{"name":"values-files","array":["../.."]}]"#),
            ]),
            app.path(),
        );
        assert!(
            matches!(&outside, Err(Error::OutsideRepository { file, .. }) if file == "../.."),
            "{outside:?}"
        );
        // Named as a values file is, a path that carries a password is masked.
        for file in ["../https://u:Leak-P2@host/x.yaml", "../dbRootPassword=Leak-P7"] {
            let parameters = format!(r#"[{{"name":"values-files","array":["{file}"]}}]"#);
            let outside = super::request(env(&[("ARGOCD_APP_NAME", "x"), ("ARGOCD_APP_PARAMETERS", &parameters)]), app.path()).unwrap_err();
            let message = outside.to_string();
            assert!(
                matches!(outside, Error::OutsideRepository { .. }) && !message.contains("Leak"),
                "{message}"
            );
        }
    }

    /// The parameters read are the ones `plugin.yaml` announces, each of the
    /// kind announced: Argo CD's UI offers those, and any other is refused,
    /// with a message that lists them.
    #[test]
    fn the_parameters_read_are_the_ones_the_plugin_announces() {
        let plugin: serde_json::Value = serde_saphyr::from_str(include_str!("../integrations/argocd/plugin.yaml")).unwrap();
        let announced: Vec<(&str, &str)> = plugin["spec"]["parameters"]["static"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap(), p["collectionType"].as_str().unwrap()))
            .collect();
        let read: Vec<(&str, &str)> = PARAMETERS.iter().map(|(name, takes)| (*name, takes[0])).collect();
        assert_eq!(announced, read);
        let refused = check(&[Parameter {
            name: "other".to_owned(),
            string: None,
            array: None,
            map: None,
        }])
        .unwrap_err()
        .to_string();
        for (name, kind) in announced {
            let listed = [format!("`{name}` (a {kind})"), format!("`{name}` (an {kind})")];
            assert!(listed.iter().any(|l| refused.contains(l.as_str())), "{refused}");
        }
    }

    /// An empty value is one not given, whatever its kind: `values-files`
    /// with an empty `array` beside its `string` (Argo CD's UI keeps the
    /// `string` a manifest wrote when it edits the `array`) is the `string`.
    #[test]
    fn an_empty_array_leaves_the_values_files_string() {
        let app = tempfile::tempdir().unwrap();
        let request = super::request(
            env(&[
                ("ARGOCD_APP_NAME", "x"),
                (
                    "ARGOCD_APP_PARAMETERS",
                    r#"[{"name":"values-files","array":[],"string":"prod.yaml"}]"#,
                ),
            ]),
            app.path(),
        )
        .unwrap();
        assert!(
            matches!(&request.files[..], [Input::Path(path)] if path == Path::new("prod.yaml")),
            "{:?}",
            request.files
        );
    }

    /// serde_json's messages quote the value they did not expect; a
    /// parameter's value may be a password.
    #[test]
    fn parameters_that_do_not_parse_are_not_quoted() {
        let app = tempfile::tempdir().unwrap();
        for parameters in [
            r#"[{"name":"set","array":"Leak-Param-1"}]"#,
            r#"[{"name":"set","map":"Leak-Param-2"}]"#,
            r#"[{"name":"set","map":{"dbRootPassword":["Leak-Param-3"]}}]"#,
            r#"[{"name":"set","map":{"dbRootPassword":12345678901}}]"#,
            r#""Leak-Param-4""#,
            r#"[{"name":"set","map":{"dbRootPassword":"Leak-Param-5"}}] x"#,
        ] {
            let error = super::request(env(&[("ARGOCD_APP_NAME", "x"), ("ARGOCD_APP_PARAMETERS", parameters)]), app.path()).unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, Error::ArgocdParameters { .. }), "{message}");
            assert!(message.contains("line 1 column"), "{message}");
            assert!(!message.contains("Leak") && !message.contains("12345678901"), "{message}");
        }
    }

    #[test]
    fn the_repository_root_is_the_working_directory_less_the_source_path() {
        let checkout = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(checkout.path()).unwrap();
        let app = root.join("apps/shop");
        std::fs::create_dir_all(&app).unwrap();
        assert_eq!(repository_root(&app, Some("apps/shop")), root);
        assert_eq!(repository_root(&app, Some("./apps/shop/")), root);
        // Only the common root was sent (manifest-generate-paths): the
        // directories that match are left.
        assert_eq!(repository_root(&app, Some("teams/apps/shop")), root);
        assert_eq!(repository_root(&app, Some("other/path")), app, "a path that does not match");
        assert_eq!(repository_root(&app, None), app);
        assert_eq!(repository_root(&app, Some(".")), app);
        assert_ne!(repository_root(&root, Some(&root.display().to_string())), PathBuf::from("/"));
    }
    #[test]
    fn old_clusters_are_warned_about() {
        assert!(kube_version_warning(Some("v1.30.4".to_owned())).is_some());
        assert!(kube_version_warning(Some("1.33".to_owned())).is_none());
        assert!(kube_version_warning(Some("v1.34.1+k3s1".to_owned())).is_none());
        assert!(kube_version_warning(None).is_none());
    }
}
