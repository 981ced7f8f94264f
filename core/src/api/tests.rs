use super::*;

#[test]
fn error_body_has_the_documented_shape() {
    let json = serde_json::to_value(ErrorBody::new("not_found", "No such blob.")).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"error": {"code": "not_found", "message": "No such blob."}})
    );
}

#[test]
fn credentials_never_print_the_password() {
    let credentials: Credentials =
        serde_json::from_str(r#"{"username":"ana","password":"hunter2hunter2"}"#).unwrap();
    let debug = format!("{credentials:?}");
    assert!(
        debug.contains("ana") && !debug.contains("hunter2"),
        "{debug}"
    );
}

#[test]
fn scan_requests_default_to_port_22_and_ten_seconds() {
    let request: ScanRequest = serde_json::from_str(r#"{"host":"nas2.lan"}"#).unwrap();
    assert_eq!((request.port, request.timeout_secs), (22, 10));
    assert!(serde_json::from_str::<ScanRequest>(r#"{"host":"h","port":70000}"#).is_err());
}
