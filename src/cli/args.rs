//! The command line, as clap sees it. Arguments are parsed straight into the
//! domain's validated values, so a malformed name, date or choice is refused
//! here (exit 2) before any command runs.

use std::path::PathBuf;
use std::str::FromStr;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};

use crate::domain::operations::{Environment, Severity, Step};
use crate::domain::rules::{Topic, Verb};
use crate::domain::values::{Day, Id, Text};
use crate::domain::{Party, Role};
use crate::error::Error;
use crate::output::Format;

/// A parser for one of a closed set of names, listing them in help and errors.
fn one_of<T>(names: &'static [&'static str]) -> impl TypedValueParser<Value = T>
where
    T: FromStr<Err = Error> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(names).try_map(|s| s.parse::<T>())
}

const AFTER_LONG_HELP: &str = "\
Exit status:
  0  done
  2  bad input: unknown flag, malformed date, empty or invalid name, no --as for a write
  3  not permitted: the acting person's party or role may not do this (the message names who may)
  4  not found: installation, task, person, item, cycle, ticket or inbox event
  5  conflict: the state does not allow it (predecessor open, checklist incomplete, duplicate ID, already signed off)
  6  storage: the database is unreadable, corrupt, locked past the timeout, or from a newer raci

Environment:
  RACI_DB               the database file (as --db)
  RACI_AS               the person acting (as --as)
  RACI_NOW              an RFC 3339 time that stands in for the clock
  RACI_BUSY_TIMEOUT_MS  how long to wait for another writer (default 5000)
  RACI_SERVER           run against this raci server (as --server)
  RACI_TOKEN            the personal token for the server (else the one `raci login` stored)
  RACI_CA_CERT          a PEM file of the CA certificates a server's certificate may chain to
  RACI_SIGN_WITH        the SSH key that signs writes (as --sign-with; empty: none)
  RACI_SSH_KEYGEN       the ssh-keygen to sign with (default: the one on the PATH)
  COLUMNS               the width tables fit (default: the terminal's, when printing to one)
  NO_COLOR              no colour in tables";

/// Track managed-appliance installations through their RACI matrix.
///
/// Every step is signed off by the party (and, where the matrix names one,
/// the role) that the matrix makes Responsible or Accountable; anything else
/// is refused and changes nothing.
#[derive(Debug, Parser)]
#[command(
    name = "raci",
    version,
    propagate_version = true,
    arg_required_else_help = true,
    max_term_width = 100,
    after_long_help = AFTER_LONG_HELP
)]
pub struct Cli {
    /// The database file [default: the platform data directory, e.g. ~/.local/share/raci/raci.db]
    #[arg(long, global = true, env = "RACI_DB", hide_env_values = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The person acting (their handle); required by every write. A subscriber's person reads only their subscriber's installations
    #[arg(
        long = "as",
        global = true,
        env = "RACI_AS",
        hide_env_values = true,
        value_name = "HANDLE"
    )]
    pub acting: Option<Id>,

    /// How reads are printed, and what writes recorded
    #[arg(long, global = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Run the command against this raci server (e.g. https://raci.example.com) instead of a local database
    #[arg(long, global = true, env = "RACI_SERVER", hide_env_values = true, value_name = "URL")]
    pub server: Option<String>,

    /// Tables: every column, nothing truncated, full timestamps (on a terminal, tables otherwise fit its width)
    #[arg(long, global = true)]
    pub wide: bool,

    /// Sign the write with this SSH key: a private key file, or a public key whose private half is in ssh-agent (raci asks ssh-keygen; it never reads a private key) [env: RACI_SIGN_WITH]
    #[arg(long, global = true, value_name = "KEY")]
    sign_with: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The key that signs writes: `--sign-with`, else `RACI_SIGN_WITH`
    /// unless it is empty (set empty, it turns signing off).
    pub fn sign_with(&self) -> Option<PathBuf> {
        self.sign_with.clone().or_else(|| {
            std::env::var_os("RACI_SIGN_WITH").filter(|v| !v.is_empty()).map(PathBuf::from)
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the database (idempotent)
    Init,
    /// Fill the database with sample installations in every stage, then print the outstanding report
    Demo {
        /// How many installations (existing ones are kept)
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        installations: u32,
    },
    /// The RACI matrix of the template
    Matrix,
    /// People of both parties
    #[command(subcommand)]
    Person(PersonCommand),
    /// Appliance installations
    #[command(subcommand)]
    Installation(InstallationCommand),
    /// Every task of one installation: state, who holds R and A, whose move it is, due date
    Status {
        /// The installation
        id: Id,
    },
    /// Move a task through its states
    #[command(subcommand)]
    Task(TaskCommand),
    /// The checklist items inside tasks
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// The operations handover meeting
    #[command(subcommand)]
    Handover(HandoverCommand),
    /// Update cycles after the handover
    #[command(subcommand)]
    Update(UpdateCommand),
    /// Backups the subscriber has taken
    #[command(subcommand)]
    Backups(BackupsCommand),
    /// Support tickets: the subscriber opens and closes, the vendor resolves
    #[command(subcommand)]
    Ticket(TicketCommand),
    /// The audit trail of one installation, oldest first
    Log {
        /// The installation
        id: Id,
    },
    /// Reports across every installation
    #[command(subcommand)]
    Report(ReportCommand),
    /// Events your party is to be Informed of, unread first
    #[command(args_conflicts_with_subcommands = true)]
    Inbox {
        /// Only the events not yet marked read
        #[arg(long)]
        unread: bool,
        /// At most N events
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        limit: Option<u32>,
        #[command(subcommand)]
        command: Option<InboxCommand>,
    },
    /// The tracker's own database: check it, back it up
    #[command(subcommand)]
    Db(DbCommand),
    /// Shell completions on stdout
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The man page (roff) on stdout
    Man,
    /// Serve the API and the pages over this database
    Serve {
        /// Where to listen; a non-loopback address needs TLS in front
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
        listen: std::net::SocketAddr,
        /// The certificate chain (PEM), to serve HTTPS
        #[arg(long, requires = "tls_key", value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM)
        #[arg(long, requires = "tls_cert", value_name = "PEM")]
        tls_key: Option<PathBuf>,
        /// A TLS proxy is in front: cookies are Secure, the client's address is X-Forwarded-For's last hop
        #[arg(long)]
        behind_proxy: bool,
    },
    /// Sign in to a server and store a personal token for it (mode 0600)
    Login {
        /// Your handle
        #[arg(long, required_unless_present = "invite")]
        handle: Option<Id>,
        /// Redeem an invitation code instead: set your password, then sign in
        #[arg(long, value_name = "CODE", conflicts_with = "handle")]
        invite: Option<String>,
    },
    /// Revoke the token stored for the server, and forget it
    Logout,
    /// The acting person
    Whoami,
    /// Personal tokens for the API
    #[command(subcommand)]
    Token(TokenCommand),
    /// Whether your organisation requires signed steps (administrators)
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Sign a task step where raci is not installed: request a statement, apply its signature
    #[command(subcommand)]
    Offline(OfflineCommand),
    /// Files for auditors, verifiable without raci
    #[command(subcommand)]
    Export(ExportCommand),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// From now on, your organisation's steps need a valid signature (`on` needs an active key of yours)
    RequireSignatures {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
}

/// The task verbs signed offline (`due` takes a date, set online).
const OFFLINE_VERBS: &[&str] =
    &["start", "submit", "signoff", "reject", "waive", "block", "unblock", "reopen", "comment"];

#[derive(Debug, Subcommand)]
pub enum OfflineCommand {
    /// Print the statement of a task step for HANDLE to sign with `ssh-keygen -Y sign -n raci-step@v1 -f KEY FILE`
    Request {
        /// The installation
        id: Id,
        /// The task
        task: String,
        /// The verb
        #[arg(value_parser = one_of::<Verb>(OFFLINE_VERBS))]
        verb: Verb,
        /// Who signs (and so takes) the step
        #[arg(long = "for", value_name = "HANDLE")]
        signer: Id,
        /// A note
        #[arg(long, conflicts_with = "reason")]
        note: Option<Text>,
        /// The reason (reject, waive, block, reopen) or the comment's text
        #[arg(long, visible_alias = "text")]
        reason: Option<Text>,
        /// Days until the statement expires [default: 7; at most 90]
        #[arg(long, value_name = "N")]
        expires_days: Option<u32>,
    },
    /// Check the signature and record the step as its signer's
    Apply {
        /// The statement, as `offline request` wrote it
        statement: PathBuf,
        /// Its signature, as `ssh-keygen -Y sign` wrote it (STATEMENT.sig)
        signature: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Each signed step of an installation as N.json and N.json.sig, for `ssh-keygen -Y verify`
    Signatures {
        /// The installation
        id: Id,
        /// The directory to write to (created if missing)
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Add an OpenSSH public key (ed25519, ECDSA, RSA of 3072 bits or more, or an sk- hardware key)
    Add {
        /// Whose key: yourself, or a person you administer
        handle: Id,
        /// The public key line, e.g. "ssh-ed25519 AAAA… comment" (the contents of a .pub file)
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Your keys and those of the people you administer, revoked ones too (needs --as)
    List {
        /// Only this person's
        handle: Option<Id>,
    },
    /// Revoke a key: steps it signed while active stay valid
    Revoke {
        /// Whose key
        handle: Id,
        /// Its fingerprint, as `person key list` shows it (SHA256:…)
        fingerprint: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token, printed once
    Create {
        /// What it is for
        #[arg(long)]
        name: Option<Text>,
        /// Days until it expires [default: 90]
        #[arg(long, value_name = "N")]
        expires_days: Option<u32>,
        /// It may read, never change
        #[arg(long)]
        read_only: bool,
    },
    /// Your tokens in force
    List,
    /// Revoke a token by its ID
    Revoke {
        /// The token's ID, as `token list` shows it
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Every move a party owes, oldest first: who holds each one up
    Outstanding {
        /// Only this party's moves
        #[arg(long, value_parser = one_of::<Party>(Party::NAMES))]
        party: Option<Party>,
        /// Only this subscriber's installations
        #[arg(long, value_name = "NAME")]
        subscriber: Option<Text>,
        /// Only this installation
        #[arg(long)]
        installation: Option<Id>,
    },
    /// Open tasks past their due date, and installations overdue for an update (90 days)
    Overdue,
    /// Installations whose last backup is older than N days, or with none since the handover
    StaleBackups {
        /// Days
        #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(i64).range(0..=36_500))]
        older_than: i64,
    },
    /// How long the next move lay with each party, and how long it was blocked
    Clocks {
        /// Only this installation
        #[arg(long)]
        installation: Option<Id>,
        /// Rows per task, or per installation (each moment counted once per party)
        #[arg(long, value_enum, default_value_t = ClocksBy::Task)]
        by: ClocksBy,
    },
    /// One self-contained HTML page with all of the above
    Html {
        /// Write the page to FILE instead of stdout; to DIR/ (a path ending in `/`, or a
        /// directory), an index page and each subscriber's installations in pages of 500
        #[arg(long, value_name = "FILE|DIR/")]
        output: Option<PathBuf>,
        /// Only this subscriber's installations
        #[arg(long, value_name = "NAME")]
        subscriber: Option<Text>,
        /// Installations per page of a site written to DIR/ (for tests and trials)
        #[arg(long, value_name = "N", default_value_t = crate::report::html::PAGE_SIZE, hide = true, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        page_size: usize,
    },
}

/// What `report clocks` has a row for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClocksBy {
    Task,
    Installation,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// SQLite's integrity and foreign-key checks and the audit chain; exit 6 when not sound
    Check,
    /// Copy the database through SQLite's online backup API (safe while others write)
    Backup {
        /// Where to write the copy (a file there is replaced)
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Mark events read: the IDs given, or every unread one
    Ack {
        /// Event IDs
        ids: Vec<i64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Add a person of the vendor or of a subscriber
    Add {
        /// Their handle, used with --as
        handle: Id,
        #[arg(long, value_parser = one_of::<Party>(Party::NAMES))]
        party: Party,
        #[arg(long, value_parser = one_of::<Role>(Role::NAMES))]
        role: Role,
        /// Their full name
        #[arg(long)]
        name: Option<Text>,
        #[arg(long)]
        email: Option<Text>,
        /// The subscriber a subscriber's person belongs to (required for them, refused for the vendor's)
        #[arg(long, value_name = "NAME")]
        subscriber: Option<Text>,
        /// Bind the person to an OS account: acting as them is then refused from any other account
        #[arg(long, value_name = "OS_USER")]
        login: Option<Id>,
        /// An administrator of their organisation (the database's first person always is)
        #[arg(long)]
        admin: bool,
    },
    /// Change a person's role, admin flag, name, email or login (party and subscriber never change)
    Set {
        /// The person's handle
        handle: Id,
        #[arg(long, value_parser = one_of::<Role>(Role::NAMES))]
        role: Option<Role>,
        /// Whether they administer their organisation
        #[arg(long, value_name = "BOOL", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
        admin: Option<bool>,
        /// Their full name
        #[arg(long, value_name = "TEXT")]
        name: Option<Text>,
        /// Their email address
        #[arg(long, value_name = "TEXT")]
        email: Option<Text>,
        /// Bind the person to this OS account
        #[arg(long, value_name = "OS_USER", conflicts_with = "no_login")]
        login: Option<Id>,
        /// Remove the person's OS account binding
        #[arg(long)]
        no_login: bool,
    },
    /// Deactivate a person: they can no longer act; their history stays
    Deactivate {
        /// The person's handle
        handle: Id,
        /// Why (required; kept in the audit log)
        #[arg(long)]
        reason: Text,
    },
    /// A one-time code (valid 72 hours) for the person to set their password
    Invite {
        /// Their handle
        handle: Id,
    },
    /// Reactivate a deactivated person
    Reactivate {
        /// The person's handle
        handle: Id,
    },
    /// Everyone, by handle (a subscriber's person sees the vendor's people and their own)
    List,
    /// People's SSH keys, for signed steps
    #[command(subcommand)]
    Key(KeyCommand),
    /// The OpenSSH allowed_signers file of every active key, for `ssh-keygen -Y verify`
    AllowedSigners {
        /// Revoked keys too, valid before their revocation (verify old steps with -Overify-time)
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum InstallationCommand {
    /// Add an installation; its tasks and checklist items come from the template
    Add {
        /// The installation's ID
        id: Id,
        /// The subscriber it belongs to
        #[arg(long, value_name = "NAME")]
        subscriber: Text,
        /// The appliance's own ID
        #[arg(long, value_name = "TEXT")]
        appliance_id: Option<Text>,
    },
    /// Add many installations from a CSV file (columns id, subscriber, appliance_id), all or nothing
    Import {
        /// The CSV file, with a header row
        file: PathBuf,
    },
    /// Retire an installation (vendor administrators): it takes no more changes and leaves the reports
    Retire {
        /// The installation
        id: Id,
        /// Why (required; kept in the audit log)
        #[arg(long)]
        reason: Text,
    },
    /// Bring a retired installation back (vendor administrators)
    Unretire {
        /// The installation
        id: Id,
    },
    /// Every installation, by ID
    List {
        /// Include retired installations
        #[arg(long)]
        all: bool,
    },
}

/// The installation and task a step acts on.
#[derive(Debug, Args)]
pub struct Target {
    /// The installation
    pub id: Id,
    /// The task, as `raci matrix` names it (e.g. infrastructure)
    pub task: Id,
}

#[derive(Debug, Args)]
pub struct WithNote {
    #[command(flatten)]
    pub target: Target,
    /// A note for the audit log
    #[arg(long)]
    pub note: Option<Text>,
}

#[derive(Debug, Args)]
pub struct WithReason {
    #[command(flatten)]
    pub target: Target,
    /// Why (required; kept in the audit log)
    #[arg(long)]
    pub reason: Text,
}

#[derive(Debug, Subcommand)]
pub enum TaskCommand {
    /// pending → in_progress (Responsible; predecessors signed off or waived)
    Start(WithNote),
    /// in_progress → submitted (Responsible; every checklist item checked)
    Submit(WithNote),
    /// submitted → signed_off (Accountable, or Responsible where no one is)
    Signoff(WithNote),
    /// submitted → in_progress (Accountable, or Responsible where no one is)
    Reject(WithReason),
    /// pending or in_progress → waived (Accountable, or Responsible where no one is)
    Waive(WithReason),
    /// an open state → blocked (Responsible or Accountable)
    Block(WithReason),
    /// blocked → the state it was in (Responsible or Accountable)
    Unblock(WithNote),
    /// signed_off or waived → in_progress (Accountable, or Responsible where no one is)
    Reopen(WithReason),
    /// Add a comment (any party with a letter on the task)
    Comment {
        #[command(flatten)]
        target: Target,
        /// The comment
        text: Text,
    },
    /// Set or move the due date (Responsible or Accountable)
    Due {
        #[command(flatten)]
        target: Target,
        /// The date, YYYY-MM-DD
        date: Day,
    },
}

impl TaskCommand {
    /// The verb, its target, and its text (note, reason or comment) and date.
    pub fn parts(&self) -> (Verb, &Target, Option<&Text>, Option<Day>) {
        match self {
            TaskCommand::Start(a) => (Verb::Start, &a.target, a.note.as_ref(), None),
            TaskCommand::Submit(a) => (Verb::Submit, &a.target, a.note.as_ref(), None),
            TaskCommand::Signoff(a) => (Verb::Signoff, &a.target, a.note.as_ref(), None),
            TaskCommand::Unblock(a) => (Verb::Unblock, &a.target, a.note.as_ref(), None),
            TaskCommand::Reject(a) => (Verb::Reject, &a.target, Some(&a.reason), None),
            TaskCommand::Waive(a) => (Verb::Waive, &a.target, Some(&a.reason), None),
            TaskCommand::Block(a) => (Verb::Block, &a.target, Some(&a.reason), None),
            TaskCommand::Reopen(a) => (Verb::Reopen, &a.target, Some(&a.reason), None),
            TaskCommand::Comment { target, text } => (Verb::Comment, target, Some(text), None),
            TaskCommand::Due { target, date } => (Verb::Due, target, None, Some(*date)),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// The items of an installation, or of one of its tasks
    Show {
        /// The installation
        id: Id,
        /// Only this task's items
        task: Option<Id>,
    },
    /// Check items (their owning party, while the task is in_progress); all or nothing
    Check(CheckArgs),
    /// Uncheck items (their owning party, while the task is in_progress); all or nothing
    Uncheck(ItemArgs),
}

#[derive(Debug, Args)]
pub struct ItemArgs {
    #[command(flatten)]
    pub target: Target,
    /// The items, as `raci checklist show` names them
    #[arg(required = true, value_name = "ITEM")]
    pub items: Vec<Id>,
    /// A note for the audit log and the checklist
    #[arg(long)]
    pub note: Option<Text>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub target: Target,
    /// The items, as `raci checklist show` names them
    #[arg(required_unless_present = "all", value_name = "ITEM")]
    pub items: Vec<Id>,
    /// Every unchecked item of the task that your party owns
    #[arg(long, conflicts_with = "items")]
    pub all: bool,
    /// A note for the audit log and the checklist
    #[arg(long)]
    pub note: Option<Text>,
}

#[derive(Debug, Subcommand)]
pub enum HandoverCommand {
    /// Record the operations handover (vendor); signs off the handover task
    Record {
        /// The installation
        id: Id,
        /// The day the meeting was held, YYYY-MM-DD
        #[arg(long)]
        held_on: Day,
        /// How long it lasted (at least 90)
        #[arg(long, value_parser = clap::value_parser!(u32).range(0..=1440))]
        minutes: u32,
        /// A person who attended (repeat; at least one of each party)
        #[arg(long = "attendee", value_name = "HANDLE", required = true)]
        attendees: Vec<Id>,
        /// A topic covered (repeat; monitoring, backup and updates are all required)
        #[arg(long = "topic", value_name = "TOPIC", value_parser = one_of::<Topic>(Topic::NAMES))]
        topics: Vec<Topic>,
    },
    /// The handover meetings recorded for an installation, oldest first
    Show {
        /// The installation
        id: Id,
    },
}

#[derive(Debug, Subcommand)]
pub enum UpdateCommand {
    /// Start a new update cycle (vendor; after the handover, one open cycle at a time)
    #[command(disable_version_flag = true)]
    Start {
        /// The installation
        id: Id,
        /// The release being applied
        #[arg(long)]
        version: Text,
        /// A note for the audit log
        #[arg(long)]
        note: Option<Text>,
    },
    /// Record a step: snapshot, access (subscriber), dev-updated (vendor),
    /// dev-tested (subscriber), prod-updated (vendor), in that order
    Step {
        /// The installation
        id: Id,
        /// The cycle's number
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        cycle: i64,
        #[arg(value_parser = one_of::<Step>(Step::NAMES))]
        step: Step,
        /// A note for the audit log
        #[arg(long)]
        note: Option<Text>,
    },
    /// The subscriber's test found a problem (on development, or on production
    /// while accepting): back to the vendor
    Fail {
        /// The installation
        id: Id,
        /// The cycle's number
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        cycle: i64,
        /// What the test found (required; kept in the audit log)
        #[arg(long)]
        reason: Text,
    },
    /// The subscriber accepts the cycle (after prod-updated)
    Signoff {
        /// The installation
        id: Id,
        /// The cycle's number
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        cycle: i64,
        /// A note for the audit log
        #[arg(long)]
        note: Option<Text>,
    },
    /// Abandon an open cycle (vendor); a new one can then be started
    Cancel {
        /// The installation
        id: Id,
        /// The cycle's number
        #[arg(value_parser = clap::value_parser!(i64).range(1..))]
        cycle: i64,
        /// Why (required; kept in the audit log)
        #[arg(long)]
        reason: Text,
    },
    /// Every cycle of an installation
    List {
        /// The installation
        id: Id,
    },
}

#[derive(Debug, Subcommand)]
pub enum BackupsCommand {
    /// Record a backup taken (subscriber)
    Record {
        /// The installation
        id: Id,
        /// The day it was taken, YYYY-MM-DD (not in the future)
        #[arg(long)]
        taken_on: Day,
        /// A note for the audit log
        #[arg(long)]
        note: Option<Text>,
    },
    /// Every recorded backup of an installation, newest first
    List {
        /// The installation
        id: Id,
    },
}

#[derive(Debug, Subcommand)]
pub enum TicketCommand {
    /// Open a ticket (subscriber; urgent only on production)
    Open {
        /// The installation
        id: Id,
        /// The ticket's reference, e.g. the Support Center's number
        reference: Id,
        #[arg(long, value_parser = one_of::<Severity>(Severity::NAMES))]
        severity: Severity,
        #[arg(long, value_parser = one_of::<Environment>(Environment::NAMES))]
        environment: Environment,
        /// What is wrong
        #[arg(long)]
        summary: Text,
    },
    /// Mark a ticket resolved (vendor)
    Resolve(TicketNote),
    /// Close a resolved ticket once the fix is confirmed (subscriber)
    Close(TicketNote),
    /// Reopen a resolved ticket: the fix did not hold (subscriber)
    Reopen {
        /// The installation
        id: Id,
        /// The ticket's reference
        reference: Id,
        /// Why (required; kept in the audit log)
        #[arg(long)]
        reason: Text,
    },
    /// Comment on a ticket (either party)
    Comment {
        /// The installation
        id: Id,
        /// The ticket's reference
        reference: Id,
        /// The comment
        text: Text,
    },
    /// Every ticket of an installation
    List {
        /// The installation
        id: Id,
    },
}

#[derive(Debug, Args)]
pub struct TicketNote {
    /// The installation
    pub id: Id,
    /// The ticket's reference
    pub reference: Id,
    /// A note for the audit log
    #[arg(long)]
    pub note: Option<Text>,
}
