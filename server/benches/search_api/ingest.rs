//! Ingest while the API is queried: a task inserts new generated items through the store's
//! insert path (`Store::insert_item`: the item, its customer link, its event, its change-feed
//! entry and its case, one transaction each) at a steady rate, while the server's indexer
//! follows the change feed as in a live server.

use std::sync::Arc;
use std::time::{Duration, Instant};

use switchboard_core::item::{ItemStatus, NewItem, SenderIdentity};
use switchboard_core::link::{LinkKind, LinkOrigin, NewLink};
use switchboard_core::store::{ItemPlacement, Store};
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
                for _ in 0..per_tick {
                    let doc = gen_item(&vocab, &mut rng, (last_id + items + 1) as i64);
                    let (item, placement) = new_item(doc);
                    store.insert_item(&item, &placement).await.unwrap();
                    items += 1;
                }
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

/// A generated item as the pipeline hands it to the store: queued in its queue, linked to its
/// customer.
fn new_item(doc: switchboard_search::index::ItemDoc) -> (NewItem, ItemPlacement) {
    let queue = queue_name(&doc);
    let item = NewItem {
        subject: doc.subject,
        sender: SenderIdentity {
            email: doc.sender_email,
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
