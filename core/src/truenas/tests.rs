use serde_json::json;

use super::*;

#[test]
fn a_validation_error_names_each_field_without_the_schema() {
    let text = json!({"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "Invalid params",
        "data": {"error": 22, "errname": "EINVAL", "reason": "[EINVAL] keychain_credential_create.name: Name must be unique",
                 "extra": [["keychain_credential_create.name", "Name must be unique", 22],
                           ["keychain_credential_create.attributes.host", "Host is required", 22]]}}})
    .to_string();
    let (id, outcome) = reply(&text).unwrap();
    assert_eq!(id, 7);
    let error = outcome.unwrap_err();
    assert_eq!(error.for_field("name"), Some("Name must be unique"));
    assert_eq!(error.for_field("attributes.host"), Some("Host is required"));
    assert_eq!(error.for_field("port"), None);
    assert_eq!(
        error.to_string(),
        "name: Name must be unique; attributes.host: Host is required"
    );
}

#[test]
fn union_members_in_a_path_are_not_fields_and_the_closest_member_is_kept() {
    let error = RpcError::from_error(&json!({"code": -32602, "message": "Invalid params",
        "data": {"extra": [
            ["keychain_credential_create.KeychainCredentialCreateSSHKeyPairEntry.type", "Input should be 'SSH_KEY_PAIR'", 22],
            ["keychain_credential_create.KeychainCredentialCreateSSHKeyPairEntry.attributes.host", "Extra inputs are not permitted", 22],
            ["keychain_credential_create.KeychainCredentialCreateSSHCredentialsEntry.attributes.remote_host_key", "String should have at most 1024 characters", 22]]}}));
    let RpcError::Invalid(fields) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(fields.len(), 1);
    assert_eq!(
        error.for_field("attributes.remote_host_key"),
        Some("String should have at most 1024 characters")
    );
    let tagged = FieldError {
        attribute: "login_data.PASSWORD_PLAIN.password".into(),
        message: "Field required".into(),
    };
    assert_eq!(tagged.field(), "password");
    let top = FieldError {
        attribute: "id".into(),
        message: "Input should be a valid integer".into(),
    };
    assert_eq!(top.field(), "id");
}

#[test]
fn a_call_error_says_its_reason() {
    let error = RpcError::from_error(&json!({"code": -32001, "message": "Method call error",
        "data": {"error": 22, "errname": "EINVAL", "reason": "This credential is used and no cascade option is specified", "extra": null}}));
    assert_eq!(
        error,
        RpcError::Call {
            errname: Some("EINVAL".into()),
            reason: "This credential is used and no cascade option is specified".into()
        }
    );
    assert_eq!(error.for_field("name"), None);
}

#[test]
fn other_errors_and_odd_shapes_still_give_a_message() {
    let missing = RpcError::from_error(&json!({"code": -32601, "message": "Method not found"}));
    assert_eq!(missing.to_string(), "Method not found");
    let bare = RpcError::from_error(&json!({"code": -32602, "message": "Invalid params"}));
    assert_eq!(bare.to_string(), "Invalid params");
    assert_eq!(
        RpcError::from_error(&json!(null)).to_string(),
        "the system refused the request"
    );
}

#[test]
fn results_notifications_and_junk() {
    let ok = json!({"jsonrpc": "2.0", "id": 3, "result": {"hostname": "nas1"}}).to_string();
    assert_eq!(reply(&ok), Some((3, Ok(json!({"hostname": "nas1"})))));
    let void = json!({"jsonrpc": "2.0", "id": 4}).to_string();
    assert_eq!(reply(&void), Some((4, Ok(Value::Null))));
    let event = json!({"jsonrpc": "2.0", "method": "collection_update", "params": {}});
    assert_eq!(reply(&event.to_string()), None);
    assert_eq!(reply("not json"), None);
}

#[test]
fn logins() {
    assert_eq!(
        login_outcome(&json!({"response_type": "SUCCESS"})),
        Login::Success
    );
    assert_eq!(
        login_outcome(&json!({"response_type": "OTP_REQUIRED"})),
        Login::OtpRequired
    );
    for other in ["AUTH_ERR", "EXPIRED", "DENIED", "REDIRECT"] {
        assert_eq!(
            login_outcome(&json!({"response_type": other})),
            Login::Rejected
        );
    }
    assert_eq!(login_outcome(&json!(true)), Login::Rejected);
}

#[test]
fn refusals_get_the_hint_that_fits() {
    assert_eq!(
        refusal_hint("User backup does not exist"),
        Some("Check Username: the user must exist on that system.")
    );
    assert_eq!(
        refusal_hint("Home directory /nonexistent does not exist"),
        Some("Give the user a home directory on that system, then Save again.")
    );
    assert_eq!(refusal_hint("Group backup does not exist"), None);
    assert_eq!(refusal_hint("Permission denied"), None);
}
