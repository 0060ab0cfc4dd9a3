//! Validated input values. Raw arguments become these once, at the command
//! line boundary; everything past it can rely on them being well formed.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup};
use icu_properties::{CodePointMapData, CodePointSetData};

use crate::error::Error;

/// Values cross the API as their text, and are checked on the way in
/// exactly as on the command line.
macro_rules! as_text {
    ($($t:ty),+) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(|e: Error| serde::de::Error::custom(e.message))
            }
        }
    )+};
}
as_text!(Id, Text, Day);

/// A value's schema in the API's OpenAPI document: a string, with the
/// limits its parser checks where a schema can say them.
fn string_schema(description: &str) -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::String).description(Some(description))
}

type SchemaRef = utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>;

impl utoipa::PartialSchema for Id {
    fn schema() -> SchemaRef {
        string_schema(
            "A handle, installation ID or ticket reference: 1 to 64 ASCII letters, digits, \
             '.', '_' or '-', starting with a letter or digit.",
        )
        .min_length(Some(1))
        .max_length(Some(MAX_ID_LEN))
        .pattern(Some(ID_PATTERN))
        .into()
    }
}

impl utoipa::ToSchema for Id {}

impl utoipa::PartialSchema for Text {
    fn schema() -> SchemaRef {
        string_schema(
            "Free text on one line: at most 2000 characters, at least one of them visible, \
             none a control, format or invisible character; surrounding spaces are trimmed.",
        )
        .min_length(Some(1))
        .max_length(Some(MAX_TEXT_LEN))
        .into()
    }
}

impl utoipa::ToSchema for Text {}

impl utoipa::PartialSchema for Day {
    fn schema() -> SchemaRef {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
        string_schema("A real calendar date, YYYY-MM-DD, from 2000-01-01 on.")
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
            .into()
    }
}

impl utoipa::ToSchema for Day {}

/// [`Id`]'s rule as a regular expression, for the API's schema.
const ID_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

/// The longest handle, installation ID, ticket reference or version.
pub const MAX_ID_LEN: usize = 64;
/// The longest free text: a name, a note, a reason, a comment.
pub const MAX_TEXT_LEN: usize = 2000;

