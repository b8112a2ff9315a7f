//! Search behaviour of the tantivy index: language stemming, identifier normalisation,
//! filters, paging, snippets, AND/OR.

#[path = "index_support.rs"]
mod index_support;

use chrono::{TimeZone, Utc};
use index_support::{customer, hits, item, item_hit, open, order};
use switchboard_core::item::{Channel, ItemStatus, Language};
use switchboard_core::{CustomerNo, QueueId};
use switchboard_search::index::{
    Change, DocKind, HitId, IndexConfig, IndexHandle, MAX_COUNT, MasterChange, MatchMode,
    SearchQuery, SearchResults, SnippetField,
};

#[test]
fn words_are_stemmed_in_the_item_language() {
    let (_dir, index) = open();
    index
        .apply(vec![
            (
                1,
                Change::Upsert(item(
                    1,
                    Some(Language::Dutch),
                    "Vraag",
                    "Waar blijft mijn bestelling?",
                )),
            ),
            (
                2,
                Change::Upsert(item(
                    2,
                    Some(Language::German),
                    "Frage",
                    "Die Lieferung ist nicht angekommen.",
                )),
            ),
            (
                3,
                Change::Upsert(item(
                    3,
                    Some(Language::English),
                    "Question",
                    "Two deliveries were late.",
                )),
            ),
            (
                4,
                Change::Upsert(item(
                    4,
                    Some(Language::French),
                    "Question",
                    "Mes commandes sont en retard.",
                )),
            ),
            (
                5,
                Change::Upsert(item(5, None, "Vraag", "de bestellingen zonder taal")),
            ),
        ])
        .unwrap();
    index.commit().unwrap();

    let items = |q: &str| hits(&index, &SearchQuery::new(q).kind(DocKind::Item));
    let mut plural = items("bestellingen");
    plural.sort_by_key(|hit| format!("{hit:?}"));
    assert_eq!(plural, vec![item_hit(1), item_hit(5)]);
    assert_eq!(items("bestelling"), vec![item_hit(1)]);
    assert_eq!(items("Lieferungen"), vec![item_hit(2)]);
    assert_eq!(items("delivery"), vec![item_hit(3)]);
    assert_eq!(items("commande"), vec![item_hit(4)]);
    // Without a language the text is not stemmed: only the form as written matches it.
    assert_eq!(items("bestellingen zonder"), vec![item_hit(5)]);
}

#[test]
fn identifiers_are_found_however_they_are_written() {
    let (_dir, index) = open();
    index
        .update_master(vec![
            MasterChange::UpsertCustomer(customer("0000104321", "Bakkerij Jansen B.V.")),
            MasterChange::UpsertCustomer(customer("0000104999", "Kapsalon Noord")),
            MasterChange::UpsertOrder(order("4500012345", "0000104321")),
        ])
        .unwrap();
    let mut mail = item(
        7,
        Some(Language::Dutch),
        "Status order",
        "Waar blijft order 45 0001 2345?",
    );
    mail.sender.phone = Some("+31235551234".to_owned());
    index.apply(vec![(1, Change::Upsert(mail))]).unwrap();
    index.commit().unwrap();

    let bakery = HitId::Customer(CustomerNo::new("0000104321"));
    let customers = |q: &str| hits(&index, &SearchQuery::new(q).kind(DocKind::Customer));
    for q in [
        "0000104321",
        "104321",
        "+31 23 555 1234",
        "023-5551234",
        "0031 23 5551234",
        "(023) 555 12 34",
        "1234 AB",
        "1234ab",
        "1234AB",
        "info@bakkerij-jansen.nl",
        "bakkerij-jansen.nl",
        "jansen",
    ] {
        assert_eq!(customers(q), vec![bakery.clone()], "{q}");
    }

    let orders = |q: &str| hits(&index, &SearchQuery::new(q).kind(DocKind::Order));
    let order_hit = vec![HitId::Order(switchboard_core::OrderNo::new("4500012345"))];
    for q in [
        "4500012345",
        "PO-2024/117",
        "po2024117",
        "jjd000390007",
        "JJD-000390007",
        "22509999",
    ] {
        assert_eq!(orders(q), order_hit, "{q}");
    }

    let items = |q: &str| hits(&index, &SearchQuery::new(q).kind(DocKind::Item));
    for q in ["4500012345", "45 0001 2345", "023 555 1234"] {
        assert_eq!(items(q), vec![item_hit(7)], "{q}");
    }

    // Across kinds the customer comes first for its own number.
    let all = hits(&index, &SearchQuery::new("104321"));
    assert_eq!(all.first(), Some(&bakery));
}

