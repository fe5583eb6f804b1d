//! The logins the site Jobs need: the database root user and its password,
//! and the Administrator password of new sites. Each is a reference to a
//! Secret key: an existing Secret's, or the bench's own for a password the
//! values write.

use super::{ADMIN_PASSWORD_KEY, DB_ROOT_PASSWORD_KEY, InlineSecrets, SecretRef};
use crate::diagnostic::Code;
use crate::model::report::Reporter;
use crate::values::{DbType, Spanned, Values};

pub(super) struct Credentials<'a> {
    values: &'a Values,
    /// The bench's own Secret.
    fullname: &'a str,
    /// `dbRootUser`, else the engine's superuser.
    pub(super) db_root_user: String,
    inline: InlineSecrets,
    /// Whether the values' root password was checked, by the first Job that
    /// reads it.
    root_password_checked: bool,
}

impl<'a> Credentials<'a> {
    pub(super) fn new(values: &'a Values, fullname: &'a str, db_type: DbType) -> Credentials<'a> {
        let db_root_user = values
            .db_root_user
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| match db_type {
                DbType::Mariadb => "root".to_owned(),
                DbType::Postgres => "postgres".to_owned(),
            });
        Credentials {
            values,
            fullname,
            db_root_user,
            inline: InlineSecrets::default(),
            root_password_checked: false,
        }
    }

    /// The database root password for the Job `needed_by`, which `enabled`
    /// turns on: `dbExistingSecret`, else the bench's Secret when the values
    /// write it.
    pub(super) fn db_root_password(&mut self, needed_by: &str, enabled: &Spanned<bool>, report: &mut Reporter<'_>) -> Option<SecretRef> {
        let values = self.values;
        if let Some(secret) = values.db_existing_secret.as_deref().filter(|s| !s.is_empty()) {
            let key = values
                .db_existing_secret_password_key
                .as_deref()
                .filter(|k| !k.is_empty())
                .unwrap_or("password");
            return Some(SecretRef {
                name: secret.to_owned(),
                key: key.to_owned(),
            });
        }
        if values.db_root_password.as_ref().is_some_and(|p| !p.is_empty()) {
            if !self.root_password_checked {
                self.root_password_checked = true;
                check_prompt_answer(&values.db_root_password, report);
            }
            return Some(SecretRef {
                name: self.fullname.to_owned(),
                key: DB_ROOT_PASSWORD_KEY.to_owned(),
            });
        }
        report
            .at_key(
                Code::MissingSecret,
                enabled,
                format!("`{needed_by}` needs the database root password, and none is given"),
            )
            .with_help("set `dbExistingSecret` (and `dbExistingSecretPasswordKey`) to a Secret holding it");
        None
    }

    /// The Administrator password of the sites the Job `key` creates, which
    /// `enabled` turns on: its existing Secret, else the bench's Secret when
    /// the values write it (with a warning).
    pub(super) fn admin_password(
        &mut self,
        key: &str,
        enabled: &Spanned<bool>,
        existing_secret: &Spanned<Option<String>>,
        existing_secret_key: &Spanned<String>,
        password: &Spanned<Option<String>>,
        report: &mut Reporter<'_>,
    ) -> Option<SecretRef> {
        let existing_secret = existing_secret.as_deref().filter(|s| !s.is_empty());
        match (existing_secret, password.as_deref().filter(|p| !p.is_empty())) {
            (Some(secret), _) => Some(SecretRef {
                name: secret.to_owned(),
                key: (**existing_secret_key).clone(),
            }),
            (None, Some(text)) => {
                check_prompt_answer(password, report);
                report
                    .at(
                        Code::PlaintextPassword,
                        password,
                        "the Administrator password is written in the values",
                    )
                    .with_help(format!(
                        "create a Secret with the password and set `{key}.adminExistingSecret` instead"
                    ));
                self.inline.admin_password = Some(text.to_owned());
                Some(SecretRef {
                    name: self.fullname.to_owned(),
                    key: ADMIN_PASSWORD_KEY.to_owned(),
                })
            }
            (None, None) => {
                report
                    .at_key(
                        Code::MissingSecret,
                        enabled,
                        format!("`{key}` needs the Administrator password of the new sites, and none is given"),
                    )
                    .with_help(format!(
                        "set `{key}.adminExistingSecret` to a Secret holding it (the chart's default `changeit` is not used)"
                    ));
                None
            }
        }
    }

    /// The passwords the Jobs put into the bench's Secret.
    pub(super) fn into_inline(self) -> InlineSecrets {
        self.inline
    }
}

/// The Jobs answer bench's password prompts (getpass) with the passwords, a
/// line each: a line break would cut a password there, and its rest would
/// answer the next prompt (a root password of `pw\n` created sites with an
/// empty Administrator password).
fn check_prompt_answer(password: &Spanned<Option<String>>, report: &mut Reporter<'_>) {
    if password.as_deref().is_some_and(|p| p.contains('\n')) {
        report
            .at(
                Code::InvalidValue,
                password,
                "this password holds a line break: bench reads it from its prompt a line at a time, so it would be cut there, and its rest taken as the answer to the next prompt",
            )
            .with_help("write the password without line breaks: a block scalar `|` ends with one (`|-` does not), and so does a file given to `--set-file` that ends its last line");
    }
}