/// A person's handle, an installation ID, a ticket reference: 1 to 64
/// characters of ASCII letters, digits and `.`, `_`, `-`, starting with a
/// letter or digit, so it is safe in a shell, a file name and a CSV cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl FromStr for Id {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let accepted =
            "1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit";
        if s.is_empty() {
            return Err(Error::bad_input(format!("empty name; expected {accepted}")));
        }
        if s.len() > MAX_ID_LEN {
            return Err(Error::bad_input(format!(
                "name of {} characters is too long; expected {accepted}",
                s.chars().count()
            )));
        }
        let first_ok = s.starts_with(|c: char| c.is_ascii_alphanumeric());
        let rest_ok = s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !rest_ok {
            return Err(Error::bad_input(format!("invalid name {s:?}; expected {accepted}")));
        }
        Ok(Id(s.to_string()))
    }
}

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The general categories free text may not hold: control characters (a
/// newline or an escape sequence could forge lines of a report), format
/// characters (zero-width joiners, bidirectional overrides: an audit note
/// would display other than it reads) and line and paragraph separators.
const FORBIDDEN_CATEGORIES: GeneralCategoryGroup = GeneralCategoryGroup::Control
    .union(GeneralCategoryGroup::Format)
    .union(GeneralCategoryGroup::LineSeparator)
    .union(GeneralCategoryGroup::ParagraphSeparator);

/// The general categories that draw something: letters, numbers,
/// punctuation and symbols (not spaces, marks or the categories above).
const VISIBLE_CATEGORIES: GeneralCategoryGroup = GeneralCategoryGroup::Letter
    .union(GeneralCategoryGroup::Number)
    .union(GeneralCategoryGroup::Punctuation)
    .union(GeneralCategoryGroup::Symbol);

/// Characters free text may not hold: the [`FORBIDDEN_CATEGORIES`] and every
/// Default_Ignorable_Code_Point (variation selectors, Hangul fillers, the
/// combining grapheme joiner: characters a renderer shows as nothing), from
/// ICU4X's tables of the Unicode character database.
pub fn is_forbidden(c: char) -> bool {
    FORBIDDEN_CATEGORIES.contains(CodePointMapData::<GeneralCategory>::new().get(c))
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// Whether a character of allowed text draws something on its own.
fn is_visible(c: char) -> bool {
    VISIBLE_CATEGORIES.contains(CodePointMapData::<GeneralCategory>::new().get(c))
}

/// Free text: at most 2000 characters, none of [`is_forbidden`], and at
/// least one visible character (so not only spaces or combining marks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl FromStr for Text {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.trim().is_empty() {
            return Err(Error::bad_input("empty text; expected at least one visible character"));
        }
        let len = s.chars().count();
        if len > MAX_TEXT_LEN {
            return Err(Error::bad_input(format!(
                "text of {len} characters is too long; expected at most {MAX_TEXT_LEN}"
            )));
        }
        if let Some(c) = s.chars().find(|c| is_forbidden(*c)) {
            return Err(Error::bad_input(format!(
                "text contains the invisible or control character {}; expected printable text on one line",
                c.escape_unicode()
            )));
        }
        if !s.chars().any(is_visible) {
            return Err(Error::bad_input(
                "text has no visible character (only spaces or combining marks); expected at least one letter, digit, punctuation mark or symbol",
            ));
        }
        Ok(Text(s.trim().to_string()))
    }
}

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The earliest date raci accepts: anything before is a typo (0202 for 2020).
pub const EARLIEST_DAY: &str = "2000-01-01";

/// A calendar date written YYYY-MM-DD, a real one (no 2026-02-30), from
/// 2000-01-01 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub NaiveDate);

