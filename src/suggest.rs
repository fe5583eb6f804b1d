//! "Did you mean …?" for misspelt keys and words.
//!
//! Spelling alone misleads: `dbPassword` is closer in letters to `dbPort`
//! than to `dbRootPassword`, which is what its writer meant. So candidates
//! are ranked by meaning first (how many of the word's parts, `db` and
//! `password`, they share, with common abbreviations read as the word) and
//! spelling second. Keys that other charts use, and that no spelling leads
//! from (`auth.rootPassword` in bitnami's mariadb), are in [`OTHER_CHARTS`].

/// A key another chart uses, and what says the same here.
struct OtherChartKey {
    /// Where the key is written: its parent's path, `*` for any map.
    parent: &'static str,
    key: &'static str,
    help: &'static str,
}

/// Keys of well-known charts that people carry over into these values. Each
/// is from the chart's own values.yaml; each has a test.
const OTHER_CHARTS: &[OtherChartKey] = &[
    // bitnami/mariadb, bitnami/mysql, bitnami/postgresql (`auth.rootPassword`, `auth.existingSecret`)
    OtherChartKey {
        parent: "",
        key: "auth",
        help: "`auth` is how bitnami's database charts take credentials; here the database root password is `dbRootPassword`, or `dbExistingSecret` names a Secret holding it",
    },
    // bitnami/wordpress and other bitnami apps (`externalDatabase.host`, `.port`, `.password`, `.existingSecret`)
    OtherChartKey {
        parent: "",
        key: "externalDatabase",
        help: "`externalDatabase` is bitnami's; here the database is given at the top level: `dbHost`, `dbPort`, `dbRootPassword` or `dbExistingSecret`",
    },
    // bitnami apps with the redis subchart (`redis.auth.password`, `redis.master`)
    OtherChartKey {
        parent: "",
        key: "redis",
        help: "Redis is an external service here: give its URLs, password included, as `externalRedis.cache` and `externalRedis.queue` (`redis://:password@host:6379`), or `externalRedis.existingSecret`",
    },
    // most single-Deployment charts (helm create's scaffold)
    OtherChartKey {
        parent: "",
        key: "replicaCount",
        help: "each component has its own: `worker.gunicorn.replicaCount`, `nginx.replicaCount`, `socketio.replicaCount`, `worker.default.replicaCount`…",
    },
    // most single-Deployment charts (helm create's scaffold)
    OtherChartKey {
        parent: "",
        key: "resources",
        help: "each component has its own: `worker.gunicorn.resources`, `nginx.resources`, `socketio.resources`, `worker.default.resources`…",
    },
    // bitnami charts (`image.pullSecrets`)
    OtherChartKey {
        parent: "image",
        key: "pullSecrets",
        help: "the pull secrets are a top-level list here: `imagePullSecrets: [{name: …}]`",
    },
    // charts that copy the container's field name (`envFrom`): the rendered
    // gunicorn command line reads `GUNICORN_*` only from `envVars`
    OtherChartKey {
        parent: "*",
        key: "envFrom",
        help: "`envFrom` is not taken here: list each variable in `envVars`, one that a ConfigMap or Secret holds with `valueFrom`",
    },
    // charts that copy the Deployment's field name (`replicas`)
    OtherChartKey {
        parent: "*",
        key: "replicas",
        help: "did you mean `replicaCount`?",
    },
];

/// The help for the key `key`, unknown in the map at `parent` (a values
/// path, empty at the top level), whose keys are `fields`.
pub(crate) fn unknown_key(parent: &str, key: &str, fields: &[&str]) -> Option<String> {
    let known = OTHER_CHARTS
        .iter()
        .find(|entry| entry.key == key && (entry.parent == parent || entry.parent == "*"));
    // A table entry for any map applies only where its answer is a key.
    match known {
        Some(entry) if entry.parent != "*" || fields.iter().any(|f| entry.help.contains(&format!("`{f}`"))) => Some(entry.help.to_owned()),
        _ => closest(key, fields.iter().copied()).map(|best| format!("did you mean `{best}`?")),
    }
}