#[test]
fn filters_narrow_items() {
    let (_dir, index) = open();
    let mut batch = Vec::new();
    for id in 1..=8_i64 {
        let mut doc = item(
            id,
            Some(Language::Dutch),
            "Retour",
            "Ik wil dit retour sturen",
        );
        doc.channel = if id % 2 == 0 {
            Channel::Fax
        } else {
            Channel::Email
        };
        doc.status = if id <= 4 {
            ItemStatus::Queued
        } else {
            ItemStatus::Done
        };
        doc.customer_no = (id <= 2).then(|| CustomerNo::new("0000104321"));
        doc.queue_id = Some(QueueId::new(id % 3));
        batch.push((id, Change::Upsert(doc)));
    }
    index.apply(batch).unwrap();
    index.commit().unwrap();

    let ids = |query: SearchQuery| -> Vec<i64> {
        let mut ids: Vec<i64> = hits(&index, &query)
            .into_iter()
            .map(|hit| match hit {
                HitId::Item(id) => id.get(),
                other => panic!("not an item: {other:?}"),
            })
            .collect();
        ids.sort_unstable();
        ids
    };
    let base = || SearchQuery::new("retour").kind(DocKind::Item);
    assert_eq!(
        ids(SearchQuery {
            channels: vec![Channel::Fax],
            ..base()
        }),
        vec![2, 4, 6, 8]
    );
    assert_eq!(
        ids(SearchQuery {
            statuses: vec![ItemStatus::Done],
            channels: vec![Channel::Email],
            ..base()
        }),
        vec![5, 7]
    );
    assert_eq!(
        ids(SearchQuery {
            customer_no: Some(CustomerNo::new("104321")),
            ..base()
        }),
        vec![1, 2]
    );
    assert_eq!(
        ids(SearchQuery {
            queue: Some(QueueId::new(0)),
            ..base()
        }),
        vec![3, 6]
    );
    // Items arrive an hour apart from 2026-01-01T01:00Z (see index_support::item).
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 3, 0, 0).unwrap();
    let before = Utc.with_ymd_and_hms(2026, 1, 1, 6, 0, 0).unwrap();
    assert_eq!(
        ids(SearchQuery {
            received_from: Some(from),
            received_before: Some(before),
            ..base()
        }),
        vec![3, 4, 5]
    );
    // An empty query lists by filters, newest first.
    let listing = hits(
        &index,
        &SearchQuery {
            statuses: vec![ItemStatus::Queued],
            ..SearchQuery::new("").kind(DocKind::Item)
        },
    );
    assert_eq!(listing, [4, 3, 2, 1].map(item_hit).to_vec());
}

#[test]
fn pages_split_the_hits_without_overlap() {
    let (_dir, index) = open();
    let batch = (1..=25_i64)
        .map(|id| {
            (
                id,
                Change::Upsert(item(
                    id,
                    Some(Language::Dutch),
                    "Factuur",
                    "factuur klopt niet",
                )),
            )
        })
        .collect();
    index.apply(batch).unwrap();
    index.commit().unwrap();

    let mut seen = Vec::new();
    for (offset, expected, more) in [(0, 10, true), (10, 10, true), (20, 5, false)] {
        let mut query = SearchQuery::new("factuur").page(offset, 10);
        query.count_total = true;
        let page = index.search(&query).unwrap();
        assert_eq!(page.hits.len(), expected);
        assert_eq!(page.has_more, more);
        assert_eq!(page.total, Some(25));
        seen.extend(page.hits.into_iter().map(|hit| hit.id));
    }
    let count = seen.len();
    seen.sort_by_key(|id| format!("{id:?}"));
    seen.dedup();
    assert_eq!(seen.len(), count);
    assert_eq!(count, 25);
    assert!(
        index
            .search(&SearchQuery::new("factuur").page(10_000, 10))
            .is_err()
    );
}

#[test]
fn counting_stops_at_the_deepest_page_and_skips_deleted_items() {
    let (_dir, index) = open();
    let invoice = |id: i64, text: &str| {
        (
            id,
            Change::Upsert(item(id, Some(Language::Dutch), "Vraag", text)),
        )
    };
    let over = i64::try_from(MAX_COUNT).unwrap() + 2;
    index
        .apply(
            (1..=over)
                .map(|id| invoice(id, "factuur klopt niet"))
                .collect(),
        )
        .unwrap();
    index.commit().unwrap();
    let mut query = SearchQuery::new("factuur").page(0, 10);
    query.count_total = true;
    let page = index.search(&query).unwrap();
    assert_eq!((page.total, page.total_capped), (Some(MAX_COUNT), true));
    // Every item holds the first word, none the second: with AND nothing matches, with OR all do.
    let mut both = SearchQuery::new("factuur levering").mode(MatchMode::All);
    both.count_total = true;
    let none = index.search(&both).unwrap();
    assert_eq!((none.total, none.total_capped), (Some(0), false));
    let mut either = SearchQuery::new("factuur levering").mode(MatchMode::Any);
    either.count_total = true;
    let all = index.search(&either).unwrap();
    assert_eq!((all.total, all.total_capped), (Some(MAX_COUNT), true));

    // Five items no longer mention it: their old documents are deleted, not yet merged away.
    index
        .apply((1..=5).map(|id| invoice(id, "levering te laat")).collect())
        .unwrap();
    index.commit().unwrap();
    let page = index.search(&query).unwrap();
    assert_eq!(
        (page.total, page.total_capped),
        (Some(MAX_COUNT - 3), false)
    );
    assert_eq!(page.hits.len(), 10);
}

