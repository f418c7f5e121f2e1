//! Delivery handlers: channel test-send, delivery log, re-drive. (Being written.)
use super::{ApiResult, Ctx};
use crate::core::problem::ApiError;
fn pending() -> ApiResult { Err(ApiError::Internal { log_detail: "not implemented yet".into() }) }
pub async fn test_channel(_ctx: Ctx) -> ApiResult { pending() }
pub async fn list_for_channel(_ctx: Ctx) -> ApiResult { pending() }
pub async fn get(_ctx: Ctx) -> ApiResult { pending() }
pub async fn redrive(_ctx: Ctx) -> ApiResult { pending() }