/// The candidate closest to `word`, if one is close enough to be a likely
/// typo or a likely synonym.
///
/// Close enough: Jaro-Winkler of at least 0.8 (it favours a shared prefix,
/// which is how key typos usually look: `requets` for `requests`; the
/// case-blind comparison catches `dbhost` for `dbHost`), or every part of
/// `word` found in the candidate (`rootPassword` in `dbRootPassword`).
/// Among those, the one sharing most parts wins, then the closest spelling.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = word.to_ascii_lowercase();
    let parts = parts(word);
    candidates
        .into_iter()
        .map(|candidate| {
            let spelling = strsim::jaro_winkler(&lowered, &candidate.to_ascii_lowercase());
            let theirs = self::parts(candidate);
            let shared = parts.iter().filter(|p| theirs.contains(p)).count();
            (shared, spelling, candidate)
        })
        .filter(|&(shared, spelling, _)| spelling >= 0.8 || (shared > 0 && shared == parts.len()))
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
        .map(|(_, _, candidate)| candidate)
}

/// The parts of a key, lower-case, abbreviations read as their word:
/// `dbRootPassword` is `db`, `root`, `password`; `existing-secret` is
/// `existing`, `secret`.
fn parts(key: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        if c.is_ascii_alphanumeric() {
            current.push(c.to_ascii_lowercase());
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !current.is_empty() {
        parts.push(current);
    }
    parts.into_iter().map(|part| synonym(&part).to_owned()).collect()
}

/// The word an abbreviation in a key stands for.
fn synonym(part: &str) -> &str {
    match part {
        "pass" | "passwd" | "pwd" => "password",
        "database" => "db",
        "replicas" | "replica" => "replica",
        "hostname" => "host",
        "secrets" => "secret",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Top-level keys of the values, as `deny_unknown_fields` lists them.
    const TOP: &[&str] = &[
        "dbHost",
        "dbPort",
        "dbType",
        "dbRootUser",
        "dbRootPassword",
        "dbRds",
        "dbExistingSecret",
        "externalRedis",
        "image",
        "imagePullSecrets",
        "worker",
        "nginx",
        "socketio",
    ];

    #[test]
    fn meaning_ranks_before_spelling() {
        assert_eq!(closest("dbPassword", TOP.iter().copied()), Some("dbRootPassword"));
        assert_eq!(closest("dbPass", TOP.iter().copied()), Some("dbRootPassword"));
        assert_eq!(closest("rootPassword", TOP.iter().copied()), Some("dbRootPassword"));
        assert_eq!(closest("dbhost", TOP.iter().copied()), Some("dbHost"));
        assert_eq!(closest("dbPrt", TOP.iter().copied()), Some("dbPort"));
        assert_eq!(closest("requets", ["requests", "limits", "claims"]), Some("requests"));
        assert_eq!(closest("colour", TOP.iter().copied()), None);
    }

    #[test]
    fn every_other_chart_key_gets_its_help() {
        let component = &["replicaCount", "resources", "autoscaling", "envVars"];
        // The keys of an `envVars` item.
        let env_var = ["valueFrom"];
        for entry in OTHER_CHARTS {
            let (parent, fields): (&str, &[&str]) = match entry.parent {
                "*" => ("worker.gunicorn", component),
                parent => (parent, TOP),
            };
            assert_eq!(
                unknown_key(parent, entry.key, fields).as_deref(),
                Some(entry.help),
                "`{}` in `{parent}`",
                entry.key
            );
            // Every key the help names is one of the values'.
            for named in entry.help.split('`').skip(1).step_by(2).filter(|named| *named != entry.key) {
                let first = named.split(['.', ':', ' ']).next().unwrap();
                assert!(
                    TOP.contains(&first) || component.contains(&first) || env_var.contains(&first) || first == "redis",
                    "`{}`'s help names `{named}`",
                    entry.key
                );
            }
        }
        // Elsewhere, spelling and meaning decide.
        assert_eq!(
            unknown_key("", "dbPassword", TOP).as_deref(),
            Some("did you mean `dbRootPassword`?")
        );
        assert_eq!(unknown_key("nginx", "auth", &["replicaCount"]), None);
    }
}
