//! §7.13 requesting voice, §8.6 approving it.

use crate::testing::{Harness, assert_stanzas, canonical};

const ROOM: &str = "lobby@conference.localhost";

fn moderated_with_visitor_bob() -> Harness {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", ROOM, "Alice");
    h.send(&format!(
        "<iq type='set' id='c' from='alice@localhost/pc' to='{ROOM}'><query xmlns='http://jabber.org/protocol/muc#owner'>\
           <x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>"
    ));
    h.join("bob@localhost/m", "lobby@conference.localhost/Bob");
    h
}

const REQUEST: &str = "<message from='bob@localhost/m' to='lobby@conference.localhost'>\
    <x xmlns='jabber:x:data' type='submit'>\
      <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>\
      <field var='muc#role' type='list-single'><value>participant</value></field>\
    </x></message>";

#[test]
fn a_visitors_request_reaches_the_moderators_and_approval_grants_voice() {
    let mut h = moderated_with_visitor_bob();
    let out = h.send(REQUEST);
    assert_stanzas(
        &out,
        &[
            "<message from='lobby@conference.localhost' to='alice@localhost/pc'>\
             <x xmlns='jabber:x:data' type='form'><title>Voice request</title>\
               <instructions>To approve this request for voice, select the &quot;Grant voice to this person?&quot; checkbox and click OK. To skip this request, click the cancel button.</instructions>\
               <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#request</value></field>\
               <field var='muc#role' type='list-single' label='Requested role'><option label='Participant'><value>participant</value></option><value>participant</value></field>\
               <field var='muc#jid' type='jid-single' label='User ID'><value>bob@localhost/m</value></field>\
               <field var='muc#roomnick' label='Room Nickname'><value>Bob</value></field>\
               <field var='muc#request_allow' type='boolean' label='Grant voice to this person?'><value>false</value></field>\
             </x></message>",
        ],
    );
    let approve = "<message from='alice@localhost/pc' to='lobby@conference.localhost'>\
        <x xmlns='jabber:x:data' type='submit'>\
          <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>\
          <field var='muc#role'><value>participant</value></field>\
          <field var='muc#jid'><value>bob@localhost/m</value></field>\
          <field var='muc#roomnick'><value>Bob</value></field>\
          <field var='muc#request_allow'><value>true</value></field>\
        </x></message>";
    let out = h.send(approve);
    assert_stanzas(
        &out,
        &[
            "<presence from='lobby@conference.localhost/Bob' to='alice@localhost/pc'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <item affiliation='none' role='participant' jid='bob@localhost/m'><actor nick='Alice'/></item></x></presence>",
            "<presence from='lobby@conference.localhost/Bob' to='bob@localhost/m'><priority>0</priority><x xmlns='http://jabber.org/protocol/muc#user'>\
               <status code='110'/><item affiliation='none' role='participant'><actor nick='Alice'/></item></x></presence>",
        ],
    );
    // Bob now speaks; a second request is refused since he has voice.
    let out = h.send("<message type='groupchat' id='g' from='bob@localhost/m' to='lobby@conference.localhost'><body>thanks</body></message>");
    assert_eq!(out.len(), 2);
    let out = h.send(REQUEST);
    assert!(canonical(&out[0]).contains("}not-acceptable>"));
}

#[test]
fn only_moderators_approve_and_a_denial_changes_nothing() {
    let mut h = moderated_with_visitor_bob();
    h.join("carol@localhost/c", "lobby@conference.localhost/Carol");
    let decision = |from: &str, allow: &str| {
        format!(
            "<message from='{from}' to='lobby@conference.localhost'><x xmlns='jabber:x:data' type='submit'>\
               <field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field>\
               <field var='muc#roomnick'><value>Bob</value></field>\
               <field var='muc#request_allow'><value>{allow}</value></field></x></message>"
        )
    };
    let out = h.send(&decision("carol@localhost/c", "true"));
    assert!(
        canonical(&out[0]).contains("}forbidden>"),
        "{}",
        canonical(&out[0])
    );
    let out = h.send(&decision("alice@localhost/pc", "false"));
    assert!(out.is_empty());
    // A non-occupant cannot ask.
    let out = h.send(&REQUEST.replace("bob@localhost/m", "eve@localhost/e"));
    assert!(canonical(&out[0]).contains("}not-acceptable>"));
}
