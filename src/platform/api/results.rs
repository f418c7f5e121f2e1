//! Reading handlers: status, results, incidents, rollups. (Being written.)
use super::{ApiResult, Ctx};
use crate::core::problem::ApiError;
fn pending() -> ApiResult { Err(ApiError::Internal { log_detail: "not implemented yet".into() }) }
pub async fn status(_ctx: Ctx) -> ApiResult { pending() }
pub async fn results(_ctx: Ctx) -> ApiResult { pending() }
pub async fn incidents(_ctx: Ctx) -> ApiResult { pending() }
pub async fn incident(_ctx: Ctx) -> ApiResult { pending() }
pub async fn rollups(_ctx: Ctx) -> ApiResult { pending() }
