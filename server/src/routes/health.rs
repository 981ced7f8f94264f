use axum::{Json, extract::State};
use keyhaven_core::api::Health;

use crate::{AppState, Error};

/// 200 when the store answers; 503 (as a JSON error) when it does not.
pub(super) async fn get(State(state): State<AppState>) -> Result<Json<Health>, Error> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}
