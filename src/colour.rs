//! Whether output is coloured: one decision for every stream the tool
//! colours (diagnostics on stderr, `lint`'s human format on stdout, clap's
//! help and usage errors).
//!
//! `--color always` and `--color never` win: a flag given for one run
//! overrides the environment, as no-color.org asks. Under `--color auto`
//! (the default), in this order:
//!
//! 1. `NO_COLOR` set and not empty: no colour (no-color.org). It comes before
//!    the variables that force colour because it is the user's own setting,
//!    while those are usually set for a whole CI system.
//! 2. `CLICOLOR_FORCE` set and not `0` (bixense.com/clicolors), or
//!    `FORCE_COLOR` set and not empty (force-color.org): colour, even into a
//!    pipe or a file.
//! 3. `CLICOLOR=0`: no colour (bixense.com/clicolors).
//! 4. Otherwise colour only a terminal whose `TERM` is not `dumb`.
//!
//! anstyle-query (already in the tree through clap) reads some of these
//! variables, but counts `CLICOLOR_FORCE=0` as forcing colour, which
//! bixense's convention does not, and knows no `FORCE_COLOR`; the table is
//! short enough to state here in full.

use std::ffi::OsString;

use crate::cli::ColorWhen;
use crate::diagnostic::Colour;

/// The colouring of one stream: `terminal` says whether the stream is one,
/// `env` looks an environment variable up.
pub fn decide(when: ColorWhen, env: impl Fn(&str) -> Option<OsString>, terminal: bool) -> Colour {
    let set = |name: &str| env(name).filter(|value| !value.is_empty());
    let coloured = match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if set("NO_COLOR").is_some() => false,
        ColorWhen::Auto if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") || set("FORCE_COLOR").is_some() => true,
        ColorWhen::Auto if env("CLICOLOR").is_some_and(|v| v == "0") => false,
        ColorWhen::Auto => terminal && env("TERM").is_none_or(|term| term != "dumb"),
    };
    if coloured { Colour::Ansi } else { Colour::Plain }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(when: ColorWhen, vars: &[(&str, &str)], terminal: bool) -> Colour {
        let env = |name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| OsString::from(v));
        decide(when, env, terminal)
    }

    #[test]
    fn auto_colours_a_terminal_only() {
        assert_eq!(decided(ColorWhen::Auto, &[], true), Colour::Ansi);
        assert_eq!(decided(ColorWhen::Auto, &[], false), Colour::Plain);
        assert_eq!(decided(ColorWhen::Auto, &[("TERM", "dumb")], true), Colour::Plain);
        assert_eq!(decided(ColorWhen::Auto, &[("TERM", "xterm-256color")], true), Colour::Ansi);
    }

    #[test]
    fn the_environment_follows_no_color_and_clicolors() {
        use Colour::{Ansi, Plain};
        /// The environment, whether the stream is a terminal, and the colouring.
        type Case = (&'static [(&'static str, &'static str)], bool, Colour);
        let cases: &[Case] = &[
            (&[("NO_COLOR", "1")], true, Plain),
            (&[("NO_COLOR", "")], true, Ansi),
            (&[("CLICOLOR_FORCE", "1")], false, Ansi),
            (&[("CLICOLOR_FORCE", "0")], false, Plain),
            (&[("CLICOLOR_FORCE", "")], false, Plain),
            (&[("FORCE_COLOR", "1")], false, Ansi),
            (&[("FORCE_COLOR", "0")], false, Ansi),
            (&[("FORCE_COLOR", "")], false, Plain),
            (&[("CLICOLOR", "0")], true, Plain),
            (&[("CLICOLOR", "1")], false, Plain),
            // NO_COLOR is the user's; it wins over the variables that force.
            (&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")], false, Plain),
            (&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")], true, Plain),
            // Forcing wins over CLICOLOR=0, as bixense says.
            (&[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")], false, Ansi),
        ];
        for (vars, terminal, expected) in cases {
            assert_eq!(
                decided(ColorWhen::Auto, vars, *terminal),
                *expected,
                "{vars:?}, terminal: {terminal}"
            );
        }
    }

    #[test]
    fn the_flag_wins_over_the_environment() {
        assert_eq!(decided(ColorWhen::Always, &[("NO_COLOR", "1")], false), Colour::Ansi);
        assert_eq!(decided(ColorWhen::Never, &[("CLICOLOR_FORCE", "1")], true), Colour::Plain);
        assert_eq!(decided(ColorWhen::Never, &[("FORCE_COLOR", "1")], true), Colour::Plain);
    }
}
