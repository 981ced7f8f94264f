use super::*;
use crate::Error;

#[test]
fn truenas_attributes_map_to_the_forms_fields() {
    assert_eq!(Field::from_truenas("name"), Some(Field::Name));
    assert_eq!(
        Field::from_truenas("attributes.remote_host_key"),
        Some(Field::RemoteHostKey)
    );
    assert_eq!(
        Field::from_truenas("otp_token"),
        Some(Field::OneTimePassword)
    );
    assert_eq!(Field::from_truenas("attributes.cipher"), None);
}

#[test]
fn a_refusal_says_its_field_and_reads_as_the_forms_say_it() {
    let error = Error::field(Field::Username, Reason::Required);
    assert_eq!(error.about(), Some(Field::Username));
    assert_eq!(error.to_string(), "Username is required");
    let error = Error::field(
        Field::ConnectTimeout,
        Reason::ConnectTimeoutRange { max: 300 },
    );
    assert_eq!(
        error.to_string(),
        "Enter a Connect Timeout between 1 and 300 seconds."
    );
    assert_eq!(Error::WrongPassphrase.about(), None);
    assert_eq!(
        Error::Key(crate::KeyProblem::Mismatch).about(),
        Some(Field::PublicKey)
    );
    assert_eq!(
        Error::Key(crate::KeyProblem::Missing).about(),
        Some(Field::PrivateKey)
    );
}
