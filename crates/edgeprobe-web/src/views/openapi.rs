//! `components/schemas` of `schema/openapi.json`, generated from the view types.
//!
//! OpenAPI 3.1's dialect is JSON Schema 2020-12; schemars 0.8 writes draft 2019-09, whose
//! output is the same for everything these types use except where definitions live: they are
//! referenced as `#/components/schemas/<Name>`. The paths, parameters and responses of the
//! document stay hand-written; `examples/gen_openapi.rs` splices these schemas into it and
//! `tests/openapi_spec.rs` checks the committed file equals what it writes.

use std::collections::BTreeMap;

use schemars::gen::SchemaSettings;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde_json::Value;

use super::*;

/// Where generated definitions are referenced from.
pub const REF_PREFIX: &str = "#/components/schemas/";

/// Schemas of `components/schemas` that are still written by hand in `schema/openapi.json`:
/// problem details
/// (`problem`) and the badge endpoint JSON (`badge`). The generator keeps these as they are
/// and refuses a generated schema of the same name. (Check now answers a generated `Round`.)
pub const HAND_WRITTEN: [&str; 3] = ["Problem", "FieldError", "BadgeEndpoint"];

/// Every generated schema, by component name: the response and request bodies and every
/// type they reference (core types such as `Diagnosis` and `CurrentStatus` included).
///
/// Two rules schemars does not know are applied afterwards: every member of a view is
/// `required` (views never skip a member; an absent value is `null`, which their `Option`
/// types document), and integral bounds are written as integers (`1`, not `1.0`).
pub fn component_schemas() -> BTreeMap<String, Value> {
    let mut settings = SchemaSettings::draft2019_09();
    settings.definitions_path = REF_PREFIX.to_string();
    settings.meta_schema = None;
    let mut gen = settings.into_generator();
    let mut views = Vec::new();
    let mut add = |gen: &mut schemars::gen::SchemaGenerator, name: String, schema: Schema| {
        gen.definitions_mut().entry(name.clone()).or_insert(schema);
        views.push(name);
    };
    macro_rules! views {
        ($($t:ty),* $(,)?) => {$(
            let schema = <$t>::json_schema(&mut gen);
            add(&mut gen, <$t>::schema_name(), schema);
        )*};
    }
    views!(
        MonitorView,
        monitor::OriginView,
        monitor::ExpectView,
        monitor::ConfirmationView,
        monitor::MaintenanceWindowView,
        MonitorListItem,
        MonitorList,
        ChannelView,
        ChannelWithSecret,
        channel::ChannelCreated,
        ChannelList,
        StatusView,
        CurrentStatusView,
        NeverProbed,
        history::UnknownHealth,
        RoundView,
        StoredDiagnosis,
        ObservationView,
        RoundList,
        IncidentView,
        history::TimelineEventView,
        IncidentList,
        AnyIncident,
        ManualIncidentView,
        IncidentUpdateView,
        communication::ManualKind,
        history::AutomaticKind,
        MaintenanceWindowItem,
        MaintenanceWindowList,
        RollupView,
        RollupList,
        DeliveryView,
        DeliveryDetail,
        AttemptView,
        DeliveryList,
        Accepted,
        ServiceHealth,
        edgeprobe_core::meter::Report,
    );
    // Request bodies: members may be left out, so `required` is what the types say.
    for (name, schema) in [
        (
            input::MonitorCreate::schema_name(),
            input::MonitorCreate::json_schema(&mut gen),
        ),
        (
            input::MonitorPatch::schema_name(),
            input::MonitorPatch::json_schema(&mut gen),
        ),
        (
            input::ChannelCreate::schema_name(),
            input::ChannelCreate::json_schema(&mut gen),
        ),
        (
            input::ChannelPatch::schema_name(),
            input::ChannelPatch::json_schema(&mut gen),
        ),
        (
            input::IncidentCreate::schema_name(),
            input::IncidentCreate::json_schema(&mut gen),
        ),
        (
            input::IncidentUpdateCreate::schema_name(),
            input::IncidentUpdateCreate::json_schema(&mut gen),
        ),
    ] {
        gen.definitions_mut().insert(name, schema);
    }
    let mut out: BTreeMap<String, Value> = gen
        .take_definitions()
        .into_iter()
        .map(|(name, schema)| {
            (
                name,
                serde_json::to_value(schema).unwrap_or(Value::Bool(false)),
            )
        })
        .collect();
    for name in &views {
        if let Some(Value::Object(s)) = out.get_mut(name) {
            if let Some(Value::Object(props)) = s.get("properties") {
                let all: Vec<Value> = props.keys().cloned().map(Value::String).collect();
                s.insert("required".into(), Value::Array(all));
            }
        }
    }
    out.values_mut().for_each(integral_bounds);
    out
}

/// `minimum`/`maximum` that hold whole numbers become JSON integers (schemars writes `f64`).
fn integral_bounds(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match (k.as_str(), x.as_f64()) {
                    ("minimum" | "maximum", Some(f)) if f.fract() == 0.0 && f.abs() < 9e15 => {
                        *x = Value::from(f as i64)
                    }
                    _ => integral_bounds(x),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(integral_bounds),
        _ => {}
    }
}
