//! Which keys hold secrets: the one vocabulary of secret words, pairs and
//! endings every reader of the inputs asks ([`key_meaning`]).

/// What a key says about the value under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyMeaning {
    /// The value is a secret: `dbRootPassword`, `apiKey`, `clientSecret`.
    Secret,
    /// The value names where a secret is kept, and is no secret itself:
    /// `dbExistingSecret`, `secretName`, `secretKeyRef`, `name`, `key`.
    Reference,
    /// Nothing either way: the value inherits what the keys above it say.
    Neutral,
}

/// Words of a key that mark its value as secret.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "tokens",
    "credential",
    "credentials",
    "apikey",
    // A bearer token: curl's `--oauth2-bearer <token>`.
    "bearer",
    // Shortened and misspelt: the keys a diagnostic quotes with a "did you
    // mean `dbRootPassword`?".
    "pw",
    "passw",
    "paswd",
    "pswd",
    "psswd",
    "paswrd",
    "passwrd",
];

/// Pairs of consecutive words that mark a value as secret.
const SECRET_PAIRS: &[(&str, &str)] = &[("api", "key"), ("private", "key"), ("access", "key"), ("encryption", "key")];

/// Words that mark a value as secret when they end a key: `REDIS_AUTH`,
/// `auth` (what Redis's `AUTH` command takes, a password), and HTTP's
/// `Authorization` header (`Basic dXNlcjpwdw==`, a bearer token). Before
/// another word they only qualify it: `authType`, the volumes'
/// `chapAuthSession`.
const SECRET_LAST_WORDS: &[&str] = &["auth", "authorization"];

/// Last words of keys that hold a measure or the form of a secret, not the
/// secret: `password_reset_limit`, `minimum_password_score`,
/// `PASSWORD_MIN_LENGTH`, `TOKEN_TTL`, `secret_rotation_days`,
/// `token-lifetime`, OpenAPI's `bearerFormat: JWT`.
const MEASURE_ENDINGS: &[&str] = &[
    "limit", "length", "score", "ttl", "expiry", "age", "timeout", "count", "policy", "strength", "min", "max", "days", "hours", "minutes",
    "seconds", "lifetime", "format",
];

/// Last words of keys that refer to a Secret or a key in it.
const REFERENCE_ENDINGS: &[&str] = &["name", "names", "ref", "refs"];

/// The one place that decides which keys hold secrets. A key is split into
/// words (`dbRootPassword`, `DB_ROOT_PASSWORD`, `db-root-password` all give
/// `db root password`). A key that refers to where a secret is kept
/// (`dbExistingSecret`, `dbExistingSecretPasswordKey`, `secretName`,
/// `secretKeyRef`, the `key` of a selector) is a reference; otherwise a
/// key with a secret word is a secret.
pub fn key_meaning(key: &str) -> KeyMeaning {
    // Most keys (`replicaCount`, `image`) say nothing; telling them apart
    // without splitting them into words halves the cost of finding secrets.
    if key.is_ascii() && !has_telling_fragment(key.as_bytes()) {
        return KeyMeaning::Neutral;
    }
    meaning_of_words(key)
}

/// Whether an ASCII key holds one of [`TELLING_FRAGMENTS`], in any case:
/// every key of a values file comes here. Comparing byte by byte, lowered
/// on the way, is several times cheaper than `windows` with
/// `eq_ignore_ascii_case`, which cost as much as the rest of the walk.
fn has_telling_fragment(key: &[u8]) -> bool {
    (0..key.len()).any(|at| {
        let rest = &key[at..];
        TELLING_FRAGMENTS
            .iter()
            .any(|fragment| rest.len() >= fragment.len() && rest.iter().zip(fragment.bytes()).all(|(c, f)| c.to_ascii_lowercase() == f))
    })
}

/// A fragment of every word above (in `SECRET_WORDS`, `SECRET_PAIRS`,
/// `SECRET_LAST_WORDS`, `REFERENCE_ENDINGS`, and `existing` and `key`), in
/// lower case: an ASCII key without one of them says nothing. (A non-ASCII
/// key may lower-case into one: the Kelvin sign `K` becomes `k`.)
/// `pas` and `word` also cover every one-typo spelling of `password`
/// ([`resembles_password`]): a single edit leaves one of them whole.
const TELLING_FRAGMENTS: &[&str] = &[
    "pas",
    "word",
    "pw",
    "psw",
    "pssw",
    "secret",
    "token",
    "credential",
    "bearer",
    "auth",
    "key",
    "existing",
    "name",
    "ref",
];