#[test]
fn snippets_mark_matches_and_escape_markup() {
    let (_dir, index) = open();
    index
        .apply(vec![(
            1,
            Change::Upsert(item(
                1,
                Some(Language::Dutch),
                "<script>alert('x')</script> bestelling & levering",
                "Geachte heer, <b>mijn</b> bestelling 4500012345 is niet geleverd.",
            )),
        )])
        .unwrap();
    index.commit().unwrap();

    let results = index.search(&SearchQuery::new("bestelling")).unwrap();
    let snippets = &results.hits[0].snippets;
    let subject = snippets
        .iter()
        .find(|s| s.field == SnippetField::Subject)
        .unwrap();
    assert!(subject.highlighted);
    assert!(subject.html.contains("&lt;script&gt;"), "{}", subject.html);
    assert!(!subject.html.contains("<script>"), "{}", subject.html);
    assert!(
        subject.html.contains("<mark>bestelling</mark>"),
        "{}",
        subject.html
    );
    assert!(subject.html.contains("&amp;"), "{}", subject.html);
    let text = snippets
        .iter()
        .find(|s| s.field == SnippetField::Text)
        .unwrap();
    assert!(
        text.html.contains("&lt;b&gt;mijn&lt;/b&gt;"),
        "{}",
        text.html
    );

    // A hit on an identifier only still gets an escaped snippet.
    let results = index.search(&SearchQuery::new("0004500012345")).unwrap();
    let subject = results.hits[0]
        .snippets
        .iter()
        .find(|s| s.field == SnippetField::Subject)
        .unwrap();
    assert!(!subject.html.contains("<script>"), "{}", subject.html);
}

#[test]
fn snippets_find_matches_deep_in_long_texts() {
    let (_dir, index) = open();
    let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(60);
    let english = format!("{filler} The delivery of the café chairs was late. {filler}");
    let dutch = format!("{filler} Wij hebben uw Überweisung ontvangen. {filler}");
    index
        .apply(vec![
            (
                1,
                Change::Upsert(item(1, Some(Language::English), "Chairs", &english)),
            ),
            (
                2,
                Change::Upsert(item(2, Some(Language::German), "Zahlung", &dutch)),
            ),
        ])
        .unwrap();
    index.commit().unwrap();

    for (q, marked) in [
        ("deliveries", "<mark>delivery</mark>"),
        ("cafe", "<mark>café</mark>"),
        ("uberweisung", "<mark>Überweisung</mark>"),
    ] {
        let results = index.search(&SearchQuery::new(q)).unwrap();
        let text = results.hits[0]
            .snippets
            .iter()
            .find(|s| s.field == SnippetField::Text)
            .unwrap();
        assert!(text.highlighted, "{q}");
        assert!(text.html.contains(marked), "{q}: {}", text.html);
    }
}

#[test]
fn words_combine_with_and_or_or() {
    let (_dir, index) = open();
    index
        .apply(vec![
            (
                1,
                Change::Upsert(item(
                    1,
                    Some(Language::Dutch),
                    "Vraag",
                    "factuur en levering",
                )),
            ),
            (
                2,
                Change::Upsert(item(2, Some(Language::Dutch), "Vraag", "alleen de factuur")),
            ),
            (
                3,
                Change::Upsert(item(
                    3,
                    Some(Language::Dutch),
                    "Vraag",
                    "alleen de levering",
                )),
            ),
        ])
        .unwrap();
    index.commit().unwrap();

    let all = hits(
        &index,
        &SearchQuery::new("factuur levering").mode(MatchMode::All),
    );
    assert_eq!(all, vec![item_hit(1)]);
    let any = hits(
        &index,
        &SearchQuery::new("factuur levering").mode(MatchMode::Any),
    );
    assert_eq!(any.len(), 3);
    assert_eq!(any[0], item_hit(1), "both words rank first");
    let typed_or = hits(&index, &SearchQuery::new("factuur OR levering"));
    assert_eq!(typed_or.len(), 3);
}

