//! Ingest while the API is queried: a task writes new generated items at a steady rate as
//! e-mail intake writes what a source hands over: every [`TICK`] the tick's items are landed in
//! one transaction and completed in another (`Store::land_batch`, `Store::complete_inbounds`:
//! the items, their customer links, events, change-feed entries and cases), while the server's
//! indexer follows the change feed as in a live server. `SEARCH_API_INGEST_ONE_BY_ONE=1` writes
//! each item in a transaction of its own instead (`Store::insert_item`), as the task API does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::inbound::NewInbound;
use switchboard_core::item::{ItemStatus, NewItem, SenderIdentity};
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::store::{InboundCompletion, ItemPlacement, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::corpus::{Rng, Vocab, gen_item};
use crate::seed::queue_name;

/// How often a batch of items is inserted.
const TICK: Duration = Duration::from_millis(50);

/// A running ingest task; [`Ingest::stop`] ends it.
pub struct Ingest {
    stop: watch::Sender<bool>,
    join: JoinHandle<Ingested>,
}

/// What an ingest task inserted.
pub struct Ingested {
    pub items: usize,
    pub seconds: f64,
}

impl Ingested {
    pub fn per_second(&self) -> f64 {
        self.items as f64 / self.seconds
    }
}

impl Ingest {
    /// Starts inserting `per_second` new items into `store`, whose generated items end at
    /// `last_id`, in batches every [`TICK`].
    pub fn start(
        store: Arc<dyn Store>,
        vocab: Arc<Vocab>,
        last_id: usize,
        per_second: usize,
    ) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let one_by_one =
            std::env::var("SEARCH_API_INGEST_ONE_BY_ONE").is_ok_and(|value| value == "1");
        let per_tick = (per_second as f64 * TICK.as_secs_f64()).round().max(1.0) as usize;
        let join = tokio::spawn(async move {
            let mut rng = Rng::new(4321);
            let mut ticks = tokio::time::interval(TICK);
            let started = Instant::now();
            let mut items = 0;
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    _ = ticks.tick() => {}
                }
                let tick: Vec<(NewItem, ItemPlacement)> = (0..per_tick)
                    .map(|offset| {
                        new_item(gen_item(
                            &vocab,
                            &mut rng,
                            (last_id + items + offset + 1) as i64,
                        ))
                    })
                    .collect();
                if one_by_one {
                    for (item, placement) in &tick {
                        store.insert_item(item, placement).await.unwrap();
                    }
                } else {
                    write_as_intake(store.as_ref(), &tick).await;
                }
                items += tick.len();
            }
            Ingested {
                items,
                seconds: started.elapsed().as_secs_f64(),
            }
        });
        Self { stop, join }
    }

    /// Stops inserting and says what was inserted.
    pub async fn stop(self) -> Ingested {
        let _ = self.stop.send(true);
        self.join.await.unwrap()
    }
}

/// Lands and completes a tick's items in two transactions, as intake writes a chunk.
async fn write_as_intake(store: &dyn Store, tick: &[(NewItem, ItemPlacement)]) {
    let inbounds: Vec<NewInbound> = tick
        .iter()
        .map(|(item, _)| NewInbound {
            channel: item.channel,
            source: item.source.clone(),
            idem_key: item.source.clone(),
            fingerprint: item.source.clone(),
            blob: item.source.clone(),
            raw: Some(item.text.as_bytes().to_vec()),
            size: i64::try_from(item.text.len()).unwrap_or(i64::MAX),
            received_at: item.received_at,
        })
        .collect();
    let landings = store.land_batch(&inbounds).await.unwrap();
    let completions: Vec<InboundCompletion<'_>> = landings
        .iter()
        .zip(tick)
        .map(|(landing, (item, placement))| InboundCompletion {
            inbound: landing.inbound.id,
            item,
            placement,
            replies_to: None,
        })
        .collect();
    store.complete_inbounds(&completions).await.unwrap();
}

/// A generated item as the pipeline hands it to the store: queued in its queue, linked to its
/// customer.
fn new_item(doc: switchboard_search::index::ItemDoc) -> (NewItem, ItemPlacement) {
    let queue = queue_name(&doc);
    let item = NewItem {
        subject: doc.subject,
        sender: SenderIdentity {
            email: doc.sender.email,
            ..SenderIdentity::default()
        },
        language: doc.language,
        ..NewItem::new(
            doc.channel,
            format!("bench-live:{}", doc.id.get()),
            doc.received_at,
            doc.text,
        )
    };
    let links = doc
        .customer_no
        .map(|number| NewLink {
            kind: LinkKind::Customer,
            evidence: format!("customer number {} in the text", number.as_str()),
            key: number.as_str().to_owned(),
            confidence: 1.0,
            origin: LinkOrigin::Auto,
            applied: true,
        })
        .into_iter()
        .collect();
    let placement = ItemPlacement {
        status: ItemStatus::Queued,
        queue: Some(queue),
        links,
        ..ItemPlacement::default()
    };
    (item, placement)
}
