//! raci: a tracker for managed-appliance installations that enforces a RACI
//! matrix. The domain decides, the store remembers, the app runs each command
//! in one transaction, and the CLI turns arguments into requests and views
//! into text.

pub mod api;
pub mod app;
pub mod cli;
pub mod domain;
pub mod error;
pub mod output;
pub mod report;
pub mod server;
pub mod store;
pub mod view;
