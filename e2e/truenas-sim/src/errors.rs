//! TrueNAS's JSON-RPC error objects: codes, `-32001`'s errno fields and
//! `-32602`'s `data.extra` as the middleware shapes them.

use serde_json::{Value, json};

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const CALL_ERROR: i64 = -32001;

pub fn error(code: i64, message: &str, data: Value) -> Value {
    json!({"code": code, "message": message, "data": data})
}

/// `-32601`, as TrueNAS words it for a method it lacks (or a private one
/// asked for on a versioned endpoint).
pub fn no_such_method(method: &str) -> Value {
    error(
        METHOD_NOT_FOUND,
        "Method does not exist",
        json!({"error": 22, "errname": "EINVAL", "reason": format!("Method {method:?} not found"),
               "trace": null, "extra": null}),
    )
}

/// `-32001 Method call error` with TrueNAS's errno fields.
pub fn call_error(errno: i64, errname: &str, reason: &str) -> Value {
    error(
        CALL_ERROR,
        "Method call error",
        json!({"error": errno, "errname": errname, "reason": reason, "trace": null, "extra": null}),
    )
}

/// `-32602 Invalid params` with one validation error per attribute.
pub fn invalid(errors: &[(String, String)]) -> Value {
    let reason: String = errors
        .iter()
        .map(|(attribute, message)| format!("[EINVAL] {attribute}: {message}\n"))
        .collect();
    let extra: Vec<Value> = errors
        .iter()
        .map(|(attribute, message)| json!([attribute, message, 22]))
        .collect();
    error(
        INVALID_PARAMS,
        "Invalid params",
        json!({"error": 22, "errname": "EINVAL", "reason": reason, "trace": null, "extra": extra}),
    )
}

/// `-32602` on one attribute (the plugins' own checks after the schema's).
pub fn validation(attribute: &str, message: &str) -> Value {
    invalid(&[(attribute.to_owned(), message.to_owned())])
}
