//! The passwords a command line gives its programs: flags whose names name
//! a secret, assignments in its words, and the password flags and commands of
//! the clients a bench runs (MySQL and MariaDB, redis-cli, curl, sshpass,
//! bench), each read as the client itself parses it.

use std::ops::Range;

use super::keys::{KeyMeaning, key_meaning, names_a_secret};
use super::lines::{is_variable_reference, secret_assignment_lines};
use super::shell;

/// The words of a command line that are secrets nothing assigns: the word
/// after a `--set`, `--set-string`, `--set-file`, `--set-json` or
/// `--set-literal` argument that names a
/// secret key (or an env var's `value`) and has no `=` (`--set dbRootPassword hunter2`, written as
/// helm's `--set` is not), which clap takes for an input file or an
/// unexpected argument.
pub fn words_meant_as_secrets(args: &[String]) -> Vec<String> {
    let args: Vec<&str> = args.iter().map(String::as_str).take_while(|arg| *arg != "--").collect();
    let mut hidden = Vec::new();
    let mut at = 0;
    while at < args.len() {
        let (flag, attached) = args[at].split_once('=').map_or((args[at], None), |(flag, rest)| (flag, Some(rest)));
        at += 1;
        if !matches!(flag, "--set" | "--set-string" | "--set-file" | "--set-json" | "--set-literal") {
            continue;
        }
        let assignment = match attached {
            Some(assignment) => assignment,
            None => {
                at += 1;
                match args.get(at - 1) {
                    Some(assignment) => assignment,
                    None => break,
                }
            }
        };
        // An env var's `value` is secret when its `name` is, which another
        // argument or file may give.
        let names_env_var_value = assignment.rsplit('.').next() == Some("value");
        if !assignment.contains('=')
            && (names_a_secret(assignment) || names_env_var_value)
            && let Some(next) = args.get(at).filter(|next| !next.starts_with('-'))
        {
            hidden.push((*next).to_owned());
        }
    }
    hidden
}

/// The secret values among the words of a command line (a container's
/// `args` or `command`, or the words of a shell line in one), as the index
/// of each word that holds one and where in the word the value is:
/// - the word after a flag whose name names a secret ([`key_meaning`]) and
///   that carries no value (`--db-root-password pw`);
/// - the value of a word that assigns one (`--admin-password=pw`,
///   `PGPASSWORD=pw`), also where the assignment is nested in another's
///   value, as helm's `--set=adminPassword=pw` and `--set
///   image.tag=1,adminPassword=pw` write it;
/// - the value of a client's own password flag ([`PASSWORD_FLAGS`]:
///   `mysql -ppw`, `redis-cli -a pw`, `curl -u user:pw`), in the words
///   from the client's name to the end of its command (`;`, `|`, `&`);
/// - the argument of a client's command that is a password
///   ([`PASSWORD_COMMANDS`]: `redis-cli AUTH user pw`, `bench
///   set-password user pw`).
///
/// A value that only refers to a variable (`$(DB_ROOT_PASSWORD)`, which the
/// kubelet expands from a Secret, `${X}`, `$X`) holds none.
pub fn secret_arguments(words: &[&str]) -> Vec<(usize, Range<usize>)> {
    let mut found = password_arguments(words);
    found.retain(|(index, value)| !is_variable_reference(&words[*index][value.clone()]));
    found
}

