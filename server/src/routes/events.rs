//! `GET /api/v1/events`: the account's live changes as server-sent events.
//!
//! `event: changed` with `{"name": "keyring", "tag": "…"}` after each
//! committed write (`tag` null for a deletion, `name` null when some were
//! missed: pull everything). A comment every 15 s keeps proxies from
//! closing an idle stream; `X-Accel-Buffering: no` keeps nginx from
//! holding events back. The stream ends after half an hour, and the
//! browser reconnects with its session checked again.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures::{
    StreamExt,
    stream::{self, Stream},
};
use serde_json::json;
use tokio::time::Instant;

use crate::{
    AppState, Error,
    auth::Account,
    events::{Full, Next, Subscription},
};

/// How long one stream lasts before the browser reconnects.
const STREAM_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// What the browser waits before reconnecting after a drop.
const RETRY: Duration = Duration::from_secs(2);

pub(super) async fn stream(
    State(state): State<AppState>,
    account: Account,
) -> Result<Response, Error> {
    let subscription = state.events.subscribe(account.id).map_err(|full| {
        Error::api(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            match full {
                Full::Account => {
                    "This account has too many open windows listening for changes; close some."
                }
                Full::Server => {
                    "This server has too many open windows listening for changes; try again later."
                }
            },
        )
    })?;
    let mut response = Sse::new(events(subscription))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    let headers = response.headers_mut();
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn events(subscription: Subscription) -> impl Stream<Item = Result<Event, Infallible>> {
    let hello = Event::default().event("ready").retry(RETRY).data("{}");
    let deadline = Instant::now() + STREAM_LIFETIME;
    let changes = stream::unfold(subscription, move |mut subscription| async move {
        let next = tokio::time::timeout_at(deadline, subscription.next())
            .await
            .ok()?;
        let data = match next {
            Next::Changed { name, tag } => json!({"name": name, "tag": tag}),
            Next::Resync => json!({"name": null, "tag": null}),
            Next::Closed => return None,
        };
        let event = Event::default().event("changed").data(data.to_string());
        Some((Ok(event), subscription))
    });
    stream::once(async move { Ok(hello) }).chain(changes)
}
