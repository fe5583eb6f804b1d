//! The command lines of the main containers that the values change:
//! gunicorn's, to which flag-style `worker.gunicorn.args` apply.
//!
//! The image's gunicorn command is `start.sh` (frappe_docker 2c44349a, in its
//! images since May 2026), which fills `--threads`, `--workers` and
//! `--timeout` from `GUNICORN_THREADS`, `GUNICORN_WORKERS` and
//! `GUNICORN_TIMEOUT`, as frappe_docker's `compose.yaml` and env-variables
//! docs set them. The Deployment names the whole command line instead (so
//! that it runs the same on older images, whose command was this line with
//! the defaults), and fills those three flags from the container's env
//! itself, before the values' flags apply.
//!
//! A var whose value is written in the values is put on the line here. One
//! from a Secret, a ConfigMap or the pod's fields (`valueFrom`) is only
//! known when the container starts, so the line then runs through `bash`,
//! which adds the flag as `start.sh` does: `--workers="${GUNICORN_WORKERS:-2}"`,
//! the image's value when the var is empty or missing (an `optional` key
//! the ConfigMap lacks). Kubernetes' own `$(GUNICORN_WORKERS)` in `args`
//! would not do: it stays as written when the var is missing and expands
//! to nothing when it is empty, and gunicorn refuses both (`invalid int
//! value`) where the image would have started. The script is a constant
//! but for the flags' names and the image's values; the line, the values'
//! flags among them, reaches it as its arguments, which no shell reads as
//! code; `exec` leaves gunicorn as the process that gets SIGTERM.
//!
//! gunicorn's `--timeout` is how long a request may run: Frappe's gunicorn
//! (frappe/gunicorn, which Frappe's `pyproject.toml` pins) makes its gthread
//! worker exit when a request takes longer. On SIGTERM the arbiter closes
//! its listening sockets and gives the workers `--graceful-timeout` (default
//! 30 s) to finish their requests before it kills them, so that flag follows
//! `--timeout`: a rollout then cuts no request the timeout allows.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;

use k8s_openapi::api::core::v1::EnvVar;

/// The gunicorn command line of the frappe/erpnext image: what its `start.sh`
/// runs without `GUNICORN_*` env (and what its `CMD` was before), which
/// flag-style `worker.gunicorn.args` are applied to.
pub const GUNICORN_COMMAND: &[&str] = &[
    "/home/frappe/frappe-bench/env/bin/gunicorn",
    "--chdir=/home/frappe/frappe-bench/sites",
    "--bind=0.0.0.0:8000",
    "--threads=4",
    "--workers=2",
    "--worker-class=gthread",
    "--worker-tmp-dir=/dev/shm",
    "--timeout=120",
    "--preload",
    "frappe.app:application",
];

/// A `worker.gunicorn.args` list that starts with flags and then has a word
/// that is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAFlag {
    /// Its position in the list.
    pub index: usize,
    pub word: String,
}

/// gunicorn's request timeout: `--timeout` or `-t`.
const TIMEOUT: Flag = Flag {
    long: "--timeout",
    short: Some("-t"),
};
/// gunicorn's worker processes: `--workers` or `-w`.
const WORKERS: Flag = Flag {
    long: "--workers",
    short: Some("-w"),
};
/// The threads of each gunicorn worker.
const THREADS: Flag = Flag {
    long: "--threads",
    short: None,
};
/// How long gunicorn's workers may finish their requests after SIGTERM.
const GRACEFUL_TIMEOUT: Flag = Flag {
    long: "--graceful-timeout",
    short: None,
};
/// gunicorn's `--graceful-timeout` when none is given (`gunicorn/config.py`).
pub const GUNICORN_DEFAULT_GRACEFUL_TIMEOUT: u64 = 30;

/// The env vars from which the image's `start.sh` takes these flags of
/// [`GUNICORN_COMMAND`], each keeping the value there when unset or empty
/// (`${GUNICORN_WORKERS:-2}`).
const GUNICORN_ENV_FLAGS: [(&str, Flag); 3] = [
    ("GUNICORN_THREADS", THREADS),
    ("GUNICORN_WORKERS", WORKERS),
    ("GUNICORN_TIMEOUT", TIMEOUT),
];

