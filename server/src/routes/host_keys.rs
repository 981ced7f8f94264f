use axum::extract::State;
use keyhaven_core::api::{ScanRequest, ScanResult};

use crate::{AppState, Error, auth::Account, json::Json, now_ms};

/// `POST /api/v1/host-keys/scan`: every host key an SSH server offers.
pub(super) async fn scan(
    State(state): State<AppState>,
    account: Account,
    Json(request): Json<ScanRequest>,
) -> Result<axum::Json<ScanResult>, Error> {
    let result = state.scanner.scan(account.id, &request, now_ms()).await?;
    Ok(axum::Json(result))
}
