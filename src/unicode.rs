//! Characters a reader does not see but that change what the text around
//! them looks like.
//!
//! The Unicode bidirectional controls reorder how a line is displayed, not
//! what it holds: `"admin\u{202E}nimda"` shows as `adminadmin` in a review of the
//! rendered bundle, a terminal or a CI log ("Trojan Source",
//! CVE-2021-42574). Text from an input reaches all three, so wherever it is
//! shown as written these characters are written as escapes instead, as
//! control characters are.

/// Whether `c` is one of Unicode's `Bidi_Control` characters (PropList.txt): the arabic
/// letter mark, the left-to-right and right-to-left marks, the embeddings,
/// overrides and their pop (U+202A–U+202E), and the isolates and their pop
/// (U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}
