//! Integration tests: each test starts the real server on 127.0.0.1:0 with its own SQLite
//! database, talks to it over HTTP, and receives its webhooks on a local receiver.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    reason = "test data and assertions on small, known numbers; the lints hold the shipped code"
)]
mod support;

mod accounts;
mod bad_input;
mod browser;
mod browser_connectors;
mod browser_ways;
mod cli;
mod client;
mod conflicts;
mod connector_settings;
mod consent;
mod console;
mod console_browser;
mod contract;
mod crash;
mod customers;
mod enable_banking;
mod enable_banking_fake;
mod enable_banking_keys;
mod events_api;
mod failover;
mod fault_proxy;
mod hardening;
mod integrity;
mod lifecycle;
mod linking;
mod mono_upstream;
mod operations;
mod outages;
mod partners;
mod port;
mod races;
mod replicas;
mod security;
mod simplefin;
mod simplefin_bridge;
mod simplefin_server;
mod statements;
mod time_travel;
mod uploads;
mod webhooks;
mod widget;
