//! The API's response bodies as types: every JSON body a handler sends is one of these (or a
//! core type they embed), serialized by serde, and `components/schemas` of
//! `schema/openapi.json` is generated from the same types by schemars ([`openapi`]), so the
//! document cannot drift from what is served.
//!
//! Views are built from domain types (`From`/constructors) and own only presentation: units
//! of the API (seconds, minutes, RFC 3339 times), write-only members left out (a channel's URL
//! and secret), derived members (a rollup's uptime). They decide nothing and do no I/O.
//! Doc comments on the members become the schema's descriptions; limits come from
//! `validate::limits` so the documented bounds are the validator's.
//!
//! Layout:
//! - [`monitor`]: a monitor as GET/POST/PATCH answer it.
//! - [`channel`]: a channel, without its URL or secret.
//! - [`history`]: the reading endpoints: status, rounds, incidents, rollups.
//! - [`delivery`]: deliveries and their attempts; the 202 `Accepted` body.
//! - [`service`]: the health document.
//! - [`time`]: [`Rfc3339`], how every view writes a time.
//! - [`input`]: the request bodies, documented as types (the validator parses them).
//! - [`openapi`]: the generated `components/schemas`.

/// Declares a paged list body, `{"items": [...], "next_cursor": "..." | null}`, documented as
/// `$name` in the OpenAPI components.
macro_rules! paged_list {
    ($(#[$doc:meta])* $list:ident of $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
        pub struct $list {
            pub items: Vec<$item>,
            /// Pass as ?cursor= for the next page; null on the last page.
            pub next_cursor: Option<String>,
        }

        impl $list {
            pub fn new(items: Vec<$item>, next: Option<&crate::validate::Cursor>) -> $list {
                $list {
                    items,
                    next_cursor: crate::views::next_cursor(next),
                }
            }
        }
    };
}

pub mod channel;
pub mod communication;
pub mod delivery;
pub mod history;
pub mod input;
pub mod monitor;
pub mod openapi;
pub mod service;
pub mod time;

pub use channel::{
    channel_view, kind_name, ChannelCreated, ChannelList, ChannelView, ChannelWithSecret,
};
pub use communication::{
    AnyIncident, IncidentUpdateView, MaintenanceWindowItem, MaintenanceWindowList,
    ManualIncidentView,
};
pub use delivery::{Accepted, AttemptView, DeliveryDetail, DeliveryList, DeliveryView};
pub use history::{
    CurrentStatusView, IncidentList, IncidentView, NeverProbed, ObservationView, RollupList,
    RollupView, RoundList, RoundView, StatusView, StoredDiagnosis, TimelineEventView,
};
pub use monitor::{monitor_view, MonitorList, MonitorListItem, MonitorView};
pub use service::ServiceHealth;
pub use time::Rfc3339;

use crate::validate::{encode_cursor, Cursor};

/// A page's `next_cursor`: pass as `?cursor=` for the next page; `None` on the last page.
pub fn next_cursor(next: Option<&Cursor>) -> Option<String> {
    next.map(encode_cursor)
}