/// The flags the container's `GUNICORN_*` env gives the image's command
/// line, as `start.sh` takes them from the last entry of each name (the one
/// the container gets).
#[derive(Debug, Default, PartialEq, Eq)]
struct EnvFlags {
    /// From values written in the values and not empty: `--workers=5`.
    written: Vec<String>,
    /// From `valueFrom`, which the container learns when it starts: the
    /// var's name, its flag and its entry's index in `env`.
    at_start: Vec<(&'static str, Flag, usize)>,
}

/// The container's `GUNICORN_*` env as flags; a `valueFrom` one only when
/// `user`, the values' flags, do not set its flag: those win, and the flag
/// read at start comes after them on the line.
fn env_flags(env: &[EnvVar], user: &[String]) -> EnvFlags {
    let mut flags = EnvFlags::default();
    for (name, flag) in GUNICORN_ENV_FLAGS {
        let Some((index, var)) = env.iter().enumerate().rfind(|(_, var)| var.name == name) else {
            continue;
        };
        match (&var.value_from, var.value.as_deref()) {
            (Some(_), _) if last_setting(user, flag).is_none() => flags.at_start.push((name, flag, index)),
            (None, Some(value)) if !value.is_empty() => flags.written.push(format!("{}={value}", flag.long)),
            _ => {}
        }
    }
    flags
}

/// A gunicorn option with a value, as its command line spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flag {
    long: &'static str,
    short: Option<&'static str>,
}

/// gunicorn's command line for the Deployment's `args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GunicornLine {
    /// The gunicorn command line, or `bash -c` running it ([`read_at_start`]);
    /// [`request_timeout`] and [`graceful_timeout`] read either.
    pub args: Vec<String>,
    /// Where gunicorn's timeout comes from when it is known only when the
    /// container starts: the `--graceful-timeout` and the grace period that
    /// follow the timeout here cannot follow it.
    pub unknown_timeout: Option<UnknownTimeout>,
    /// The values' settings of flags gunicorn reads as numbers that no
    /// number is written in: gunicorn would refuse the line.
    pub not_numbers: Vec<NotANumber>,
}

/// A flag that gunicorn reads as a number (argparse with Python's `int`,
/// `gunicorn/config.py`'s `Setting.add_option`) set by the values to a text
/// that is none: gunicorn exits with `invalid int value` and the pod never
/// starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotANumber {
    /// The flag, `--workers`.
    pub flag: &'static str,
    /// What it is set to; `None` for a flag that ends the line bare.
    pub value: Option<String>,
    pub set_by: SetBy,
}

/// Where the values set a flag of the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetBy {
    /// The word of `worker.gunicorn.args` at this index.
    Arg(usize),
    /// The written value of the `GUNICORN_*` var at this index of the env.
    Env(usize),
}

/// The flags gunicorn reads as numbers that the line holds.
const NUMBER_FLAGS: [Flag; 4] = [WORKERS, THREADS, TIMEOUT, GRACEFUL_TIMEOUT];

/// A gunicorn timeout that only the container's start settles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownTimeout {
    /// A `GUNICORN_TIMEOUT` from `valueFrom`, read by the shell
    /// ([`read_at_start`]): its index in `env`.
    ValueFrom(usize),
    /// A `GUNICORN_TIMEOUT` whose written value names a var (`$(T)`), which
    /// the kubelet expands in `args`: its index in `env`.
    EnvReference(usize),
    /// A timeout flag of the values that names a var (`--timeout=$(T)`):
    /// its index in `worker.gunicorn.args`.
    ArgReference(usize),
}