/// [`secret_arguments`], the values that only refer to a variable
/// included: a shell line tells them by how they are written (`-p"$X"pw`
/// reads `-p$Xpw`, a reference and a password).
fn password_arguments(words: &[&str]) -> Vec<(usize, Range<usize>)> {
    // A flag or key is one word: a list's item with blanks is a shell line.
    let names_secret = |flag: &str| !flag.contains(char::is_whitespace) && key_meaning(flag.trim_start_matches('-')) == KeyMeaning::Secret;
    let mut found = Vec::new();
    // The client whose flags these are and what its words so far tell, how
    // the next word holds the value of the flag before it, the passwords of
    // a client's command ahead (the last first), and where the arguments
    // that command read end: no command is looked for among them, so that
    // each word is read by one command at most.
    let mut client: Option<ClientWords> = None;
    let mut value_after_flag: Option<FlagValue> = None;
    let mut command_passwords: Vec<(usize, Range<usize>)> = Vec::new();
    let mut arguments_end = 0;
    for (index, word) in words.iter().enumerate() {
        let flag = client.as_ref().and_then(|client| password_flag(client, word));
        let value = if command_passwords.last().is_some_and(|(at, _)| *at == index) {
            command_passwords.pop().map(|(_, value)| value)
        } else if let Some(value) = value_after_flag.take().filter(|_| !word.starts_with("--")) {
            value.secret_in(word)
        } else if let Some((flag, glued)) = flag
            && (glued.is_empty() || flag.value.secret_in(glued).is_some())
        {
            if glued.is_empty() {
                value_after_flag = Some(flag.value);
            }
            let start = word.len() - glued.len();
            flag.value.secret_in(glued).map(|value| start + value.start..start + value.end)
        } else if let Some(client) = &client
            && index >= arguments_end
            && let Some(command) = PASSWORD_COMMANDS.iter().find(|command| client.runs(command, word))
        {
            let (passwords, read) = command.passwords(&words[index + 1..]);
            command_passwords = passwords.into_iter().rev().map(|(at, value)| (index + 1 + at, value)).collect();
            arguments_end = index + 1 + read;
            None
        } else if word.contains('=') {
            assigned_secret(word, names_secret).map(|at| at..word.len())
        } else {
            value_after_flag = (word.starts_with('-') && names_secret(word)).then_some(FlagValue::Password);
            None
        };
        found.extend(value.filter(|value| !value.is_empty()).map(|value| (index, value)));
        let name = word.rsplit('/').next().unwrap_or(word);
        if is_client(name) {
            client = Some(ClientWords::new(name));
        } else if word.ends_with([';', '|', '&']) {
            client = None;
        } else if let Some(client) = &mut client {
            client.read(word);
        }
    }
    found
}

/// A client in a command line, and what its words after its name tell its
/// flags ([`PasswordFlag::subcommand`],
/// [`PasswordFlag::options_end_at_operand`]), read one word at a time: a
/// client's words are read once, however many there are.
struct ClientWords<'w> {
    name: &'w str,
    /// The subcommands of its flags, and the commands its commands are
    /// within ([`PasswordCommand::within`]), among its words.
    subcommands: Vec<&'static str>,
    /// Whether `getopt` reads an operand among them: a word that is no
    /// option (`-x`, `-xvalue`) and no value of the option before it.
    operand: bool,
    /// Whether the next word is the value of an option that takes one,
    /// alone in its word.
    value_next: bool,
}

impl<'w> ClientWords<'w> {
    fn new(name: &'w str) -> Self {
        ClientWords {
            name,
            subcommands: Vec::new(),
            operand: false,
            value_next: false,
        }
    }

    /// Whether `word` is `command` of this client, within the command it
    /// must be within.
    fn runs(&self, command: &PasswordCommand, word: &str) -> bool {
        command.clients.contains(&self.name)
            && word.eq_ignore_ascii_case(command.command)
            && command.within.is_none_or(|within| self.subcommands.contains(&within))
    }

    /// The password flags of this client.
    fn flags(&self) -> impl Iterator<Item = &'static PasswordFlag> + use<'w> {
        let name = self.name;
        PASSWORD_FLAGS.iter().filter(move |flag| flag.clients.contains(&name))
    }

    /// Takes the client's next word into account.
    fn read(&mut self, word: &str) {
        let name = self.name;
        let subcommand = self
            .flags()
            .find_map(|flag| flag.subcommand.filter(|subcommand| *subcommand == word))
            .or_else(|| {
                PASSWORD_COMMANDS
                    .iter()
                    .filter(|command| command.clients.contains(&name))
                    .find_map(|command| command.within.filter(|within| word.eq_ignore_ascii_case(within)))
            });
        if let Some(subcommand) = subcommand
            && !self.subcommands.contains(&subcommand)
        {
            self.subcommands.push(subcommand);
        }
        let Some(takes_value) = self.flags().find_map(|flag| flag.options_end_at_operand) else {
            return;
        };
        let is_value = std::mem::take(&mut self.value_next);
        match word.strip_prefix('-') {
            Some(letters) if !is_value && !letters.is_empty() => {
                self.value_next = letters.len() == 1 && takes_value.contains(letters);
            }
            _ => self.operand |= !is_value,
        }
    }
}

