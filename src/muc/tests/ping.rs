//! XEP-0199 and XEP-0410.

use crate::testing::{Harness, assert_stanzas, canonical};

#[test]
fn self_ping_says_whether_one_is_joined() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    let out = h.send("<iq type='get' id='p' from='alice@localhost/pc' to='lobby@conference.localhost/Alice'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='p' from='lobby@conference.localhost/Alice' to='alice@localhost/pc'/>",
        ],
    );
    let out = h.send("<iq type='get' id='q' from='alice@localhost/phone' to='lobby@conference.localhost/Alice'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert!(canonical(&out[0]).contains("not-acceptable"));
    let out = h.send("<iq type='get' id='r' from='alice@localhost/pc' to='conference.localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_stanzas(
        &out,
        &["<iq type='result' id='r' from='conference.localhost' to='alice@localhost/pc'/>"],
    );
}
