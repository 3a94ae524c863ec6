//! §17.4: IQs between occupants go through the room without revealing real JIDs.

use crate::testing::{Harness, assert_stanzas, canonical};

#[test]
fn a_request_and_its_reply_are_relayed_under_room_jids() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<iq type='get' id='v1' from='bob@localhost/m' to='lobby@conference.localhost/Alice'><query xmlns='jabber:iq:version'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='get' id='palaver-fwd-1' from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><query xmlns='jabber:iq:version'/></iq>",
        ],
    );
    let out = h.send("<iq type='result' id='palaver-fwd-1' from='alice@localhost/pc' to='lobby@conference.localhost/Bob'><query xmlns='jabber:iq:version'><name>Gajim</name></query></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='v1' from='lobby@conference.localhost/Alice' to='bob@localhost/m'><query xmlns='jabber:iq:version'><name>Gajim</name></query></iq>",
        ],
    );
    // The same reply again is not relayed twice.
    let out = h.send("<iq type='result' id='palaver-fwd-1' from='alice@localhost/pc' to='lobby@conference.localhost/Bob'/>");
    assert!(out.is_empty());
}

#[test]
fn vcards_are_asked_of_the_bare_jid_and_errors_come_back() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<iq type='get' id='vc' from='alice@localhost/pc' to='lobby@conference.localhost/Bob'><vCard xmlns='vcard-temp'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='get' id='palaver-fwd-1' from='lobby@conference.localhost/Alice' to='bob@localhost'><vCard xmlns='vcard-temp'/></iq>",
        ],
    );
    let out = h.send("<iq type='error' id='palaver-fwd-1' from='bob@localhost' to='lobby@conference.localhost/Alice'>\
        <error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
    assert_eq!(out.len(), 1);
    let e = canonical(&out[0]);
    assert!(
        e.contains("id='vc'")
            && e.contains("from='lobby@conference.localhost/Bob'")
            && e.contains("}item-not-found>"),
        "{e}"
    );
}

#[test]
fn strangers_and_impostors_get_nothing_through() {
    let mut h = Harness::lobby_with_alice_and_bob();
    let out = h.send("<iq type='get' id='x' from='eve@localhost/e' to='lobby@conference.localhost/Alice'><query xmlns='jabber:iq:version'/></iq>");
    assert!(canonical(&out[0]).contains("}not-acceptable>"));
    // §6.6: disco from a non-occupant is a bad request, for info and items alike.
    for ns in ["info", "items"] {
        let out = h.send(&format!("<iq type='get' id='d' from='eve@localhost/e' to='lobby@conference.localhost/Alice'><query xmlns='http://jabber.org/protocol/disco#{ns}'/></iq>"));
        assert_stanzas(
            &out,
            &[&format!(
                "<iq type='error' id='d' from='lobby@conference.localhost/Alice' to='eve@localhost/e'>\
                   <error type='modify' by='conference.localhost'><bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
                   <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Only occupants may query other occupants</text></error>\
                   <query xmlns='http://jabber.org/protocol/disco#{ns}'/></iq>"
            )],
        );
    }
    let out = h.send("<iq type='get' id='x' from='bob@localhost/m' to='lobby@conference.localhost/Nobody'><query xmlns='jabber:iq:version'/></iq>");
    assert!(canonical(&out[0]).contains("}item-not-found>"));
    h.send("<iq type='get' id='v1' from='bob@localhost/m' to='lobby@conference.localhost/Alice'><query xmlns='jabber:iq:version'/></iq>");
    // A reply from someone else than the one asked is dropped.
    let out = h.send("<iq type='result' id='palaver-fwd-1' from='eve@localhost/e' to='lobby@conference.localhost/Bob'/>");
    assert!(out.is_empty());
    // The self-ping stays the room's to answer (XEP-0410).
    let out = h.send("<iq type='get' id='sp' from='bob@localhost/m' to='lobby@conference.localhost/Bob'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert!(canonical(&out[0]).contains("type='result'"));
}