/// Whether `name` is a program of [`PASSWORD_FLAGS`] or
/// [`PASSWORD_COMMANDS`].
fn is_client(name: &str) -> bool {
    PASSWORD_FLAGS.iter().any(|flag| flag.clients.contains(&name))
        || PASSWORD_COMMANDS.iter().any(|command| command.clients.contains(&name))
}

/// Where the secrets a text assigns are: in its words, read as a shell
/// line ([`secret_arguments`]), and in its lines, read as a configuration
/// file ([`secret_assignment_lines`]). A word that holds blanks or quotes
/// once its own quotes and escapes are gone (`sh -c 'mysql -ppw'`, `-H
/// "Authorization: Basic x"`, `LOG="{\"password\":\"pw\"}"`) is read
/// again as such a text. A value that only refers to a variable is
/// told by how it is written: `-p"$X"` refers to one, `-p"$X"pw` holds a
/// password too, and `-p$(cat /run/secret)` runs a command.
pub fn secrets_in_text(text: &str) -> Vec<Range<usize>> {
    let mut found = secret_assignment_lines(text);
    shell::for_each_command(text, |words| {
        let texts: Vec<&str> = words.iter().map(|word| word.text.as_str()).collect();
        for (index, value) in password_arguments(&texts) {
            let Some(written) = words[index].written(value.clone()) else {
                continue;
            };
            let substituted = &texts[index][value] == "$" && text[written.end..].starts_with('(');
            if !substituted && !is_variable_reference(&text[written.clone()]) {
                found.push(written);
            }
        }
        // Its quotes gone, such a word is shorter than the text: this ends.
        // A quote left in a word's text was escaped or inside other quotes
        // (`LOG="{\"password\":\"pw\"}"`): JSON the shell unescapes.
        let quoted_text = |word: &&shell::ShellWord| {
            word.text.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\'')) && word.text.len() < text.len()
        };
        for word in words.iter().filter(quoted_text) {
            found.extend(secrets_in_text(&word.text).into_iter().filter_map(|range| word.written(range)));
        }
    });
    found
}

/// Where the value of the first assignment in `word` to a key that
/// `names_secret` starts. A key runs back to the word's start or to the
/// `=` or `,` before it: `--set=adminPassword=pw` assigns `adminPassword`.
fn assigned_secret(word: &str, names_secret: impl Fn(&str) -> bool) -> Option<usize> {
    let mut key_start = 0;
    for (at, c) in word.char_indices() {
        match c {
            '=' if names_secret(&word[key_start..at]) => return Some(at + 1),
            '=' | ',' => key_start = at + 1,
            _ => {}
        }
    }
    None
}

/// A client's own flag whose value is a password, which [`key_meaning`]
/// cannot tell from its name.
struct PasswordFlag {
    /// The programs (the basename of the command word) that read it.
    clients: &'static [&'static str],
    /// The flag; empty for the client's operands (`mysqlsh user:pw@host`).
    flag: &'static str,
    /// Whether the value may follow in the flag's word (`-ppw`).
    glued: bool,
    /// Whether the value may be the next word (`-a pw`).
    separate: bool,
    /// The client's short flags that take no value, which may come before
    /// a short `flag` in its word (curl's `-fsSu user:pw`, mysql's `-vppw`).
    clustered_after: &'static str,
    /// The subcommand the flag is one of, which must come before it
    /// (`bench worker -p pw`; `bench start -p` names a Procfile).
    subcommand: Option<&'static str>,
    /// For a client whose options end at its first operand (sshpass, whose
    /// operand is the program it runs: `sshpass -p pw ssh -p 22 host`), its
    /// short flags that take a value, which tell an option's value from an
    /// operand.
    options_end_at_operand: Option<&'static str>,
    value: FlagValue,
}

