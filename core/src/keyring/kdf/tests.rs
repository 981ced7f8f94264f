use super::*;

/// Known answers from the reference C implementation (Debian's
/// `argon2` CLI): `echo -n password | argon2 somesaltsomesalt -id -t 2 -k 256 -p 1 -r`
/// and `echo -n "correct horse" | argon2 0123456789abcdef -id -t 3 -k 1024 -p 4 -r`.
#[test]
fn matches_the_reference_implementation() {
    let one_lane = KdfParams {
        memory_kib: 256,
        passes: 2,
        lanes: 1,
    };
    let kek = derive(b"password", b"somesaltsomesalt", one_lane).unwrap();
    assert_eq!(
        hex(kek.expose()),
        "cab746b4621993fdc91ec50787980b414a90a692f0bc68dfe19f9c25b3cba9ec"
    );
    let four_lanes = KdfParams {
        memory_kib: 1024,
        passes: 3,
        lanes: 4,
    };
    let kek = derive(b"correct horse", b"0123456789abcdef", four_lanes).unwrap();
    assert_eq!(
        hex(kek.expose()),
        "8b98585ada6f12f73c4a46b1dc549fb7e19d75762349343a5ee34712157ea3c7"
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn absurd_parameters_are_refused_before_any_work() {
    for params in [
        KdfParams {
            memory_kib: 2 * 1024 * 1024,
            passes: 3,
            lanes: 4,
        },
        KdfParams {
            memory_kib: 65536,
            passes: 11,
            lanes: 4,
        },
        KdfParams {
            memory_kib: 65536,
            passes: 0,
            lanes: 4,
        },
        KdfParams {
            memory_kib: 16,
            passes: 1,
            lanes: 4,
        },
        KdfParams {
            memory_kib: 65536,
            passes: 1,
            lanes: 0,
        },
    ] {
        assert!(
            matches!(derive(b"p", &[0; 16], params), Err(Error::Damaged(_))),
            "{params:?}"
        );
    }
}
