//! The one integration-test binary: drives the built `raci` through the
//! contract of PRODUCT.md, a temp database per test.

mod common;
mod contract;

mod authority;
mod browser;
mod files;
mod formats;
mod help;
mod html;
mod ledger;
mod matrix;
mod onboarding;
mod openapi;
mod operations;
mod pages;
mod refusals;
mod reliability;
mod remote;
mod reports;
mod serve;
mod sidedoors;
mod signing;
mod storage;
mod text;
