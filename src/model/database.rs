//! The external database: its engine, host and port.

use super::endpoint;
use super::report::Reporter;
use crate::diagnostic::Code;
use crate::values::{Anchor, DbType, Values};

pub(super) struct Database {
    pub(super) host: String,
    pub(super) port: i32,
}

/// The database engine: the top-level `dbType`, or the one the site-creation
/// Job gives (where the chart keeps it), which must then agree.
pub(super) fn resolve_db_type(values: &Values, report: &mut Reporter<'_>) -> DbType {
    let jobs = &values.jobs;
    let from_jobs = [
        ("jobs.createSite.dbType", &jobs.create_site.enabled, &jobs.create_site.db_type),
        (
            "jobs.createMultipleSites.dbType",
            &jobs.create_multiple_sites.enabled,
            &jobs.create_multiple_sites.db_type,
        ),
    ];
    let mut chosen = values.db_type.map(|t| ("dbType", t));
    for (key, enabled, written) in from_jobs {
        let Some(db_type) = written.filter(|_| **enabled) else { continue };
        match chosen {
            None => chosen = Some((key, db_type)),
            Some((other, chosen_type)) if chosen_type != db_type => {
                report
                    .at(
                        Code::ConflictingKeys,
                        written,
                        format!("`{key}` and `{other}` name different database engines"),
                    )
                    .with_help("a bench has one database engine; set `dbType` once");
            }
            Some(_) => {}
        }
    }
    chosen.map_or(DbType::Mariadb, |(_, t)| t)
}

pub(super) fn resolve_database(values: &Values, db_type: DbType, report: &mut Reporter<'_>) -> Option<Database> {
    let Some(host) = values.db_host.as_deref().filter(|h| !h.trim().is_empty()) else {
        report
            .at_key(
                Code::MissingDatabase,
                values.db_host.or_in(Anchor::root(), "dbHost"),
                "no database host: `dbHost` is required",
            )
            .with_help("the database is an external service; set `dbHost` (and `dbPort` if it is not the engine's default port)");
        return None;
    };
    if !endpoint::is_host(host) {
        report
            .at(
                Code::InvalidHost,
                &values.db_host,
                format!("`{host}` is not a host name or an IP address"),
            )
            .with_help("write the database's DNS name (letters, digits, `-` and `.`) or its IP address, without a port or a scheme");
        return None;
    }
    let port = values.db_port.unwrap_or_else(|| db_type.default_port());
    Some(Database {
        host: host.to_owned(),
        port,
    })
}
