//! Cron schedules as the CronJob controller reads them.

use std::fmt;

/// The `@` shorthands the CronJob controller accepts.
const CRON_SHORTHANDS: &[&str] = &["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];

/// Why a text is not a cron schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CronError {
    UnknownShorthand(String),
    FieldCount(usize),
    /// A step (`*/0`, `*/x`) of a field, named as the error says it.
    InvalidStep {
        step: String,
        field: &'static str,
    },
    /// A value outside a field's range, or no value at all.
    InvalidValue {
        text: String,
        field: &'static str,
        min: u32,
        max: u32,
    },
    Backwards(String),
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CronError::UnknownShorthand(schedule) => write!(f, "`{schedule}` is not one of {}", CRON_SHORTHANDS.join(", ")),
            CronError::FieldCount(count) => write!(f, "it has {count} fields, not 5"),
            CronError::InvalidStep { step, field } => write!(f, "`{step}` is not a step for the {field}"),
            CronError::InvalidValue { text, field, min, max } => write!(f, "`{text}` is not a {field} ({min}-{max})"),
            CronError::Backwards(range) => write!(f, "`{range}` runs backwards"),
        }
    }
}

impl std::error::Error for CronError {}

/// Checks a cron schedule as the CronJob controller reads it: five fields,
/// or one of the `@` shorthands.
pub fn check_cron(schedule: &str) -> Result<(), CronError> {
    let schedule = schedule.trim();
    if schedule.starts_with('@') {
        return if CRON_SHORTHANDS.contains(&schedule) {
            Ok(())
        } else {
            Err(CronError::UnknownShorthand(schedule.to_owned()))
        };
    }
    let fields: Vec<&str> = schedule.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(CronError::FieldCount(fields.len()));
    }
    const MONTHS: &[&str] = &["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let specs: [(&str, u32, u32, &[&str]); 5] = [
        ("minute", 0, 59, &[]),
        ("hour", 0, 23, &[]),
        ("day of month", 1, 31, &[]),
        ("month", 1, 12, MONTHS),
        ("day of week", 0, 7, DAYS),
    ];
    for (field, (what, min, max, names)) in fields.iter().zip(specs) {
        for part in field.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((range, step)) => (range, Some(step)),
                None => (part, None),
            };
            if let Some(step) = step
                && step.parse::<u32>().map_or(true, |s| s == 0)
            {
                return Err(CronError::InvalidStep {
                    step: step.to_owned(),
                    field: what,
                });
            }
            if range == "*" || (range == "?" && matches!(what, "day of month" | "day of week")) {
                continue;
            }
            let value = |text: &str| -> Result<u32, CronError> {
                let number = text.parse::<u32>().ok().or_else(|| {
                    names
                        .iter()
                        .position(|n| n.eq_ignore_ascii_case(text))
                        .map(|i| i as u32 + if names.len() == 12 { 1 } else { 0 })
                });
                match number {
                    Some(n) if (min..=max).contains(&n) => Ok(n),
                    _ => Err(CronError::InvalidValue {
                        text: text.to_owned(),
                        field: what,
                        min,
                        max,
                    }),
                }
            };
            match range.split_once('-') {
                Some((low, high)) if value(low)? > value(high)? => return Err(CronError::Backwards(range.to_owned())),
                Some(_) => {}
                None => {
                    value(range)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_cron;

    #[test]
    fn cron_schedules() {
        for ok in [
            "0 3 * * *",
            "*/15 * * * *",
            "0 0 1 1 *",
            "30 2 * * MON-FRI",
            "0 0 * JAN,JUL SUN",
            "@daily",
            "0 22 * * 1-5",
            "5 4 * * 7",
        ] {
            assert_eq!(check_cron(ok), Ok(()), "{ok}");
        }
        for bad in [
            "0 3 * *",
            "60 * * * *",
            "* 24 * * *",
            "0 0 0 * *",
            "*/0 * * * *",
            "@sometimes",
            "0 5-2 * * *",
            "x * * * *",
        ] {
            assert!(check_cron(bad).is_err(), "{bad}");
        }
    }
}
