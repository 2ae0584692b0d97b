//! Integration tests: each test starts the real server on 127.0.0.1:0 with its own SQLite
//! database, talks to it over HTTP, and receives its webhooks on a local receiver.
mod support;

mod accounts;
mod bad_input;
mod browser;
mod browser_ways;
mod cli;
mod client;
mod conflicts;
mod consent;
mod console;
mod console_browser;
mod contract;
mod crash;
mod customers;
mod events_api;
mod failover;
mod hardening;
mod integrity;
mod lifecycle;
mod linking;
mod mono_upstream;
mod operations;
mod outages;
mod partners;
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
