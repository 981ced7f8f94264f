//! Saving text as a file the user downloads (recovery codes, keys): a Blob
//! URL clicked from an `<a download>`, revoked right after.

use wasm_bindgen::JsCast;

pub fn text_file(name: &str, text: &str) {
    save(name, text, "text/plain");
}

/// A key file under exactly `name`: as `application/octet-stream`, since
/// Chromium appends `.txt` to an extension-less `text/plain` download.
pub fn key_file(name: &str, text: &str) {
    save(name, text, "application/octet-stream");
}

fn save(name: &str, text: &str, mime: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(link) = document
        .create_element("a")
        .ok()
        .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok())
    {
        link.set_href(&url);
        link.set_download(name);
        link.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}