/// What most flags are: a password glued to the flag or not, in any
/// command of its client.
const PASSWORD: PasswordFlag = PasswordFlag {
    clients: &[],
    flag: "",
    glued: true,
    separate: true,
    clustered_after: "",
    subcommand: None,
    options_end_at_operand: None,
    value: FlagValue::Password,
};

/// What a flag's value is.
#[derive(Debug, Clone, Copy)]
enum FlagValue {
    /// A password.
    Password,
    /// `user:password`: secret after the first `:`; a user name alone
    /// holds none (the client then asks for the password).
    UserAndPassword,
    /// `[scheme://][user[:password]@]host`: secret between the first `:`
    /// and the last `@`.
    UserInfo,
}

impl FlagValue {
    /// Where in `value` the secret is, if it holds one.
    fn secret_in(self, value: &str) -> Option<Range<usize>> {
        match self {
            FlagValue::Password => Some(0..value.len()),
            FlagValue::UserAndPassword => value.find(':').map(|colon| colon + 1..value.len()),
            FlagValue::UserInfo => {
                let at = value.rfind('@')?;
                let user_start = value.find("://").map_or(0, |scheme| scheme + 3);
                let colon = user_start + value.get(user_start..at)?.find(':')?;
                Some(colon + 1..at)
            }
        }
    }
}

/// A MySQL or MariaDB client (under each name) and its short flags that
/// take no value. `my_getopt` reads a word of short flags letter by letter
/// until one takes a value, which is the rest of the word (`-vppw`: `-v`,
/// then `-p` with `pw`). The letters are those `--help` lists without a
/// value in MariaDB 10.11 (Debian's `mariadb-client`), each tool its own.
const fn mysql_client(clients: &'static [&'static str], clustered_after: &'static str) -> PasswordFlag {
    PasswordFlag {
        clients,
        flag: "-p",
        separate: false,
        clustered_after,
        ..PASSWORD
    }
}

/// Client flags that take a password, as each client parses them.
/// - MySQL's and MariaDB's `-p[password]` (`my_getopt`, `OPT_ARG`): the
///   password only in the same word; `-p` alone asks for one, and the
///   next word is the database (`mysql -p 3306` names one). Their
///   `--password=pw` is found by its name.
/// - MySQL Shell's `-p[password]` (in its word only; `--password pw` asks
///   for one and `pw` is read as the URI), the URI it connects to
///   (`[scheme://]user:pw@host`, an operand or `--uri`) and `--ssh`'s
///   (`mysqlsh`'s `shell_options.cc`). Its `--password=pw`,
///   `--dbpassword=pw` and `--password1=pw` to `--password3=pw` are found
///   by their names.
/// - `redis-cli -a <password>`: the next word only (`-a` must be the whole
///   word). Its `--pass` is found by its name.
/// - curl's `-u, --user <user:password>` and `-U, --proxy-user`, split at
///   the first `:`; a short flag's value may follow in its word
///   (`-uuser:pw`), and short flags that take no value may come before it
///   there (`-fsSu user:pw`; curl's `tool_getparam.c`). A long flag's value
///   is the next word only: curl has no `--user=…`.
/// - sshpass's `-p <password>` (`getopt`, `"+f:d:p:P:heVv"`: in its word or
///   the next, after `-h`, `-e`, `-V`, `-v` in its word, and never after
///   the program it runs).
/// - Frappe's `bench worker -p <password>` (`--rq-password`, found by its
///   name too; `frappe/commands/scheduler.py`).
const PASSWORD_FLAGS: &[PasswordFlag] = &[
    mysql_client(&["mysql", "mariadb"], "ABCEGHILNTUVXbcfinoqrstvw"),
    mysql_client(&["mysqldump", "mariadb-dump"], "ABCEFHKNQRVXYacdefilnqtvxy"),
    mysql_client(&["mysqladmin", "mariadb-admin"], "CEVbflrsv"),
    mysql_client(&["mysqlcheck", "mariadb-check"], "1ABCFVZacefgmoqrsv"),
    mysql_client(&["mysqlimport", "mariadb-import"], "CLVdfiklrsv"),
    mysql_client(&["mysqlshow", "mariadb-show"], "CViktv"),
    mysql_client(&["mysqlslap", "mariadb-slap"], "CTVasv"),
    mysql_client(&["mysqlbinlog", "mariadb-binlog"], "BDFHRVcfstv"),
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "-p",
        separate: false,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "",
        separate: false,
        value: FlagValue::UserInfo,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "--uri",
        value: FlagValue::UserInfo,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["mysqlsh"],
        flag: "--ssh",
        value: FlagValue::UserInfo,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["redis-cli"],
        flag: "-a",
        glued: false,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "-u",
        clustered_after: CURL_FLAGS_WITHOUT_VALUE,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "--user",
        glued: false,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "-U",
        clustered_after: CURL_FLAGS_WITHOUT_VALUE,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["curl"],
        flag: "--proxy-user",
        glued: false,
        value: FlagValue::UserAndPassword,
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["sshpass"],
        flag: "-p",
        clustered_after: "heVv",
        options_end_at_operand: Some("fdpP"),
        ..PASSWORD
    },
    PasswordFlag {
        clients: &["bench"],
        flag: "-p",
        subcommand: Some("worker"),
        ..PASSWORD
    },
];