/// Applies flag-style gunicorn arguments to the image's command line, after
/// the flags the container's `GUNICORN_*` env gives it ([`env_flags`]): a
/// flag already there (`--workers=2`) is replaced in place, a new one is
/// added before the application. Unless the flags set `--graceful-timeout`,
/// it is `--timeout`'s (see the module's docs). A var known only when the
/// container starts is added then, by [`read_at_start`]. Fails on the first
/// word that is not a flag when the list mixes flags and other words. A
/// whole command line is kept as it is, env or not: it replaces `start.sh`.
pub fn gunicorn_args(user: &[String], env: &[EnvVar]) -> Result<GunicornLine, NotAFlag> {
    if let Some(first) = user.first()
        && !first.starts_with('-')
    {
        // A whole command line, as the chart takes it.
        return Ok(GunicornLine {
            args: user.to_vec(),
            unknown_timeout: None,
            not_numbers: Vec::new(),
        });
    }
    if let Some(index) = user.iter().position(|w| !w.starts_with('-')) {
        return Err(NotAFlag {
            index,
            word: user[index].clone(),
        });
    }
    let (application, flags) = GUNICORN_COMMAND[1..].split_last().expect("gunicorn command has an application");
    let mut args: Vec<String> = flags.iter().map(|w| (*w).to_owned()).collect();
    let from_env = env_flags(env, user);
    replace_or_append(&mut args, from_env.written.into_iter().chain(user.iter().cloned()), |w| {
        w.split('=').next().unwrap_or(w).to_owned()
    });
    if flag_value(&args, GRACEFUL_TIMEOUT).is_none()
        && let Some(timeout) = flag_value(&args, TIMEOUT).filter(|&seconds| seconds > 0)
    {
        args.push(format!("{}={timeout}", GRACEFUL_TIMEOUT.long));
    }
    let unknown_timeout = match from_env.at_start.iter().find(|(_, flag, _)| *flag == TIMEOUT) {
        Some(&(.., index)) => Some(UnknownTimeout::ValueFrom(index)),
        None => timeout_reference(&args, user, env),
    };
    let not_numbers = NUMBER_FLAGS
        .into_iter()
        .filter_map(|flag| {
            let set_by = set_by(flag, user, env)?;
            // The values' word alone: a bare flag (`--workers`) has no
            // value, as every word of theirs is a flag.
            let value = match set_by {
                SetBy::Arg(index) => last_setting(&user[index..=index], flag)?,
                SetBy::Env(_) => last_setting(&args, flag)?,
            };
            // A var the kubelet expands (`$(T)`) is no number yet.
            if value.is_some_and(|text| text.contains("$(") || python_int(text).is_some()) {
                return None;
            }
            Some(NotANumber {
                flag: flag.long,
                value: value.map(str::to_owned),
                set_by,
            })
        })
        .collect();
    let mut command = vec![GUNICORN_COMMAND[0].to_owned()];
    command.extend(args);
    command.push((*application).to_owned());
    Ok(GunicornLine {
        unknown_timeout,
        not_numbers,
        args: read_at_start(command, &from_env.at_start),
    })
}

/// Where the timeout of `flags` (the line's, `user`'s applied over the
/// env's) comes from when it names a var (`$(T)`) that the kubelet expands
/// when the container starts: the values' flag when one sets it, else the
/// `GUNICORN_TIMEOUT` of `env`. A timeout so named reads as no number here,
/// which would leave the grace period at gunicorn's default unseen.
fn timeout_reference(flags: &[String], user: &[String], env: &[EnvVar]) -> Option<UnknownTimeout> {
    let value = last_setting(flags, TIMEOUT)??;
    if !value.contains("$(") {
        return None;
    }
    Some(match set_by(TIMEOUT, user, env)? {
        SetBy::Arg(index) => UnknownTimeout::ArgReference(index),
        SetBy::Env(index) => UnknownTimeout::EnvReference(index),
    })
}

/// Where the values set `flag` of the line: the last of their flags that
/// sets it, which wins, else the last `GUNICORN_*` var of it. `None` when
/// the image's line sets it.
fn set_by(flag: Flag, user: &[String], env: &[EnvVar]) -> Option<SetBy> {
    let sets = |word: &String| last_setting(std::slice::from_ref(word), flag).is_some();
    match user.iter().rposition(sets) {
        Some(index) => Some(SetBy::Arg(index)),
        None => {
            let (name, _) = GUNICORN_ENV_FLAGS.iter().find(|(_, of)| *of == flag)?;
            env.iter().rposition(|var| var.name == *name).map(SetBy::Env)
        }
    }
}

/// `text` as Python's `int` reads it: blanks around it, a sign, ASCII
/// digits with single `_` between them. (`int` reads other scripts' digits
/// too, which no values file writes.)
fn python_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || !digits
            .split('_')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    // Digits past i64's range read as its largest: still a number.
    let value: i64 = digits.replace('_', "").parse().unwrap_or(i64::MAX);
    Some(if negative { -value } else { value })
}

