//! §6 service discovery.

use crate::testing::{Harness, assert_stanzas};

#[test]
fn service_identity_and_features() {
    let mut h = Harness::new();
    let out = h.send("<iq type='get' id='d1' from='alice@localhost/pc' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='d1' from='conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/disco#info'>\
               <identity category='conference' type='text' xml:lang='en' name='palaver'/>\
               <feature var='http://jabber.org/protocol/commands'/>\
               <feature var='http://jabber.org/protocol/disco#info'/>\
               <feature var='http://jabber.org/protocol/disco#items'/>\
               <feature var='http://jabber.org/protocol/muc'/>\
               <feature var='urn:xmpp:ping'/>\
             </query></iq>",
        ],
    );
}

#[test]
fn items_list_public_unlocked_rooms_only() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.create_instant("alice@localhost/pc", "secret@conference.localhost", "Alice");
    h.send("<iq type='set' id='c' from='alice@localhost/pc' to='secret@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_publicroom'><value>0</value></field></x></query></iq>");
    // Still locked: not listed.
    h.join("bob@localhost/m", "fresh@conference.localhost/Bob");
    let out = h.send("<iq type='get' id='d2' from='alice@localhost/pc' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='d2' from='conference.localhost' to='alice@localhost/pc'>\
             <query xmlns='http://jabber.org/protocol/disco#items'><item jid='lobby@conference.localhost' name='lobby'/></query></iq>",
        ],
    );
}

#[test]
fn room_info_shows_features_and_roominfo() {
    let mut h = Harness::new();
    h.create_instant("alice@localhost/pc", "lobby@conference.localhost", "Alice");
    h.send("<message type='groupchat' from='alice@localhost/pc' to='lobby@conference.localhost'><subject>Chess</subject></message>");
    let out = h.send("<iq type='get' id='d3' from='bob@localhost/m' to='lobby@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='result' id='d3' from='lobby@conference.localhost' to='bob@localhost/m'>\
             <query xmlns='http://jabber.org/protocol/disco#info'>\
               <identity category='conference' type='text' xml:lang='en' name='lobby'/>\
               <feature var='http://jabber.org/protocol/disco#info'/>\
               <feature var='http://jabber.org/protocol/muc'/>\
               <feature var='http://jabber.org/protocol/muc#request'/>\
               <feature var='http://jabber.org/protocol/muc#self-ping-optimization'/>\
               <feature var='jabber:iq:register'/>\
               <feature var='muc_open'/>\
               <feature var='muc_public'/>\
               <feature var='muc_semianonymous'/>\
               <feature var='muc_temporary'/>\
               <feature var='muc_unmoderated'/>\
               <feature var='muc_unsecured'/>\
               <feature var='urn:palaver:game:0'/>\
               <feature var='urn:xmpp:hats:0'/>\
               <feature var='urn:xmpp:mam:2'/>\
               <feature var='urn:xmpp:mam:2#extended'/>\
               <feature var='urn:xmpp:message-moderate:1'/>\
               <feature var='urn:xmpp:message-retract:1'/>\
               <feature var='urn:xmpp:occupant-id:0'/>\
               <feature var='urn:xmpp:ping'/>\
               <feature var='urn:xmpp:sid:0'/>\
               <x xmlns='jabber:x:data' type='result'>\
                 <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roominfo</value></field>\
                 <field var='muc#roominfo_description' label='Description'><value></value></field>\
                 <field var='muc#roominfo_subject' label='Current Discussion Topic'><value>Chess</value></field>\
                 <field var='muc#roominfo_subjectmod' type='boolean' label='The room subject can be modified by participants'><value>0</value></field>\
                 <field var='muc#roomconfig_changesubject' type='boolean' label='Subject can be modified'><value>0</value></field>\
                 <field var='muc#roominfo_occupants' label='Number of occupants'><value>1</value></field>\
                 <field var='muc#maxhistoryfetch' label='Maximum Number of History Messages Returned by Room'><value>20</value></field>\
               </x>\
             </query></iq>",
        ],
    );
}

#[test]
fn missing_room_is_item_not_found() {
    let mut h = Harness::new();
    let out = h.send("<iq type='get' id='d4' from='bob@localhost/m' to='nowhere@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    assert_stanzas(
        &out,
        &[
            "<iq type='error' id='d4' from='nowhere@conference.localhost' to='bob@localhost/m'>\
             <error type='cancel' by='conference.localhost'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>This room does not exist</text></error>\
             <query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
        ],
    );
}

#[test]
fn items_come_a_page_at_a_time() {
    let mut h = Harness::new();
    let total = super::super::disco::ITEMS_PER_PAGE + 5;
    for i in 0..total {
        h.create_instant(
            "alice@localhost/pc",
            &format!("r{i:03}@conference.localhost"),
            "Alice",
        );
    }
    let items = |out: &[xmpp_parsers::minidom::Element]| -> Vec<String> {
        out[0]
            .children()
            .flat_map(|q| q.children())
            .filter(|c| c.name() == "item")
            .filter_map(|c| c.attr("jid").map(str::to_owned))
            .collect()
    };
    let set = |out: &[xmpp_parsers::minidom::Element]| -> String {
        let q = out[0].children().next().expect("query");
        crate::testing::canonical(
            q.get_child("set", "http://jabber.org/protocol/rsm")
                .expect("a <set/> says the list is paged"),
        )
    };
    // Asked without paging, a list longer than a page is cut to one and says so.
    let out = h.send("<iq type='get' id='p0' from='bob@localhost/m' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    let first = items(&out);
    assert_eq!(first.len(), super::super::disco::ITEMS_PER_PAGE);
    assert_eq!(first[0], "r000@conference.localhost");
    assert_eq!(
        set(&out),
        crate::testing::canonical(&crate::testing::parse(&format!(
            "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>r000@conference.localhost</first>\
             <last>r099@conference.localhost</last><count>{total}</count></set>"
        )))
    );
    // The next page after the last item.
    let out = h.send("<iq type='get' id='p1' from='bob@localhost/m' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>10</max><after>r099@conference.localhost</after></set></query></iq>");
    assert_eq!(
        items(&out),
        (100..total)
            .map(|i| format!("r{i:03}@conference.localhost"))
            .collect::<Vec<_>>()
    );
    // And backwards from the end.
    let out = h.send("<iq type='get' id='p2' from='bob@localhost/m' to='conference.localhost'><query xmlns='http://jabber.org/protocol/disco#items'><set xmlns='http://jabber.org/protocol/rsm'><max>2</max><before/></set></query></iq>");
    assert_eq!(
        items(&out),
        [
            format!("r{:03}@conference.localhost", total - 2),
            format!("r{:03}@conference.localhost", total - 1)
        ]
    );
}