/// curl's short flags that take no value (`ARG_NONE` and `ARG_BOOL` in
/// `aliases[]` of curl's `src/tool_getparam.c`: `-f`, `-s`, `-S`, `-L`,
/// `-k`, `-v`, `-:` for `--next`, ...).
const CURL_FLAGS_WITHOUT_VALUE: &str = "#012346:BGIJLMNORSVZafgijklnpqsv";

/// The password flag of `client` that `word` is or starts, and what
/// follows the flag in the word.
fn password_flag<'w>(client: &ClientWords, word: &'w str) -> Option<(&'static PasswordFlag, &'w str)> {
    client
        .flags()
        .filter(|flag| flag.subcommand.is_none_or(|subcommand| client.subcommands.contains(&subcommand)))
        .filter(|flag| flag.options_end_at_operand.is_none() || !client.operand)
        .find_map(|flag| {
            if flag.flag.is_empty() {
                // An operand.
                return (!word.starts_with('-')).then_some((flag, word));
            }
            let glued = word.strip_prefix(flag.flag).or_else(|| {
                // `-fsSu`: the flag's letter after others that take no value.
                let letter = flag.flag.strip_prefix('-').filter(|letter| letter.len() == 1)?;
                let cluster = word.strip_prefix('-')?;
                let at = cluster.find(letter)?;
                (at > 0 && cluster[..at].chars().all(|c| flag.clustered_after.contains(c))).then(|| &cluster[at + 1..])
            })?;
            let takes = if glued.is_empty() { flag.separate } else { flag.glued };
            takes.then_some((flag, glued))
        })
}

/// A client's command whose argument is a password.
struct PasswordCommand {
    /// The programs (the basename of the command word) that run it.
    clients: &'static [&'static str],
    /// Its name, in any case.
    command: &'static str,
    /// The command it is an option or a subcommand of, which must come
    /// before it among the client's words, in any case (`MIGRATE … AUTH
    /// pw`, `CONFIG SET`).
    within: Option<&'static str>,
    /// Whether the words that start with `-` between its arguments are
    /// options of the command, not arguments.
    skips_options: bool,
    /// Which of its arguments hold passwords.
    password: CommandPassword,
}

/// Which arguments of a [`PasswordCommand`] hold passwords.
enum CommandPassword {
    /// The last one given of those up to `end()` (counted from 0), given
    /// that it is at least `start()` (`AUTH [username] password`).
    Last(std::ops::RangeInclusive<usize>),
    /// Pairs of a key and its value, from its first argument: each value
    /// whose key names a secret ([`key_meaning`]) or is one of `keys`;
    /// with `repeated`, as many pairs as are given (`CONFIG SET parameter
    /// value [parameter value …]`), else one (`set-config KEY VALUE`).
    Keyed { keys: &'static [&'static str], repeated: bool },
    /// Rules after its first argument (a user's name): what follows a
    /// rule's first character when it is one of these; a rule that is
    /// that character alone (a shell line's `>pw` is a redirection, split
    /// from its word) gives the whole next argument.
    Rules(&'static str),
}

