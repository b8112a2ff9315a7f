//! A customer's reply to a finished item: it joins the item's thread as a new queued item and is
//! offered first to the agent who finished the thread (the router's preferred agent), whose
//! ownership of the done item is kept for that purpose.

use chrono::Utc;
use switchboard_core::event::Actor;
use switchboard_core::item::{Channel, ItemStatus};
use switchboard_core::work::{StatusChange, Worker};
use switchboard_server::pipeline::IngestOutcome;
use switchboard_tests::corpus_pipeline;

use crate::store_routing::{agent, assign};

const QUESTION: &str = "From: Anna de Vries <anna@salon.example.nl>\r\n\
    To: klantenservice@velora.example.nl\r\nSubject: Vraag over mijn levering\r\n\
    Message-ID: <q1@salon.example.nl>\r\nDate: Mon, 3 Mar 2025 09:00:00 +0100\r\n\r\n\
    Waar blijft mijn levering?\r\n";

const ANSWER: &str = "From: Anna de Vries <anna@salon.example.nl>\r\n\
    To: klantenservice@velora.example.nl\r\nSubject: Re: Vraag over mijn levering\r\n\
    Message-ID: <q2@salon.example.nl>\r\nIn-Reply-To: <q1@salon.example.nl>\r\n\
    Date: Wed, 5 Mar 2025 09:00:00 +0100\r\n\r\nHij is er nog steeds niet.\r\n";

#[tokio::test]
async fn a_reply_to_a_done_item_is_queued_in_its_thread_for_the_agent_who_had_it() {
    let folder = tempfile::tempdir().unwrap();
    let (store, pipeline) = corpus_pipeline(folder.path()).await;
    let ingest = |raw: &'static str| {
        let pipeline = &pipeline;
        async move {
            match pipeline
                .ingest_raw(Channel::Email, "test", raw.as_bytes().to_vec())
                .await
                .unwrap()
            {
                IngestOutcome::Ingested { item, .. } => item,
                other => panic!("{other:?}"),
            }
        }
    };
    let first = ingest(QUESTION).await;
    let ann = agent(&store, "ann").await;
    let version = store.item(first).await.unwrap().unwrap().version;
    store
        .apply_decisions(&[assign(first, version, ann)], Utc::now())
        .await
        .unwrap();
    let ann_worker = Worker {
        actor: Actor::User { id: ann },
        name: "ann".into(),
        agent: Some(ann),
        lead: false,
    };
    store
        .change_item_status(
            first,
            StatusChange::Done,
            &ann_worker,
            &switchboard_tests::always_open_sla(),
            Utc::now(),
        )
        .await
        .unwrap();

    let reply = ingest(ANSWER).await;
    let stored = store.item(reply).await.unwrap().unwrap();
    assert_eq!(stored.parent_id, Some(first));
    assert_eq!(
        stored.status,
        ItemStatus::Queued,
        "the conversation is open again"
    );
    let snapshot = store.routing_snapshot(Utc::now()).await.unwrap();
    let waiting = snapshot
        .items
        .iter()
        .find(|item| item.item == reply)
        .unwrap_or_else(|| panic!("the reply waits for routing"));
    assert_eq!(waiting.preferred_agent, Some(ann), "offered first to ann");
}
