//! The pure domain: parties, roles, the matrix, task states and the rules of
//! who may move a task where. No SQL and no clap here: the store loads the
//! matrix from the database and the CLI validates raw input into the values
//! defined in `values`.

pub mod authority;
pub mod ledger;
pub mod matrix;
pub mod moves;
pub mod operations;
pub mod records;
pub mod replay;
pub mod rules;
pub mod signing;
pub mod values;

/// Declares a closed set of names, each with its stable spelling on the
/// command line, in JSON and in the database; the API's schema of one is a
/// string enum of those spellings. (A spelling is matched as a `tt`, not a
/// `literal`, so that utoipa's derive sees the string in `rename`.)
macro_rules! names {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize, ::utoipa::ToSchema)]
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable spellings, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The accepted spellings, for error messages.
            pub fn accepted() -> String {
                Self::NAMES.join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::error::Error;
            fn from_str(s: &str) -> Result<Self, $crate::error::Error> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::error::Error::bad_input(format!(
                        "unknown {} {:?}; expected one of: {}",
                        $what,
                        s,
                        $name::accepted()
                    ))),
                }
            }
        }
    };
}
pub(crate) use names;

names!(
    /// How an event came: the local command line, the API (the remote CLI
    /// included) or the web pages.
    #[derive(Default)]
    Channel, "channel" {
        #[default]
        Cli => "cli",
        Api => "api",
        Web => "web",
    }
);

names!(
    /// The two sides of every installation.
    Party, "party" {
        Vendor => "vendor",
        Subscriber => "subscriber",
    }
);

impl Party {
    pub fn other(self) -> Party {
        match self {
            Party::Vendor => Party::Subscriber,
            Party::Subscriber => Party::Vendor,
        }
    }
}

names!(
    /// The roles people hold; each belongs to one party.
    Role, "role" {
        CustomerSuccessEngineer => "customer-success-engineer",
        SupportEngineer => "support-engineer",
        InfrastructureEngineer => "infrastructure-engineer",
        Administrator => "administrator",
        ApplicationDeveloper => "application-developer",
    }
);

impl Role {
    pub fn party(self) -> Party {
        match self {
            Role::CustomerSuccessEngineer | Role::SupportEngineer => Party::Vendor,
            Role::InfrastructureEngineer | Role::Administrator | Role::ApplicationDeveloper => {
                Party::Subscriber
            }
        }
    }

    /// The roles of one party, for error messages.
    pub fn of(party: Party) -> String {
        Role::of_names(party).join(", ")
    }

    /// The roles of one party, by name.
    pub fn of_names(party: Party) -> Vec<&'static str> {
        Role::ALL.iter().filter(|r| r.party() == party).map(|r| r.as_str()).collect()
    }
}

names!(
    /// The states of a one-shot task. `Recurring` marks the four rows whose
    /// work is update cycles and tickets rather than one pass.
    TaskState, "state" {
        Pending => "pending",
        InProgress => "in_progress",
        Submitted => "submitted",
        SignedOff => "signed_off",
        Waived => "waived",
        Blocked => "blocked",
        Recurring => "recurring",
    }
);

impl TaskState {
    /// Done states: a successor may start once its predecessors are here.
    pub fn is_done(self) -> bool {
        matches!(self, TaskState::SignedOff | TaskState::Waived)
    }

    /// States from which a task can be blocked.
    pub fn is_open(self) -> bool {
        matches!(self, TaskState::Pending | TaskState::InProgress | TaskState::Submitted)
    }
}

names!(
    /// The letters of the RACI matrix.
    Letter, "letter" {
        R => "R",
        A => "A",
        C => "C",
        I => "I",
    }
);