/// [`key_meaning`] from the key's words.
fn meaning_of_words(key: &str) -> KeyMeaning {
    let words = words(key);
    let is_reference = words.iter().any(|w| is_word(w, "existing"))
        || words
            .last()
            .is_some_and(|w| REFERENCE_ENDINGS.iter().any(|ending| is_word(w, ending)))
        || matches!(words[..], [only] if is_word(only, "key"));
    if is_reference {
        return KeyMeaning::Reference;
    }
    if words
        .last()
        .is_some_and(|w| MEASURE_ENDINGS.iter().any(|ending| is_word(w, ending)))
    {
        return KeyMeaning::Neutral;
    }
    if has_secret_word(&words) || resembles_password(key) {
        KeyMeaning::Secret
    } else {
        KeyMeaning::Neutral
    }
}

/// Whether a text that may be a key, written loosely (`dbRootPassword`,
/// `--db-password`, `PGPASSWORD`, a misspelling), names a secret: what the
/// texts that are not YAML keys (`--set` arguments, paths, words in a value)
/// are asked.
pub(super) fn names_a_secret(text: &str) -> bool {
    has_secret_word(&words(text)) || resembles_password(text) || {
        // `redisAuth[=pw`, `REDIS_AUTH pw`: a word that names a secret only
        // as a key's last ([`SECRET_LAST_WORDS`]) is followed by what the
        // key was given, and by an index (`auth[0`).
        let key = text.split(['=', ':']).next().unwrap_or(text);
        let key = key.split_whitespace().next().unwrap_or(key);
        let key_words: Vec<&str> = words(key).into_iter().filter(|w| w.chars().any(char::is_alphabetic)).collect();
        key != text && has_secret_word(&key_words)
    }
}

fn has_secret_word(words: &[&str]) -> bool {
    words
        .iter()
        .any(|w| SECRET_WORDS.iter().any(|secret| is_word(w, secret)) || ends_in_pass(w))
        || words
            .last()
            .is_some_and(|w| SECRET_LAST_WORDS.iter().any(|secret| is_word(w, secret)) || ends_in_auth(w))
        || words
            .windows(2)
            .any(|pair| SECRET_PAIRS.iter().any(|(a, b)| is_word(pair[0], a) && is_word(pair[1], b)))
}

/// English words that end in `pass` and name no password.
const WORDS_ENDING_IN_PASS: &[&str] = &["bypass", "compass", "encompass", "overpass", "underpass", "surpass", "trespass"];

/// Whether a word runs another into `pass`, as Redis's `requirepass` and
/// `--requirepass` and env vars such as `DBPASS` and `ADMINPASS` do, the
/// word split cannot tell.
fn ends_in_pass(word: &str) -> bool {
    runs_into(word, "pass") && !WORDS_ENDING_IN_PASS.iter().any(|english| word.eq_ignore_ascii_case(english))
}

/// Whether a key's last word runs another into `auth`, as Redis's
/// `masterauth` (a replica's password for its master) does; `oauth` names
/// a protocol.
fn ends_in_auth(word: &str) -> bool {
    runs_into(word, "auth") && !word.eq_ignore_ascii_case("oauth")
}

/// Whether `word` is longer than `tail` and ends in it, in any case. Bytes,
/// not a lower-cased copy: `key_meaning` runs on every key of every render.
fn runs_into(word: &str, tail: &str) -> bool {
    let (word, tail) = (word.as_bytes(), tail.as_bytes());
    word.len() > tail.len() && word[word.len() - tail.len()..].eq_ignore_ascii_case(tail)
}

/// Whether `key`, lower-cased and without its punctuation, holds `passwd`,
/// `password`, or `password` with one typo (a letter missing, added or
/// wrong, or two swapped: `pasword`, `passowrd`). The word split misses keys
/// written run together (`DBROOTPASSWORD`, `PGPASSWORD`) and misspelt ones
/// (`dbRootPasword`), and a misspelt key is the one a diagnostic quotes.
fn resembles_password(key: &str) -> bool {
    const PASSWORD: &[u8] = b"password";
    let letters: Vec<u8> = key
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    letters.windows(6).any(|w| w == b"passwd")
        || (PASSWORD.len() - 1..=PASSWORD.len() + 1).any(|len| letters.windows(len).any(|w| within_one_edit(w, PASSWORD)))
}

/// Whether `a` becomes `b` by at most one insertion, deletion, substitution
/// or swap of neighbours (the optimal string alignment distance is 0 or 1).
fn within_one_edit(a: &[u8], b: &[u8]) -> bool {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    match (a.len(), b.len()) {
        (0, 0) => true,
        (m, n) if m == n => a[1..] == b[1..] || (m >= 2 && a[0] == b[1] && a[1] == b[0] && a[2..] == b[2..]),
        (m, n) if m == n + 1 => a[1..] == *b,
        (m, n) if m + 1 == n => *a == b[1..],
        _ => false,
    }
}

