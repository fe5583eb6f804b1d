//! "Did you mean …?" for misspelt keys and words.

/// The candidate closest to `word`, if one is close enough to be a likely typo.
///
/// Jaro-Winkler favours a shared prefix, which is how key typos usually look
/// (`replicas` for `replicaCount`, `requets` for `requests`); the case-blind
/// comparison also catches `dbhost` for `dbHost`.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lowered = word.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&lowered, &candidate.to_ascii_lowercase()), candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}