impl PasswordCommand {
    /// The passwords among `after`, the words after the command's name in
    /// its command line: each word's index and where in it the password
    /// is; and how many of the words were read.
    fn passwords(&self, after: &[&str]) -> (Vec<(usize, Range<usize>)>, usize) {
        let mut arguments = after
            .iter()
            .enumerate()
            .filter(|(_, word)| !(self.skips_options && word.starts_with('-')))
            .map(|(index, _)| index);
        let whole = |index: usize| (index, 0..after[index].len());
        let mut found = Vec::new();
        let mut read = 0;
        match &self.password {
            CommandPassword::Last(range) => {
                let given: Vec<usize> = arguments.take(range.end() + 1).collect();
                read = given.last().map_or(0, |last| last + 1);
                if given.len() > *range.start() {
                    found.extend(given.last().map(|last| whole(*last)));
                }
            }
            CommandPassword::Keyed { keys, repeated } => {
                while let (Some(key), Some(value)) = (arguments.next(), arguments.next()) {
                    read = value + 1;
                    let key = after[key];
                    if key_meaning(key) == KeyMeaning::Secret || keys.iter().any(|secret| key.eq_ignore_ascii_case(secret)) {
                        found.push(whole(value));
                    }
                    if !repeated {
                        break;
                    }
                }
            }
            CommandPassword::Rules(prefixes) => {
                let mut next_is_password = false;
                for index in arguments.skip(1) {
                    read = index + 1;
                    let rule = after[index];
                    if std::mem::take(&mut next_is_password) {
                        found.push(whole(index));
                    } else if let Some(first) = rule.chars().next().filter(|c| prefixes.contains(*c)) {
                        next_is_password = rule.len() == first.len_utf8();
                        found.push((index, first.len_utf8()..rule.len()));
                    }
                }
            }
        }
        (found, read)
    }
}

