//! Incident communication: manual incidents (`POST /api/v1/incidents`) and operator updates
//! (`POST /api/v1/incidents/{id}/updates`). The core decides (`core::communication`: which
//! update an incident takes, `web::validate::incident`: the bodies); this checks what only
//! storage knows (the incident, the monitors named), writes, and republishes the public
//! documents at once so the update shows on the status page and feeds without waiting for the
//! cron (see [`republish`]). Updates never notify alert channels (docs/status-page.md).

use serde_json::Value;

use super::{ok, ApiResult, Ctx};
use crate::store::{communication, history};
use crate::{env, http, publish};
use edgeprobe_core::communication::{decide_update, IncidentUpdate, ManualIncident, Target};
use edgeprobe_web::problem::{ApiError, FieldError};
use edgeprobe_web::validate::{validate_new_incident, validate_update};
use edgeprobe_web::views::{AnyIncident, IncidentView, ManualIncidentView};

/// How many times a republish waits for a rebuild another run holds (the cron's), 250 ms
/// apart; after that the cron's next run (within a minute) shows the change.
const REPUBLISH_TRIES: usize = 20;

/// Rebuilds the public documents now. A rebuild already running may have read the facts
/// before this write, so a held lease is waited for (bounded) rather than skipped.
pub(super) async fn republish(ctx: &Ctx) {
    for _ in 0..REPUBLISH_TRIES {
        match publish::rebuild(&ctx.env, env::now()).await {
            Ok(r) if !r.skipped => return,
            Ok(_) => worker::Delay::from(std::time::Duration::from_millis(250)).await,
            Err(e) => {
                // The write is done; the cron's next run publishes it.
                worker::console_error!("republish after an incident update: {e}");
                return;
            }
        }
    }
}

/// An incident of either kind with its updates, as the API shows it.
async fn view(ctx: &Ctx, found: history::AnyStored) -> Result<AnyIncident, ApiError> {
    let db = ctx.db()?;
    let updates = communication::updates_of(&db, &[found.id()])
        .await
        .map_err(http::unavailable("incident updates"))?;
    Ok(match found {
        history::AnyStored::Automatic(i) => AnyIncident::Automatic(Box::new(
            IncidentView::new(i.incident, i.opened_at, i.closed_at).with_updates(updates),
        )),
        history::AnyStored::Manual(m) => {
            AnyIncident::Manual(Box::new(ManualIncidentView::new(m, updates)))
        }
    })
}

/// Several incidents with their updates: one query for all updates.
pub(super) async fn views(
    ctx: &Ctx,
    found: Vec<history::AnyStored>,
) -> Result<Vec<AnyIncident>, ApiError> {
    let ids: Vec<&str> = found.iter().map(history::AnyStored::id).collect();
    let mut updates = communication::updates_of(&ctx.db()?, &ids)
        .await
        .map_err(http::unavailable("incident updates"))?;
    Ok(found
        .into_iter()
        .map(|f| {
            let (mine, rest): (Vec<_>, Vec<_>) =
                updates.drain(..).partition(|u| u.incident_id == f.id());
            updates = rest;
            match f {
                history::AnyStored::Automatic(i) => AnyIncident::Automatic(Box::new(
                    IncidentView::new(i.incident, i.opened_at, i.closed_at).with_updates(mine),
                )),
                history::AnyStored::Manual(m) => {
                    AnyIncident::Manual(Box::new(ManualIncidentView::new(m, mine)))
                }
            }
        })
        .collect())
}

async fn load(ctx: &Ctx) -> Result<history::AnyStored, ApiError> {
    let id = ctx.param("id");
    history::incident(&ctx.db()?, &id)
        .await
        .map_err(http::unavailable("incident get"))?
        .ok_or(ApiError::NotFound {
            kind: "incident",
            id,
        })
}

/// `GET /api/v1/incidents/{id}`: either kind, with its updates.
pub async fn get(ctx: Ctx) -> ApiResult {
    let found = load(&ctx).await?;
    ok(http::json(&view(&ctx, found).await?, 200))
}

/// `POST /api/v1/incidents`: opens a manual incident with its first update (201, `Location`).
pub async fn create(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let new = validate_new_incident(&body).map_err(ApiError::Validation)?;
    let db = ctx.db()?;
    let found = communication::existing_monitors(&db, &new.monitor_ids)
        .await
        .map_err(http::unavailable("monitors get"))?;
    let missing: Vec<FieldError> = new
        .monitor_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(id))
        .map(|(i, _)| {
            FieldError::new(
                format!("/monitor_ids/{i}"),
                "no monitor with this id exists",
            )
        })
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    let (incident, first) =
        ManualIncident::open(env::new_id("inc"), env::new_id("upd"), new, ctx.now);
    communication::insert_manual(&db, &incident, &first)
        .await
        .map_err(http::unavailable("incident insert"))?;
    republish(&ctx).await;
    let body = ManualIncidentView::new(incident.clone(), vec![first]);
    let resp = ok(http::json(&body, 201))?;
    let location = format!("/api/v1/incidents/{}", incident.id);
    ok(resp.headers().set("location", &location).map(|_| resp))
}

/// `POST /api/v1/incidents/{id}/updates`: an operator update (201 with the incident as it is
/// now). Refusals (`resolved` on an automatic incident the checks still see failing, anything
/// on a resolved manual incident) are 422 naming `/state`.
pub async fn post_update(mut ctx: Ctx) -> ApiResult {
    let body: Value = http::read_json(&mut ctx.req).await?;
    let checked = validate_update(&body);
    let found = load(&ctx).await?;
    let (state, message) = checked.map_err(ApiError::Validation)?;
    let refused = |why: edgeprobe_core::communication::Refused| {
        ApiError::Validation(vec![FieldError::new("/state", why.detail())])
    };
    let update = IncidentUpdate {
        id: env::new_id("upd"),
        incident_id: found.id().to_string(),
        at: ctx.now,
        state,
        message,
    };
    let db = ctx.db()?;
    match &found {
        history::AnyStored::Automatic(i) => {
            decide_update(
                Target::Automatic {
                    open: i.closed_at.is_none(),
                },
                state,
            )
            .map_err(refused)?;
            communication::add_update(&db, &update)
                .await
                .map_err(http::unavailable("incident update"))?;
        }
        history::AnyStored::Manual(m) => {
            let target = Target::Manual {
                resolved: m.closed_at.is_some(),
            };
            let applied = decide_update(target, state).map_err(refused)?;
            let mut after = m.clone();
            after.apply(applied, ctx.now);
            let written = communication::add_manual_update(&db, &update, &after)
                .await
                .map_err(http::unavailable("incident update"))?;
            if !written {
                // Resolved by another writer between the read and this write.
                return Err(refused(
                    edgeprobe_core::communication::Refused::AlreadyResolved,
                ));
            }
        }
    }
    republish(&ctx).await;
    let now = load(&ctx).await?;
    ok(http::json(&view(&ctx, now).await?, 201))
}
