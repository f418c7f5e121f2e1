//! Public pages: status page and badges. (Being written.)
use super::{ApiResult, Ctx};
use crate::core::problem::ApiError;
fn pending() -> ApiResult { Err(ApiError::Internal { log_detail: "not implemented yet".into() }) }
pub async fn status_index(_ctx: Ctx) -> ApiResult { pending() }
pub async fn status_monitor(_ctx: Ctx) -> ApiResult { pending() }
pub async fn badge_svg(_ctx: Ctx) -> ApiResult { pending() }
pub async fn badge_json(_ctx: Ctx) -> ApiResult { pending() }
