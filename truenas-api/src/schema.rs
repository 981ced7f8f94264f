//! The part of JSON Schema that TrueNAS's generated schemas use, read with
//! Pydantic's strict rules and worded as Pydantic words its errors (the
//! middleware passes those words on as `-32602`'s `data.extra`).

use serde_json::{Map, Value};

/// One entry of a refusal: the dotted attribute (`keychain_credential_update.attributes.private_key`)
/// and Pydantic's message for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub attribute: String,
    pub message: String,
}

/// The `LongString` fields: exempt from the 1024-character limit. The
/// schemas can't say which fields these are; the middleware's models do.
const LONG_STRINGS: &[&str] = &["private_key", "public_key", "sshpubkey"];

/// The API's `str_max_length`.
const MAX_STRING: usize = 1024;

/// Checks a call's positional `params` against its `…Args` schema: each
/// element is the property at the same place, in the schema's order.
pub(crate) fn check_params(schema: &Value, params: &[Value]) -> Vec<Violation> {
    let names = property_order(schema);
    let mut checker = Checker {
        defs: schema.get("$defs").and_then(Value::as_object),
        violations: Vec::new(),
    };
    if params.len() > names.len() {
        checker.violations.push(Violation {
            attribute: String::new(),
            message: format!(
                "Too many arguments (expected {}, found {})",
                names.len(),
                params.len()
            ),
        });
        return checker.violations;
    }
    let required = required(schema);
    for (i, name) in names.iter().enumerate() {
        let loc = vec![name.clone()];
        match params.get(i) {
            Some(value) => checker.check(&schema["properties"][name], value, &loc),
            None if required.contains(&name.as_str()) => checker.missing(&loc),
            None => {}
        }
    }
    checker.violations
}

/// The args' property names in parameter order. The generated files list
/// properties alphabetically, but `required` keeps the model's order, and
/// the middleware's optional parameters all come after the required ones
/// (`api_key.update` is `[id, api_key_update]`, `replication.list_datasets`
/// `[transport, ssh_credentials]`).
fn property_order(schema: &Value) -> Vec<String> {
    let Some(properties) = schema["properties"].as_object() else {
        return Vec::new();
    };
    let required = required(schema);
    let mut names: Vec<String> = required.iter().map(|n| (*n).to_owned()).collect();
    names.extend(
        properties
            .keys()
            .filter(|n| !required.contains(&n.as_str()))
            .cloned(),
    );
    names
}

fn required(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

struct Checker<'a> {
    defs: Option<&'a Map<String, Value>>,
    violations: Vec<Violation>,
}

impl<'a> Checker<'a> {
    fn push(&mut self, loc: &[String], message: impl Into<String>) {
        self.violations.push(Violation {
            attribute: loc.join("."),
            message: message.into(),
        });
    }

    fn missing(&mut self, loc: &[String]) {
        self.push(loc, "Field required");
    }