/// Client commands that take a password as an argument:
/// - Redis's `AUTH [username] password` (`src/commands/auth.json`), which
///   redis-cli sends as its words after its options give it; and
///   `HELLO 3 AUTH username password`, read the same.
/// - Redis's `MIGRATE host port key|"" destination-db timeout [COPY]
///   [REPLACE] [AUTH password | AUTH2 username password] [KEYS key …]`
///   (`src/commands/migrate.json`): its `AUTH` takes one argument.
/// - Redis's `CONFIG SET parameter value [parameter value …]`
///   (`src/commands/config-set.json`, pairs since Redis 7.0) of
///   `requirepass` and `masterauth`, the server's and its replication's
///   passwords, and the parameters whose names name one
///   (`tls-key-file-pass`); `masteruser` is a user's name.
/// - Redis's `ACL SETUSER username [rule …]`
///   (`src/commands/acl-setuser.json`): the rules `>password` and
///   `<password` (which removes one, naming it) and `#hash` and `!hash`,
///   a password's SHA-256, unsalted: a guess is checked against it
///   offline, so it is masked as the password is.
/// - Frappe's `bench set-password USER [PASSWORD]` and `bench
///   set-admin-password [ADMIN_PASSWORD]`, click commands whose only
///   option, `--logout-all-sessions`, may come anywhere among them
///   (`frappe/commands/site.py`, v15 and v16).
/// - Frappe's `bench set-config KEY VALUE`, when the key names a secret
///   (`db_password`, `redis_password`, `encryption_key`): a click command
///   whose options `-g`/`--global`, `-p`/`--parse` and `--as-dict` take no
///   value (`frappe/commands/utils.py`).
///
/// The first that fits a word is read: a command within another comes
/// before the same name alone.
const PASSWORD_COMMANDS: &[PasswordCommand] = &[
    PasswordCommand {
        clients: &["redis-cli"],
        command: "auth",
        within: Some("migrate"),
        skips_options: false,
        password: CommandPassword::Last(0..=0),
    },
    PasswordCommand {
        clients: &["redis-cli"],
        command: "auth2",
        within: Some("migrate"),
        skips_options: false,
        password: CommandPassword::Last(1..=1),
    },
    PasswordCommand {
        clients: &["redis-cli"],
        command: "auth",
        within: None,
        skips_options: false,
        password: CommandPassword::Last(0..=1),
    },
    PasswordCommand {
        clients: &["redis-cli"],
        command: "set",
        within: Some("config"),
        skips_options: false,
        password: CommandPassword::Keyed {
            keys: &["requirepass", "masterauth"],
            repeated: true,
        },
    },
    PasswordCommand {
        clients: &["redis-cli"],
        command: "setuser",
        within: Some("acl"),
        skips_options: false,
        password: CommandPassword::Rules("><#!"),
    },
    PasswordCommand {
        clients: &["bench"],
        command: "set-password",
        within: None,
        skips_options: true,
        password: CommandPassword::Last(1..=1),
    },
    PasswordCommand {
        clients: &["bench"],
        command: "set-admin-password",
        within: None,
        skips_options: true,
        password: CommandPassword::Last(0..=0),
    },
    PasswordCommand {
        clients: &["bench"],
        command: "set-config",
        within: None,
        skips_options: true,
        password: CommandPassword::Keyed {
            keys: &[],
            repeated: false,
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::secrets::{apply, merge};

    /// Each command line as it is shown once [`secrets_in_text`] masked it.
    fn masked_commands(line: &str) -> String {
        apply(line, &merge(secrets_in_text(line)))
    }

    #[test]
    fn client_commands_grouped_flags_and_uris_hold_passwords() {
        for (line, shown) in [
            (
                "redis-cli -h q AUTH pw1; redis-cli auth user pw2 x",
                "redis-cli -h q AUTH ***; redis-cli auth user *** x",
            ),
            ("redis-cli HELLO 3 AUTH default pw3", "redis-cli HELLO 3 AUTH default ***"),
            (
                "bench --site s set-password --logout-all-sessions Administrator pw4",
                "bench --site s set-password --logout-all-sessions Administrator ***",
            ),
            (
                "bench --site s set-admin-password --logout-all-sessions pw5",
                "bench --site s set-admin-password --logout-all-sessions ***",
            ),
            (
                "bench worker --queue short -p pw6; bench start -p Procfile",
                "bench worker --queue short -p ***; bench start -p Procfile",
            ),
            (
                "mysql -vBppw7 db; mysql -Dpdb -hpostgres -p 3306",
                "mysql -vBp*** db; mysql -Dpdb -hpostgres -p 3306",
            ),
            (
                "mariadb-dump -cepw8 db; mysqladmin -vDppw db",
                "mariadb-dump -cep*** db; mysqladmin -vDppw db",
            ),
            (
                "mysqlsh -ppw9 root:pw10@db --uri=r:pw11@db --password1=pw12",
                "mysqlsh -p*** root:***@db --uri=r:***@db --password1=***",
            ),
            (
                "sshpass -ppw13 ssh -p 22 h; sshpass -vp pw14 scp -P 22 a b",
                "sshpass -p*** ssh -p 22 h; sshpass -vp *** scp -P 22 a b",
            ),
            ("curl -:u u:pw15 x; curl -5u u:pw16 x", "curl -:u u:*** x; curl -5u u:pw16 x"),
            ("curl --oauth2-bearer tok19 x", "curl --oauth2-bearer *** x"),
            (
                r#"mysql -p"$X"pw17; mysql -p'pw18'"${X}"; mysql -p"$X" db; mysql -p$(cat f) db"#,
                r#"mysql -p"***; mysql -p'***"; mysql -p"$X" db; mysql -p$(cat f) db"#,
            ),
        ] {
            assert_eq!(masked_commands(line), shown, "{line}");
        }
        // Frappe's own options that take a password are found by their names
        // (`frappe/commands/site.py`, `scheduler.py`; frappe-bench's
        // `bench/commands/install.py`, `setup.py`).
        for option in [
            "--admin-password",
            "--db-password",
            "--db-root-password",
            "--mariadb-root-password",
            "--password",
            "--rq-password",
            "--mysql_root_password",
            "--mariadb_root_password",
        ] {
            assert_eq!(masked_commands(&format!("bench {option} pw x")), format!("bench {option} *** x"));
            assert_eq!(masked_commands(&format!("bench {option}=pw x")), format!("bench {option}=*** x"));
        }
    }

    /// A quoted word whose text holds quotes once the shell removed its own
    /// (escaped JSON in an env file's or a shell's double quotes, JSON in a
    /// JSON string) is read again as a text; JSON in single quotes already
    /// was, and an escaped quote with no field stays readable.
    #[test]
    fn escaped_json_in_a_quoted_word_holds_secrets() {
        for (line, shown) in [
            (
                r#"LOG_CONFIG="{\"password\":\"pw1\",\"level\":\"debug\"}""#,
                r#"LOG_CONFIG="{\"password\":\"***\",\"level\":\"debug\"}""#,
            ),
            (
                r#"LOG_CONFIG='{"password":"pw2","level":"debug"}'"#,
                r#"LOG_CONFIG='{"password":"***","level":"debug"}'"#,
            ),
            (r#"{"LOG": "{\"token\":\"pw3\"}"}"#, r#"{"LOG": "{\"token\":\"***\"}"}"#),
            (r#"echo "say \"hi\"" it\'s"#, r#"echo "say \"hi\"" it\'s"#),
        ] {
            assert_eq!(masked_commands(line), shown, "{line}");
        }
    }

    /// Redis's commands that carry a password, within redis-cli only:
    /// `MIGRATE`'s `AUTH password` and `AUTH2 username password` (its
    /// `KEYS` after them stay readable), `CONFIG SET` of `requirepass` and
    /// `masterauth` (pairs, Redis 7), and `ACL SETUSER`'s rules that add
    /// or remove a password or its hash.
    #[test]
    fn redis_commands_that_carry_a_password() {
        for (line, shown) in [
            (
                "redis-cli MIGRATE h 6379 \"\" 0 5000 AUTH pw1 KEYS a b",
                "redis-cli MIGRATE h 6379 \"\" 0 5000 AUTH *** KEYS a b",
            ),
            (
                "redis-cli migrate h 6379 k 0 5000 COPY auth2 default pw2 KEYS a",
                "redis-cli migrate h 6379 k 0 5000 COPY auth2 default *** KEYS a",
            ),
            (
                "redis-cli CONFIG SET maxmemory 1gb requirepass pw3 masterauth pw4 masteruser u",
                "redis-cli CONFIG SET maxmemory 1gb requirepass *** masterauth *** masteruser u",
            ),
            (
                "redis-cli config set tls-key-file-pass pw5",
                "redis-cli config set tls-key-file-pass ***",
            ),
            (
                "redis-cli ACL SETUSER bob on '>pw6' '<pw7' '#0a1b' '!2c3d' ~* +@all nopass",
                "redis-cli ACL SETUSER bob on '>***' '<***' '#***' '!***' ~* +@all nopass",
            ),
            ("redis-cli ACL SETUSER bob on >pw8 ~*", "redis-cli ACL SETUSER bob on >*** ~*"),
            // Not within redis-cli, or no password: readable.
            (
                "redis-cli SET requirepass x; redis-cli CONFIG GET requirepass; echo ACL SETUSER bob >pw9",
                "redis-cli SET requirepass x; redis-cli CONFIG GET requirepass; echo ACL SETUSER bob >pw9",
            ),
        ] {
            assert_eq!(masked_commands(line), shown, "{line}");
        }
    }

    /// `bench set-config KEY VALUE` sets a password when its key names
    /// one; other keys' values, options anywhere, stay readable.
    #[test]
    fn set_config_of_a_secret_key_holds_a_password() {
        for (line, shown) in [
            (
                "bench --site s set-config db_password pw1; bench set-config -gp encryption_key pw2",
                "bench --site s set-config db_password ***; bench set-config -gp encryption_key ***",
            ),
            (
                "bench set-config redis_password -g pw3 x",
                "bench set-config redis_password -g *** x",
            ),
            (
                "bench set-config -g db_host mariadb; bench set-config -gp socketio_port 9000",
                "bench set-config -g db_host mariadb; bench set-config -gp socketio_port 9000",
            ),
            (
                "bench set-config db_password $(DB_PASSWORD)",
                "bench set-config db_password $(DB_PASSWORD)",
            ),
        ] {
            assert_eq!(masked_commands(line), shown, "{line}");
        }
    }
}
