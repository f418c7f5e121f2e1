//! Monitor handlers: CRUD and "check now". (Being written.)
use super::{ApiResult, Ctx};
use crate::core::problem::ApiError;
fn pending() -> ApiResult { Err(ApiError::Internal { log_detail: "not implemented yet".into() }) }
pub async fn list(_ctx: Ctx) -> ApiResult { pending() }
pub async fn create(_ctx: Ctx) -> ApiResult { pending() }
pub async fn get(_ctx: Ctx) -> ApiResult { pending() }
pub async fn update(_ctx: Ctx) -> ApiResult { pending() }
pub async fn delete(_ctx: Ctx) -> ApiResult { pending() }
pub async fn check_now(_ctx: Ctx) -> ApiResult { pending() }