#[test]
fn dutch_and_german_queries_are_stemmed_like_the_items_they_find() {
    let (_dir, index) = open();
    index
        .apply(vec![
            (
                1,
                Change::Upsert(item(
                    1,
                    Some(Language::Dutch),
                    "Facturen",
                    "De facturen van vorige maand zijn nog niet betaald.",
                )),
            ),
            (
                2,
                Change::Upsert(item(
                    2,
                    Some(Language::German),
                    "Rechnungen",
                    "Die Rechnungen vom letzten Monat sind noch nicht bezahlt.",
                )),
            ),
            (
                3,
                Change::Upsert(item(
                    3,
                    Some(Language::English),
                    "Invoices",
                    "The invoices of last month are still unpaid.",
                )),
            ),
        ])
        .unwrap();
    index.commit().unwrap();

    let items = |q: &str| hits(&index, &SearchQuery::new(q).kind(DocKind::Item));
    // Singular queries find the plural forms through each language's stemmer.
    assert_eq!(items("factuur"), vec![item_hit(1)]);
    assert_eq!(items("Rechnung"), vec![item_hit(2)]);
    assert_eq!(items("invoice"), vec![item_hit(3)]);
    // Stemmed words combine (AND), in phrases, and with exclusions.
    assert_eq!(items("factuur betaald"), vec![item_hit(1)]);
    assert_eq!(items("\"Rechnung vom letzten\""), vec![item_hit(2)]);
    assert_eq!(items("maand OR Monat -Rechnung"), vec![item_hit(1)]);
    assert_eq!(items("-factuur").len(), 2);
}

#[test]
fn a_search_split_among_threads_ranks_pages_and_counts_as_one_thread_does() {
    // Two indexes of the same items in five segments, one with deletions: one searched by three
    // threads (however small), one by the calling thread alone.
    let open_with = |threads: usize| {
        let dir = tempfile::tempdir().unwrap();
        let config = IndexConfig {
            search_threads: threads,
            search_split_min_docs: 0,
            ..index_support::config()
        };
        let index = IndexHandle::open(dir.path(), config).unwrap();
        (dir, index)
    };
    let (_split_dir, split) = open_with(3);
    let (_single_dir, single) = open_with(1);
    let text = |id: i64| {
        let times =
            |word: &str, count: i64| format!("{word} ").repeat(usize::try_from(count).unwrap());
        format!(
            "{}{}klopt niet",
            times("factuur", id % 4),
            times("levering", id % 3)
        )
    };
    for index in [&split, &single] {
        for segment in 0..4_i64 {
            let batch = (1..=60)
                .map(|number| {
                    let id = segment * 60 + number;
                    let text = text(id);
                    (
                        id,
                        Change::Upsert(item(id, Some(Language::Dutch), "Vraag", &text)),
                    )
                })
                .collect();
            index.apply(batch).unwrap();
            index.commit().unwrap();
        }
        let changed = (1..=12)
            .map(|id| {
                (
                    1_000 + id,
                    Change::Upsert(item(id * 7, Some(Language::Dutch), "Vraag", "iets anders")),
                )
            })
            .collect();
        index.apply(changed).unwrap();
        index.commit().unwrap();
    }

    for (words, mode) in [
        ("factuur", MatchMode::All),
        ("factuur levering", MatchMode::Any),
        ("factuur levering", MatchMode::All),
    ] {
        let search = |index: &IndexHandle, offset: usize, limit: usize| {
            let mut query = SearchQuery::new(words)
                .kind(DocKind::Item)
                .mode(mode)
                .page(offset, limit);
            query.count_total = true;
            query.snippets = false;
            index.search(&query).unwrap()
        };
        let everything = search(&split, 0, 200);
        let alone = search(&single, 0, 200);
        assert!(
            everything.hits.len() > 20,
            "{words}: {}",
            everything.hits.len()
        );
        assert_eq!(everything.total, alone.total, "{words}");
        let scores =
            |page: &SearchResults| -> Vec<f32> { page.hits.iter().map(|hit| hit.score).collect() };
        // The same scores in the same order (which of the tied items a page holds depends on
        // how each index's segments were merged).
        assert_eq!(scores(&everything), scores(&alone), "{words}");
        // Many items tie: each page is the same stretch of the full list, every time.
        for offset in [0, 7, 23] {
            let page = search(&split, offset, 10);
            let ids: Vec<&HitId> = page.hits.iter().map(|hit| &hit.id).collect();
            let expected: Vec<&HitId> = everything.hits[offset..offset + 10]
                .iter()
                .map(|hit| &hit.id)
                .collect();
            assert_eq!(ids, expected, "{words}, offset {offset}");
            assert_eq!(page.total, everything.total);
        }
    }
}