/// `command`, run by `bash` so that each var of `at_start` gives its flag
/// when the container starts, as `start.sh` does, after the line's own
/// words (gunicorn takes the last): `bash -c 'exec "$0" "$@"
/// --workers="${GUNICORN_WORKERS:-2}"' /…/gunicorn --chdir=… …`. The line
/// as it is without any.
fn read_at_start(command: Vec<String>, at_start: &[(&str, Flag, usize)]) -> Vec<String> {
    if at_start.is_empty() {
        return command;
    }
    let mut script = r#"exec "$0" "$@""#.to_owned();
    for (name, flag, _) in at_start {
        let image = GUNICORN_COMMAND
            .iter()
            .find_map(|word| word.strip_prefix(flag.long)?.strip_prefix('='))
            .expect("the image's command line sets each flag of its env");
        script.push_str(&format!(r#" {}="${{{name}:-{image}}}""#, flag.long));
    }
    let mut args = vec!["bash".to_owned(), "-c".to_owned(), script];
    args.extend(command);
    args
}

/// gunicorn's `--timeout` when none is given (`gunicorn/config.py`).
const GUNICORN_DEFAULT_TIMEOUT: u64 = 30;

/// Whether flag-style `worker.gunicorn.args` set `--graceful-timeout`, so
/// that it follows no timeout.
pub fn sets_graceful_timeout(user: &[String]) -> bool {
    last_setting(user, GRACEFUL_TIMEOUT).is_some()
}

/// The seconds a request may take before gunicorn ends it, by its command
/// line `args`; 0 for none (`--timeout=0`).
pub fn request_timeout(args: &[String]) -> u64 {
    flag_value(args, TIMEOUT).unwrap_or(GUNICORN_DEFAULT_TIMEOUT)
}

/// The seconds gunicorn gives its workers to finish their requests after
/// SIGTERM, by its command line `args`.
pub fn graceful_timeout(args: &[String]) -> u64 {
    flag_value(args, GRACEFUL_TIMEOUT).unwrap_or(GUNICORN_DEFAULT_GRACEFUL_TIMEOUT)
}

/// The seconds the last of `args` that sets `flag` gives it, as gunicorn's
/// parser reads them: the number read by Python's `int`, blanks around it
/// aside (`GUNICORN_TIMEOUT: " 300"` gives `--timeout= 300`;
/// `gunicorn/config.py`'s `Setting.add_option` gives argparse the
/// setting's `type`, `int`). `None` when no word sets it, or the last one's
/// value is not a number.
fn flag_value(args: &[String], flag: Flag) -> Option<u64> {
    last_setting(args, flag)?
        .and_then(python_int)
        .and_then(|value| u64::try_from(value).ok())
}

/// The value the last of `args` that sets `flag` gives it, as gunicorn's
/// parser reads the words: `--flag=N`, `--flag N`, `-xN` or `-x N`.
/// `None` when no word sets it, `Some(None)` when the last one is the
/// line's last word and has no value.
fn last_setting(args: &[String], flag: Flag) -> Option<Option<&str>> {
    let mut value = None;
    let mut words = args.iter().map(String::as_str);
    while let Some(word) = words.next() {
        let attached = word.strip_prefix(flag.long).and_then(|rest| rest.strip_prefix('=')).or_else(|| {
            flag.short
                .and_then(|short| word.strip_prefix(short))
                .filter(|rest| !rest.is_empty())
        });
        value = match attached {
            Some(text) => Some(Some(text)),
            None if word == flag.long || Some(word) == flag.short => Some(words.next()),
            None => continue,
        };
    }
    value
}

/// Each of `items` in place of the item of `list` with the same key, or
/// appended to it; one look at each key, so a list of a hundred thousand
/// flags takes as long to apply as to read.
fn replace_or_append<T, K: Hash + Eq>(list: &mut Vec<T>, items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> K) {
    let mut positions: HashMap<K, usize> = HashMap::with_capacity(list.len());
    for (position, item) in list.iter().enumerate() {
        positions.entry(key(item)).or_insert(position);
    }
    for item in items {
        match positions.entry(key(&item)) {
            Entry::Occupied(position) => list[*position.get()] = item,
            Entry::Vacant(vacant) => {
                vacant.insert(list.len());
                list.push(item);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn gunicorn_flags_are_applied_to_the_command_line() {
        let args = gunicorn_args(&words(&["--workers=4", "--timeout=120", "--preload", "--max-requests=1000"]), &[])
            .unwrap()
            .args;
        assert_eq!(args.first().map(String::as_str), Some(GUNICORN_COMMAND[0]));
        assert_eq!(args.last().map(String::as_str), Some("frappe.app:application"));
        assert!(args.contains(&"--workers=4".to_owned()));
        assert!(!args.contains(&"--workers=2".to_owned()));
        assert_eq!(args.iter().filter(|a| *a == "--preload").count(), 1);
        assert!(args.contains(&"--max-requests=1000".to_owned()));
    }

    #[test]
    fn the_graceful_timeout_follows_the_request_timeout_unless_given() {
        let graceful = |user: &[&str]| graceful_timeout(&gunicorn_args(&words(user), &[]).unwrap().args);
        assert_eq!(graceful(&[]), 120, "the image's --timeout=120");
        assert_eq!(graceful(&["--timeout=300"]), 300);
        assert_eq!(graceful(&["-t300"]), 300);
        assert_eq!(graceful(&["--timeout=300", "--graceful-timeout=60"]), 60);
        assert_eq!(
            graceful(&["--timeout=0"]),
            GUNICORN_DEFAULT_GRACEFUL_TIMEOUT,
            "0: no limit to follow"
        );
        let whole = ["gunicorn", "--timeout", "300", "frappe.app:application"];
        assert_eq!(
            gunicorn_args(&words(&whole), &[]).unwrap().args,
            words(&whole),
            "a whole command is left alone"
        );
        assert_eq!(graceful(&whole), GUNICORN_DEFAULT_GRACEFUL_TIMEOUT);
        assert_eq!(graceful(&["gunicorn", "--graceful-timeout", "90", "app"]), 90);
    }

    fn var(name: &str, value: Option<&str>) -> EnvVar {
        EnvVar {
            name: name.to_owned(),
            value: value.map(str::to_owned),
            value_from: value.is_none().then(Default::default),
        }
    }

    /// The container gets the last entry of a name; a value from `valueFrom`
    /// is read when the container starts, unless the values' flags set its
    /// flag, in any of gunicorn's spellings.
    #[test]
    fn gunicorn_env_is_read_as_the_container_gets_it() {
        let env = [
            var("GUNICORN_WORKERS", Some("3")),
            var("GUNICORN_WORKERS", Some("5")),
            var("GUNICORN_TIMEOUT", Some("90")),
            var("GUNICORN_TIMEOUT", None),
            var("GUNICORN_THREADS", None),
            var("GUNICORN_THREADS", Some("")),
        ];
        assert_eq!(
            env_flags(&env, &[]),
            EnvFlags {
                written: words(&["--workers=5"]),
                at_start: vec![("GUNICORN_TIMEOUT", TIMEOUT, 3)],
            }
        );
        for user in [&["--timeout=60"][..], &["-t60"], &["-t", "60"], &["--timeout", "60"]] {
            assert_eq!(env_flags(&env, &words(user)).at_start, [], "{user:?}");
        }
        let line = gunicorn_args(&[], &env).unwrap();
        assert_eq!(line.unknown_timeout, Some(UnknownTimeout::ValueFrom(3)));
        assert!(line.args.contains(&"--timeout=120".to_owned()), "{line:?}");
    }

    /// A var read at start gives its flag after the line's words, the
    /// image's value when it is empty or missing, as `start.sh` does.
    #[test]
    fn a_var_from_value_from_is_added_by_the_shell_when_the_container_starts() {
        let env = [var("GUNICORN_WORKERS", None), var("GUNICORN_THREADS", None)];
        let line = gunicorn_args(&words(&["--max-requests=500"]), &env).unwrap();
        let (shell, command) = line.args.split_at(3);
        assert_eq!(
            shell,
            [
                "bash",
                "-c",
                r#"exec "$0" "$@" --threads="${GUNICORN_THREADS:-4}" --workers="${GUNICORN_WORKERS:-2}""#
            ]
        );
        assert_eq!(command, gunicorn_args(&words(&["--max-requests=500"]), &[]).unwrap().args);
        assert_eq!(line.unknown_timeout, None);
        let whole = words(&["gunicorn", "app:x"]);
        assert_eq!(
            gunicorn_args(&whole, &env).unwrap().args,
            whole,
            "a whole command replaces start.sh"
        );
    }

    /// A timeout that names a var the kubelet expands is unknown here, and
    /// is found where it is written: the values' flag when one sets the
    /// timeout, else `GUNICORN_TIMEOUT`'s value.
    #[test]
    fn a_timeout_that_names_a_var_is_found_where_it_is_written() {
        let env = [var("GUNICORN_TIMEOUT", Some("$(T)"))];
        let unknown = |user: &[&str], env: &[EnvVar]| gunicorn_args(&words(user), env).unwrap().unknown_timeout;
        assert_eq!(unknown(&[], &env), Some(UnknownTimeout::EnvReference(0)));
        assert_eq!(unknown(&["--preload", "-t$(T)"], &[]), Some(UnknownTimeout::ArgReference(1)));
        assert_eq!(unknown(&["--timeout=$(T)"], &env), Some(UnknownTimeout::ArgReference(0)));
        assert_eq!(unknown(&["--timeout=60"], &env), None);
        assert_eq!(unknown(&[], &[var("GUNICORN_TIMEOUT", Some("90"))]), None);
    }

    /// gunicorn reads `--timeout= 300` (a `GUNICORN_TIMEOUT` of `" 300"`,
    /// as `start.sh` passes it) as 300 seconds: so do the graceful timeout
    /// and the request timeout that follow it.
    /// Python's `int`: blanks, one sign, digits with single `_` between.
    #[test]
    fn numbers_are_read_as_pythons_int_reads_them() {
        for (text, read) in [(" 300 ", Some(300)), ("+4", Some(4)), ("-1", Some(-1)), ("1_000", Some(1000))] {
            assert_eq!(python_int(text), read, "{text:?}");
        }
        for text in ["", " ", "four", "4x", "1__0", "_1", "1_", "+-4", "4.0", "0x10"] {
            assert_eq!(python_int(text), None, "{text:?}");
        }
    }

    /// A number flag the values set to what is no number is found where it
    /// is written: the values' flag that wins, else the `GUNICORN_*` var. A
    /// var the kubelet expands (`$(T)`) and the image's own are not.
    #[test]
    fn a_number_flag_set_to_no_number_is_found_where_it_is_written() {
        let not_numbers = |user: &[&str], env: &[EnvVar]| gunicorn_args(&words(user), env).unwrap().not_numbers;
        let env = [var("GUNICORN_WORKERS", Some("four")), var("GUNICORN_TIMEOUT", Some("$(T)"))];
        assert_eq!(
            not_numbers(&[], &env),
            [NotANumber {
                flag: "--workers",
                value: Some("four".to_owned()),
                set_by: SetBy::Env(0),
            }]
        );
        assert_eq!(not_numbers(&["--workers=3"], &env), []);
        assert_eq!(
            not_numbers(&["--preload", "--threads=x", "--graceful-timeout"], &[]),
            [
                NotANumber {
                    flag: "--threads",
                    value: Some("x".to_owned()),
                    set_by: SetBy::Arg(1),
                },
                NotANumber {
                    flag: "--graceful-timeout",
                    value: None,
                    set_by: SetBy::Arg(2),
                },
            ]
        );
        assert_eq!(not_numbers(&["-t 1_000", "-w+2"], &[]), []);
    }

    #[test]
    fn a_timeout_with_blanks_around_it_is_read_as_gunicorn_reads_it() {
        let env = [EnvVar {
            name: "GUNICORN_TIMEOUT".to_owned(),
            value: Some(" 300".to_owned()),
            value_from: None,
        }];
        let line = gunicorn_args(&[], &env).unwrap().args;
        assert_eq!(graceful_timeout(&line), 300, "{line:?}");
        assert_eq!(request_timeout(&line), 300, "{line:?}");
    }

    #[test]
    fn flags_are_applied_with_one_look_at_each() {
        let looks = std::cell::Cell::new(0_usize);
        let mut list: Vec<usize> = (0..10).collect();
        let items = (5..100_005).chain(0..3);
        replace_or_append(&mut list, items, |n| {
            looks.set(looks.get() + 1);
            *n
        });
        assert_eq!(list.len(), 100_005);
        assert!(looks.get() <= 10 + 100_003, "{} looks at keys", looks.get());
    }

    #[test]
    fn a_full_command_is_kept_and_mixed_args_are_refused() {
        let full = words(&["gunicorn", "app:x"]);
        assert_eq!(gunicorn_args(&full, &[]).unwrap().args, full);
        assert_eq!(
            gunicorn_args(&words(&["--workers", "4"]), &[]),
            Err(NotAFlag {
                index: 1,
                word: "4".to_owned()
            })
        );
    }
}
