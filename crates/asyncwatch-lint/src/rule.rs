//! What a rule is, and the macro that declares one.

use asyncwatch_diagnostics::Severity;

/// A rule's metadata. The analyzer decides *where* a rule fires; this says what it is called,
/// how loud it is by default and how it is documented.
#[derive(Debug)]
pub struct Rule {
    /// The kebab-case name used in output, configuration and suppressions.
    pub name: &'static str,
    pub default_severity: Severity,
    /// Pedantic rules exist but are only reported when selected explicitly.
    pub enabled_by_default: bool,
    /// One line for `asyncwatch rules`, lowercase without a trailing period.
    pub summary: &'static str,
    /// Markdown from the rule's doc comment: What it does / Why is this bad? / Example /
    /// Use instead.
    pub docs: &'static str,
}

/// Declares a rule from its doc comment and metadata, in the manner of clippy's
/// `declare_clippy_lint!`: the doc comment *is* the rule's documentation.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $ident:ident = {
            name: $name:literal,
            severity: $severity:ident,
            default: $default:ident,
            summary: $summary:literal $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis static $ident: $crate::rule::Rule = $crate::rule::Rule {
            name: $name,
            default_severity: asyncwatch_diagnostics::Severity::$severity,
            enabled_by_default: declare_rule!(@default $default),
            summary: $summary,
            docs: concat!($($doc, "\n"),*),
        };
    };
    (@default enabled) => { true };
    (@default pedantic) => { false };
}

pub(crate) use declare_rule;

/// Serializes a rule reference as its name, for cached summaries.
pub(crate) mod by_name {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    use super::Rule;

    pub(crate) fn serialize<S: Serializer>(
        rule: &&'static Rule,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(rule.name)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'static Rule, D::Error> {
        let name = String::deserialize(deserializer)?;
        crate::rules::by_name(&name)
            .ok_or_else(|| D::Error::custom(format!("unknown rule `{name}`")))
    }
}

/// What follows "unknown rule `NAME`": the closest rule name if one is close, and the list
/// of rules.
pub(crate) fn suggestion(name: &str) -> String {
    let names: Vec<&str> = crate::rules::all().map(|r| r.name).collect();
    let closest = names
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .min()
        .filter(|(distance, _)| *distance <= 3 && *distance < name.len());
    let list = format!(
        "the rules are `all`, `{}` (`asyncwatch rules` describes them)",
        names.join("`, `")
    );
    match closest {
        Some((_, candidate)) => format!("; did you mean `{candidate}`? {list}"),
        None => format!("; {list}"),
    }
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_rule_gets_the_closest_name_and_the_list() {
        let close = suggestion("blocking-slep");
        assert!(
            close.starts_with("; did you mean `blocking-sleep`? the rules are `all`, `"),
            "{close}"
        );
        assert!(close.contains("`std-mutex-lock`"), "{close}");
        let far = suggestion("no-such-rule");
        assert!(
            far.starts_with("; the rules are `all`, `blocking-"),
            "{far}"
        );
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
