//! One error type for the whole program. Its kind decides the exit code, in
//! one place (`Kind::exit_code`), so every refusal maps the same way.

use std::fmt;

/// What went wrong, as the contract's exit codes see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Malformed input: unknown flag, bad date, empty or invalid name (exit 2).
    BadInput,
    /// The acting person's party or role may not do this (exit 3).
    NotPermitted,
    /// An installation, task, person, item, cycle or ticket does not exist (exit 4).
    NotFound,
    /// The state does not allow it (exit 5).
    Conflict,
    /// The database is unreadable, corrupt, locked or too new (exit 6).
    Storage,
    /// No credential, or one that is invalid, expired or revoked, or whose
    /// person was deactivated (HTTP 401, exit 3).
    Unauthenticated,
    /// A request body over the limit (HTTP 413, exit 2).
    TooLarge,
    /// Too many failed sign-ins; wait for the window to pass (HTTP 429, exit 3).
    TooManyRequests,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::BadInput => 2,
            Kind::NotPermitted => 3,
            Kind::NotFound => 4,
            Kind::Conflict => 5,
            Kind::Storage => 6,
            Kind::Unauthenticated => 3,
            Kind::TooLarge => 2,
            Kind::TooManyRequests => 3,
        }
    }

    /// The HTTP status of a refusal of this kind.
    pub fn http_status(self) -> u16 {
        match self {
            Kind::BadInput => 400,
            Kind::Unauthenticated => 401,
            Kind::NotPermitted => 403,
            Kind::NotFound => 404,
            Kind::Conflict => 409,
            Kind::TooLarge => 413,
            Kind::TooManyRequests => 429,
            Kind::Storage => 503,
        }
    }

    /// The kind's name in the API's JSON errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BadInput => "bad_input",
            Kind::Unauthenticated => "unauthenticated",
            Kind::NotPermitted => "not_permitted",
            Kind::NotFound => "not_found",
            Kind::Conflict => "conflict",
            Kind::TooLarge => "too_large",
            Kind::TooManyRequests => "too_many_requests",
            Kind::Storage => "storage",
        }
    }

    /// Every kind, in the order of their HTTP statuses.
    pub const ALL: [Kind; 8] = [
        Kind::BadInput,
        Kind::Unauthenticated,
        Kind::NotPermitted,
        Kind::NotFound,
        Kind::Conflict,
        Kind::TooLarge,
        Kind::TooManyRequests,
        Kind::Storage,
    ];

    /// The kind an API error names, and failing that, its status.
    pub fn from_api(name: &str, status: u16) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .or_else(|| Kind::ALL.into_iter().find(|k| k.http_status() == status))
            .unwrap_or(Kind::Storage)
    }
}

/// A kind crosses the API as its name.
impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl utoipa::PartialSchema for Kind {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "What was refused: bad_input 400, unauthenticated 401, not_permitted 403, not_found 404, conflict 409, too_large 413, too_many_requests 429, storage 503.",
            ))
            .enum_values(Some(Kind::ALL.map(Kind::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for Kind {
    fn name() -> std::borrow::Cow<'static, str> {
        "ErrorKind".into()
    }
}

/// A refused or failed command: a kind and one line saying what was refused
/// and what would be accepted.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    pub kind: Kind,
    /// What happened, in words any front end can show.
    pub message: String,
    /// What to type instead, for the command line only (a web page or an
    /// API client shows the message without it).
    pub hint: Option<String>,
    /// A command run as a draft stops before its commit with the
    /// statement it would record (see `app::Signing::Draft`).
    pub statement: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl fmt::Display) -> Self {
        Error { kind, message: message.to_string(), hint: None, statement: None }
    }
    /// The same error, with a hint for the command line.
    pub fn hint(mut self, hint: impl fmt::Display) -> Self {
        self.hint = Some(hint.to_string());
        self
    }

    /// The stop of a command run as a draft, carrying its statement. Its
    /// kind only matters if it escapes the drafting front end.
    pub fn drafted(statement: String) -> Self {
        Error {
            statement: Some(statement),
            ..Self::conflict("the step was drafted for signing, not taken")
        }
    }

    /// The message and, after it, the hint: the command line's one line.
    pub fn line(&self) -> String {
        match &self.hint {
            Some(hint) => format!("{}; {hint}", self.message),
            None => self.message.clone(),
        }
    }

    pub fn bad_input(message: impl fmt::Display) -> Self {
        Self::new(Kind::BadInput, message)
    }
    pub fn not_permitted(message: impl fmt::Display) -> Self {
        Self::new(Kind::NotPermitted, message)
    }
    pub fn not_found(message: impl fmt::Display) -> Self {
        Self::new(Kind::NotFound, message)
    }
    pub fn conflict(message: impl fmt::Display) -> Self {
        Self::new(Kind::Conflict, message)
    }
    pub fn storage(message: impl fmt::Display) -> Self {
        Self::new(Kind::Storage, message)
    }
    pub fn unauthenticated(message: impl fmt::Display) -> Self {
        Self::new(Kind::Unauthenticated, message)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let message = match err.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                "the database is locked by another process past the busy timeout (RACI_BUSY_TIMEOUT_MS, 5000 ms unless set); nothing was changed, try again".to_string()
            }
            Some(ErrorCode::NotADatabase) => {
                "the file is not a raci database (not SQLite); point --db at a raci database or a new path".to_string()
            }
            Some(ErrorCode::DatabaseCorrupt) => {
                "the database is corrupt; restore it from a `raci db backup` copy".to_string()
            }
            Some(ErrorCode::ReadOnly) => {
                "the database is read-only; raci needs write access to its file and directory".to_string()
            }
            Some(ErrorCode::CannotOpen) => {
                "the database cannot be opened; check that the path and its directory exist and are writable".to_string()
            }
            _ => format!("storage: {err}"),
        };
        Error::storage(message)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::storage(format!("storage: {err}"))
    }
}