    fn resolve(&self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => reference
                .strip_prefix("#/$defs/")
                .and_then(|name| self.defs?.get(name))
                .unwrap_or(&Value::Null),
            None => schema,
        }
    }

    fn check(&mut self, schema: &'a Value, value: &Value, loc: &[String]) {
        let schema = self.resolve(schema);
        if let Some(members) = schema.get("anyOf").and_then(Value::as_array) {
            return self.any_of(members, value, loc);
        }
        if let Some(members) = schema.get("oneOf").and_then(Value::as_array) {
            return self.tagged(schema, members, value, loc);
        }
        if let Some(expected) = schema.get("const") {
            if value != expected {
                self.push(loc, format!("Input should be {}", quoted(expected)));
            }
            return;
        }
        if let Some(choices) = schema.get("enum").and_then(Value::as_array) {
            if !choices.contains(value) {
                self.push(loc, format!("Input should be {}", one_of(choices)));
            }
            return;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => self.string(schema, value, loc),
            Some("integer") => self.integer(schema, value, loc),
            Some("boolean") if !value.is_boolean() => {
                self.push(loc, "Input should be a valid boolean");
            }
            Some("null") if !value.is_null() => self.push(loc, "Input should be None"),
            Some("array") => match value.as_array() {
                None => self.push(loc, "Input should be a valid list"),
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let mut at = loc.to_vec();
                        at.push(i.to_string());
                        self.check(schema.get("items").unwrap_or(&Value::Null), item, &at);
                    }
                }
            },
            Some("object") => self.object(schema, value, loc),
            _ => {}
        }
    }

    fn string(&mut self, schema: &Value, value: &Value, loc: &[String]) {
        let Some(text) = value.as_str() else {
            return self.push(loc, "Input should be a valid string");
        };
        let length = text.chars().count();
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64)
            && (length as u64) < min
        {
            let plural = if min == 1 { "" } else { "s" };
            return self.push(
                loc,
                format!("String should have at least {min} character{plural}"),
            );
        }
        let exempt = loc
            .last()
            .is_some_and(|f| LONG_STRINGS.contains(&f.as_str()));
        let max = schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .or((!exempt).then_some(MAX_STRING as u64));
        if let Some(max) = max
            && length as u64 > max
        {
            self.push(loc, format!("String should have at most {max} characters"));
        }
    }

    fn integer(&mut self, schema: &Value, value: &Value, loc: &[String]) {
        // Strict: a JSON float (even 22.0), a string or a boolean is no integer.
        let Some(n) = value
            .as_i64()
            .map(i128::from)
            .or(value.as_u64().map(i128::from))
        else {
            return self.push(loc, "Input should be a valid integer");
        };
        if let Some(min) = schema.get("minimum").and_then(Value::as_i64)
            && n < i128::from(min)
        {
            self.push(
                loc,
                format!("Input should be greater than or equal to {min}"),
            );
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_i64)
            && n > i128::from(max)
        {
            self.push(loc, format!("Input should be less than or equal to {max}"));
        }
    }

    fn object(&mut self, schema: &'a Value, value: &Value, loc: &[String]) {
        let Some(fields) = value.as_object() else {
            let message = match schema.get("title").and_then(Value::as_str) {
                Some(model) if schema.get("properties").is_some() => {
                    format!("Input should be a valid dictionary or instance of {model}")
                }
                _ => "Input should be a valid dictionary".to_owned(),
            };
            return self.push(loc, message);
        };
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return; // a free-form dict (`extra` of query options)
        };
        let at = |name: &str| {
            let mut at = loc.to_vec();
            at.push(name.to_owned());
            at
        };
        for name in required(schema) {
            if !fields.contains_key(name) {
                self.missing(&at(name));
            }
        }
        for (name, field) in fields {
            match properties.get(name) {
                Some(property) => self.check(property, field, &at(name)),
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    self.push(&at(name), "Extra inputs are not permitted");
                }
                None => {}
            }
        }
    }

    /// `anyOf`: `X | None` is X that may be null (no extra path element);
    /// a real union reports each member's errors under its label, as
    /// Pydantic does, unless one member accepts the value.
    fn any_of(&mut self, members: &'a [Value], value: &Value, loc: &[String]) {
        let not_null: Vec<&Value> = members
            .iter()
            .filter(|m| m.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        let nullable = not_null.len() < members.len();
        if value.is_null() && nullable {
            return;
        }
        if let [only] = not_null.as_slice() {
            return self.check(only, value, loc);
        }
        let mut all = Vec::new();
        for member in not_null {
            let mut trial = Checker {
                defs: self.defs,
                violations: Vec::new(),
            };
            let mut at = loc.to_vec();
            at.push(self.label(member));
            trial.check(member, value, &at);
            if trial.violations.is_empty() {
                return;
            }
            all.extend(trial.violations);
        }
        self.violations.extend(all);
    }

    /// A member's label in an error's path: a model's class name, or the
    /// Python type.
    fn label(&self, member: &Value) -> String {
        let resolved = self.resolve(member);
        if let Some(title) = resolved.get("title").and_then(Value::as_str)
            && member.get("$ref").is_some()
        {
            return title.to_owned();
        }
        match resolved.get("type").and_then(Value::as_str) {
            Some("string") => "str",
            Some("integer") => "int",
            Some("boolean") => "bool",
            Some("object") => "dict",
            Some("array") => "list",
            _ => "any",
        }
        .to_owned()
    }

    /// `oneOf` with a discriminator: the tag picks the member, and the
    /// tag's value joins the path.
    fn tagged(&mut self, schema: &'a Value, members: &'a [Value], value: &Value, loc: &[String]) {
        let discriminator = &schema["discriminator"];
        let Some(property) = discriminator["propertyName"].as_str() else {
            return self.any_of(members, value, loc);
        };
        let Some(fields) = value.as_object() else {
            return self.push(loc, "Input should be a valid dictionary");
        };
        let mapping = discriminator["mapping"].as_object();
        let Some(tag) = fields.get(property) else {
            let mut at = loc.to_vec();
            at.push(property.to_owned());
            return self.missing(&at);
        };
        let target = tag.as_str().and_then(|t| mapping?.get(t)).map(|reference| {
            members
                .iter()
                .find(|m| m.get("$ref") == Some(reference))
                .unwrap_or(&Value::Null)
        });
        match target {
            Some(member) => {
                let mut at = loc.to_vec();
                at.push(tag.as_str().unwrap_or_default().to_owned());
                self.check(member, value, &at);
            }
            None => {
                let expected: Vec<String> = mapping
                    .map(|m| m.keys().map(|k| format!("'{k}'")).collect())
                    .unwrap_or_default();
                self.push(
                    loc,
                    format!(
                        "Input tag {} found using '{property}' does not match any of the expected tags: {}",
                        quoted(tag),
                        expected.join(", ")
                    ),
                );
            }
        }
    }
}

fn quoted(value: &Value) -> String {
    match value {
        Value::String(s) => format!("'{s}'"),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

/// `'A', 'B' or 'C'`, as Pydantic lists a literal's choices.
fn one_of(choices: &[Value]) -> String {
    let words: Vec<String> = choices.iter().map(quoted).collect();
    match words.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => words.concat(),
    }
}