/// Whether a word of a key, in any case, is `lower`, a lower-case word.
fn is_word(word: &str, lower: &str) -> bool {
    if word.is_ascii() {
        word.eq_ignore_ascii_case(lower)
    } else {
        word.to_lowercase() == lower
    }
}

/// The words of a key, as slices of it (compared with [`is_word`]), split at
/// punctuation, at lower-to-upper case changes, before the last capital of
/// an acronym (`DBPassword`), and between letters and digits.
fn words(key: &str) -> Vec<&str> {
    let mut words = Vec::new();
    // Where the current word starts, and the character before this one.
    let mut start: Option<usize> = None;
    let mut previous = None;
    let mut chars = key.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if !c.is_alphanumeric() {
            if let Some(from) = start.take() {
                words.push(&key[from..at]);
            }
        } else if let (Some(from), Some(previous)) = (start, previous) {
            let next_is_lower = chars.peek().is_some_and(|(_, n)| n.is_lowercase());
            let boundary = (char::is_lowercase(previous) && c.is_uppercase())
                || (char::is_uppercase(previous) && c.is_uppercase() && next_is_lower)
                || char::is_alphabetic(previous) != c.is_alphabetic();
            if boundary {
                words.push(&key[from..at]);
                start = Some(at);
            }
        } else {
            start = Some(at);
        }
        previous = Some(c);
    }
    if let Some(from) = start {
        words.push(&key[from..]);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_without_a_telling_fragment_say_nothing() {
        let schema = include_str!("../../../schema/values.schema.json");
        let mut keys: Vec<&str> = schema
            .split('"')
            .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
            .collect();
        keys.extend([
            "DB_PASSWORD",
            "apiKey",
            "clientSecret",
            "dbExistingSecret",
            "secretKeyRef",
            "hostname",
            "Passwd",
            "dbRootPasword",
            "adminPaswsord",
            "PGPASSWORD",
            "bypass",
            "crossword",
            "REDIS_AUTH",
            "oauth",
            "requirepass",
            "masterauth",
        ]);
        assert!(keys.len() > 500, "{}", keys.len());
        for key in keys {
            assert_eq!(key_meaning(key), meaning_of_words(key), "{key}");
        }
    }

    #[test]
    fn key_meanings() {
        for secret in [
            "dbRootPassword",
            "adminPassword",
            "DB_PASSWORD",
            "redis-pass",
            "apiKey",
            "API_KEY",
            "privateKey",
            "clientSecret",
            "authToken",
            "imagePullSecrets",
            "passwordSecret",
            "password",
            "DBPassword2",
            "REDIS_AUTH",
            "auth",
            "AUTH_TOKEN",
            "redisAuth",
            "oauth2-bearer",
            "BEARER",
            "requirepass",
            "masterauth",
            "DBPASS",
            "adminpass",
            "REDISAUTH",
        ] {
            assert_eq!(key_meaning(secret), KeyMeaning::Secret, "{secret}");
        }
        for reference in [
            "dbExistingSecret",
            "dbExistingSecretPasswordKey",
            "adminExistingSecret",
            "adminExistingSecretKey",
            "secretName",
            "secretKeyRef",
            "secretRef",
            "name",
            "key",
        ] {
            assert_eq!(key_meaning(reference), KeyMeaning::Reference, "{reference}");
        }
        for misspelt_or_run_together in [
            "dbrootpassword",
            "DBROOTPASSWORD",
            "PGPASSWORD",
            "SMTPPASSWORD",
            "adminpassword",
            "passwords",
            "dbRootPasword",
            "dbRootPassowrd",
            "dbRootPasswrd",
            "dbRootPassswords",
            "adminPaswsord",
            "mysqlpasswd",
        ] {
            assert_eq!(
                key_meaning(misspelt_or_run_together),
                KeyMeaning::Secret,
                "{misspelt_or_run_together}"
            );
        }
        for neutral in [
            "dbHost",
            "bypass",
            "passthrough",
            "compass",
            "tokenizer",
            "value",
            "keys",
            "monkey",
            "passport",
            "crossword",
            "keyword",
            "swordfish",
            "wordpress",
            "chapAuthSession",
            "authType",
            "author",
            "oauth",
            "secret_rotation_days",
            "token-lifetime",
            "bearerFormat",
            "overpass",
            "surpass",
        ] {
            assert_eq!(key_meaning(neutral), KeyMeaning::Neutral, "{neutral}");
        }
    }
}