impl FromStr for Day {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let well_formed = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        let parsed = well_formed.then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).flatten();
        match parsed {
            Some(day) if s >= EARLIEST_DAY => Ok(Day(day)),
            Some(_) => Err(Error::bad_input(format!(
                "date {s} is before {EARLIEST_DAY}; expected a date of this century as YYYY-MM-DD"
            ))),
            None => Err(Error::bad_input(format!(
                "invalid date {s:?}; expected a real calendar date as YYYY-MM-DD"
            ))),
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_plain_names_and_refuse_the_rest() {
        for ok in ["alice", "acme-prod-1", "a.b_c", "X9"] {
            assert!(ok.parse::<Id>().is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "a/b", "ä", &"x".repeat(65), "a\n"] {
            assert!(bad.parse::<Id>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_refuses_blank_control_and_overlong() {
        assert_eq!("  hi ".parse::<Text>().map(|t| t.0).ok(), Some("hi".into()));
        for ok in ["Straße", "Σίσυφος", "e\u{301}", "日本語", "¯\\_(ツ)_/¯", "a\u{3000}b"]
        {
            assert!(ok.parse::<Text>().is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "   ",
            "a\nb",
            "a\u{1b}[31m",
            "a\u{2028}b",
            "rtl\u{202e}",
            "zw\u{200b}",
            "soft\u{ad}hyphen",
            "mongolian\u{180e}separator",
            "tag\u{e0041}",
            "filler\u{115f}",
            "heart\u{2764}\u{fe0f}",
            "cgj\u{34f}",
            "\u{301}\u{301}",
            " \u{3000}\u{a0} ",
            &"x".repeat(2001),
        ] {
            assert!(bad.parse::<Text>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn days_must_be_real_dates_in_iso_form() {
        assert!("2026-02-28".parse::<Day>().is_ok());
        for bad in ["2026-02-30", "2026-2-3", "26-02-03", "2026/02/03", "2026-02-03x", ""] {
            assert!(bad.parse::<Day>().is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::{Party, Role, TaskState};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the input, parsing an ID never panics, and what it
        /// accepts is a short, shell- and CSV-safe ASCII name that prints back as given.
        #[test]
        fn ids_accept_only_safe_names(s in "\\PC{0,80}|[A-Za-z0-9._-]{0,70}") {
            match s.parse::<Id>() {
                Ok(id) => {
                    prop_assert!(!s.is_empty() && s.len() <= MAX_ID_LEN);
                    prop_assert!(s.starts_with(|c: char| c.is_ascii_alphanumeric()));
                    prop_assert!(s.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)));
                    prop_assert_eq!(id.to_string(), s);
                }
                Err(e) => prop_assert_eq!(e.kind, crate::error::Kind::BadInput),
            }
        }

        /// Every name the API's schema of an ID allows, the parser accepts.
        #[test]
        fn the_schema_of_an_id_allows_only_ids(
            s in ID_PATTERN.trim_start_matches('^').trim_end_matches('$')
        ) {
            prop_assert!(s.parse::<Id>().is_ok(), "{:?}", s);
        }

        /// Free text is accepted only without control, format or ignorable
        /// characters, with a visible one, and at most 2000 characters.
        #[test]
        fn text_never_carries_control_characters(s in "(\\PC|[\\x00-\\x1f\\x7f\\u{85}\\u{ad}\\u{301}\\u{34f}\\u{115f}\\u{180e}\\u{200b}\\u{2028}\\u{202e}\\u{fe0f}\\u{feff}\\u{e0041}]){0,40}|.{1990,2010}") {
            match s.parse::<Text>() {
                Ok(t) => {
                    prop_assert!(!t.as_str().is_empty());
                    prop_assert!(t.as_str().chars().any(is_visible));
                    prop_assert!(t.as_str().chars().count() <= MAX_TEXT_LEN);
                    prop_assert!(!t.as_str().chars().any(is_forbidden));
                    prop_assert_eq!(t.as_str(), s.trim());
                }
                Err(e) => prop_assert_eq!(e.kind, crate::error::Kind::BadInput),
            }
        }

        /// A date is accepted exactly when it is a real calendar day written
        /// YYYY-MM-DD, and prints back the same.
        #[test]
        fn days_are_real_calendar_days(y in 0i32..10000, m in 0u32..14, d in 0u32..33) {
            let s = format!("{y:04}-{m:02}-{d:02}");
            let real = NaiveDate::from_ymd_opt(y, m, d).is_some() && y >= 2000;
            let parsed = s.parse::<Day>();
            prop_assert_eq!(parsed.is_ok(), real);
            if let Ok(day) = parsed {
                prop_assert_eq!(day.to_string(), s);
            }
        }

        #[test]
        fn any_string_as_a_date_is_refused_cleanly(s in "\\PC{0,20}") {
            if let Err(e) = s.parse::<Day>() {
                prop_assert_eq!(e.kind, crate::error::Kind::BadInput);
            }
        }

        /// Parties, roles and states accept exactly their names.
        #[test]
        fn closed_sets_accept_exactly_their_names(
            s in prop_oneof![
                "[a-z_-]{0,30}",
                prop::sample::select(Party::NAMES).prop_map(str::to_string),
                prop::sample::select(Role::NAMES).prop_map(str::to_string),
                prop::sample::select(TaskState::NAMES).prop_map(str::to_string),
            ]
        ) {
            prop_assert_eq!(s.parse::<Party>().is_ok(), Party::NAMES.contains(&s.as_str()));
            prop_assert_eq!(s.parse::<Role>().is_ok(), Role::NAMES.contains(&s.as_str()));
            prop_assert_eq!(s.parse::<TaskState>().is_ok(), TaskState::NAMES.contains(&s.as_str()));
        }
    }
}
