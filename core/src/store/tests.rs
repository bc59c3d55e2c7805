use std::time::{Duration, SystemTime};

use super::*;
use crate::proto::{Entity, RawDocument};

fn article(id: &str, body: &str) -> Article {
    Article {
        id: id.into(),
        body: body.into(),
        language: "ar".into(),
        entities: vec![Entity {
            text: "x".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn uncompressed() -> RedbOptions {
    RedbOptions {
        zstd_level: None,
        ..RedbOptions::default()
    }
}

fn batch(articles: Vec<Article>) -> WriteBatch {
    WriteBatch {
        articles: articles.iter().map(EncodedArticle::new).collect(),
        ..Default::default()
    }
}

#[test]
fn appends_with_increasing_offsets_and_stores_an_id_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let written = store
        .write(&batch(vec![
            article("a", "1"),
            article("b", "2"),
            article("a", "1"),
        ]))
        .unwrap();
    let offsets: Vec<_> = written
        .articles
        .iter()
        .map(|a| (a.offset, a.duplicate))
        .collect();
    assert_eq!(offsets, [(0, false), (1, false), (0, true)]);
    // The encodings of the two appended articles (not of the duplicate).
    let encoded: Vec<_> = written
        .encoded
        .iter()
        .map(|(offset, stored)| (*offset, stored.decode(*offset).unwrap().id))
        .collect();
    assert_eq!(encoded, [(0, "a".to_owned()), (1, "b".to_owned())]);
    let again = store
        .write(&batch(vec![article("b", "2"), article("c", "3")]))
        .unwrap();
    assert_eq!(again.articles[0].offset, 1);
    assert!(again.articles[0].duplicate);
    assert_eq!(again.articles[1].offset, 2);
    assert_eq!(store.bounds().unwrap(), LogBounds { first: 0, next: 3 });
    let read = store.read(1, 10).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].0, 1);
    assert_eq!(read[1].1.id, "c");
    assert!(store.read(3, 10).unwrap().is_empty());
    assert!(matches!(
        store.read(4, 10),
        Err(StoreError::OutOfRange { .. })
    ));
    assert_eq!(store.get("c").unwrap().unwrap().0, 2);
    assert!(store.get("zz").unwrap().is_none());
    // The encoded read gives the same articles, as their encoding.
    let encoded = store.read_encoded(0, 10).unwrap();
    let decoded = store.read(0, 10).unwrap();
    assert_eq!(encoded.len(), 3);
    for ((o1, stored), (o2, article)) in encoded.iter().zip(&decoded) {
        assert_eq!(o1, o2);
        assert_eq!(stored.decode(*o1).unwrap(), *article);
    }
    assert!(matches!(
        store.read_encoded(4, 10),
        Err(StoreError::OutOfRange { .. })
    ));
}

#[test]
fn survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = RedbStore::open(dir.path()).unwrap();
        store
            .write(&batch(vec![article("a", "1"), article("b", "2")]))
            .unwrap();
    }
    let store = RedbStore::open(dir.path()).unwrap();
    let read = store.read(0, 10).unwrap();
    assert_eq!(
        read.iter()
            .map(|(o, a)| (*o, a.id.as_str()))
            .collect::<Vec<_>>(),
        [(0, "a"), (1, "b")]
    );
    let written = store.write(&batch(vec![article("c", "3")])).unwrap();
    assert_eq!(written.articles[0].offset, 2);
}

#[test]
fn retention_by_size_and_age_moves_the_first_offset() {
    let dir = tempfile::tempdir().unwrap();
    // Uncompressed, so that each article takes a known ~1 KB.
    let store = RedbStore::open_with(dir.path(), uncompressed()).unwrap();
    let big = "x".repeat(1000);
    for i in 0..10 {
        store
            .write(&batch(vec![article(&format!("a{i}"), &big)]))
            .unwrap();
    }
    let removed = store
        .enforce_retention(
            &Retention {
                max_age: None,
                max_bytes: Some(3500),
            },
            SystemTime::now(),
        )
        .unwrap();
    assert_eq!(removed, 7);
    let bounds = store.bounds().unwrap();
    assert_eq!(bounds, LogBounds { first: 7, next: 10 });
    assert!(matches!(
        store.read(2, 10),
        Err(StoreError::OutOfRange {
            requested: 2,
            first: 7,
            ..
        })
    ));
    assert_eq!(store.read(7, 10).unwrap().len(), 3);
    // The index forgot the dropped ids, so they could be stored again.
    assert!(store.get("a0").unwrap().is_none());
    let removed = store
        .enforce_retention(
            &Retention {
                max_age: Some(Duration::from_secs(60)),
                max_bytes: None,
            },
            SystemTime::now() + Duration::from_secs(3600),
        )
        .unwrap();
    assert_eq!(removed, 3);
    assert_eq!(
        store.bounds().unwrap(),
        LogBounds {
            first: 10,
            next: 10
        }
    );
    assert!(store.read(10, 10).unwrap().is_empty());
    let stats = store.stats().unwrap();
    assert_eq!((stats.articles, stats.bytes), (0, 0));
}

#[test]
fn dead_letters_are_kept_listed_updated_and_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let letter = |uri: &str| DeadLetter {
        source_uri: uri.into(),
        reason: "bad".into(),
        document: Some(RawDocument {
            source_uri: uri.into(),
            content: b"hello".to_vec(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let written = store
        .write(&WriteBatch {
            dead_letters: vec![letter("one"), letter("two")],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(written.dead_letter_keys, [1, 2]);
    let listed = store.dead_letters(0, 10).unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(store.dead_letters(1, 10).unwrap()[0].0, 2);
    let mut changed = letter("one");
    changed.reason = "still bad".into();
    store.update_dead_letter(1, &changed).unwrap();
    assert_eq!(store.dead_letter(1).unwrap().unwrap().reason, "still bad");
    store
        .write(&WriteBatch {
            articles: vec![EncodedArticle::new(&article("fixed", "ok"))],
            resolved_dead_letters: vec![1],
            ..Default::default()
        })
        .unwrap();
    assert!(store.dead_letter(1).unwrap().is_none());
    assert_eq!(store.stats().unwrap().dead_letters, 1);
    assert!(matches!(
        store.update_dead_letter(1, &changed),
        Err(StoreError::NoSuchDeadLetter(1))
    ));
}

/// An article the size of a real one: paragraphs that repeat words, as text
/// does.
fn long_article(id: &str) -> Article {
    let paragraph = "قال وزير الدفاع الروسي سيرغي شويغو في بيونغ يانغ إن التعاون العسكري سيتوسع. ";
    article(id, &paragraph.repeat(200))
}

#[test]
fn articles_are_stored_compressed_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    let big = long_article("big");
    let small = article("small", "نص");
    let written = store
        .write(&batch(vec![big.clone(), small.clone()]))
        .unwrap();
    let plain_len = prost::Message::encoded_len(&big) as u64;

    // What a subscriber gets: the big article as one zstd frame, the small
    // one as it is (compressing it would not make it smaller).
    let read = store.read_encoded(0, 10).unwrap();
    assert_eq!(read.len(), 2);
    assert!(
        matches!(read[0].1, StoredArticle::Zstd(_)),
        "{:?}",
        read[0].1
    );
    assert!(matches!(read[1].1, StoredArticle::Plain(_)));
    assert_eq!(read[0].1.plain_len(0).unwrap(), plain_len);
    assert!((read[0].1.stored().len() as u64) * 10 < plain_len);
    assert_eq!(read[0].1.decode(0).unwrap(), big);
    assert_eq!(read[1].1.decode(1).unwrap(), small);
    assert_eq!(written.encoded.len(), 2);
    assert_eq!(written.encoded[0].1, read[0].1);

    // Every other way of reading decompresses.
    assert_eq!(store.get("big").unwrap().unwrap().1, big);
    let articles: Vec<_> = store
        .read(0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert_eq!(articles, [big, small]);
    // Size accounting (and so retention by size) counts what is stored.
    assert!(store.stats().unwrap().bytes < plain_len / 10 + 200);
}

#[test]
fn a_store_reads_what_it_stored_with_or_without_compression() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = RedbStore::open_with(dir.path(), uncompressed()).unwrap();
        store.write(&batch(vec![long_article("old")])).unwrap();
        assert!(matches!(
            store.read_encoded(0, 1).unwrap()[0].1,
            StoredArticle::Plain(_)
        ));
    }
    {
        let store = RedbStore::open(dir.path()).unwrap();
        store.write(&batch(vec![long_article("new")])).unwrap();
    }
    let store = RedbStore::open_with(dir.path(), uncompressed()).unwrap();
    let read = store.read_encoded(0, 10).unwrap();
    assert!(matches!(read[0].1, StoredArticle::Plain(_)));
    assert!(matches!(read[1].1, StoredArticle::Zstd(_)));
    let ids: Vec<_> = store
        .read(0, 10)
        .unwrap()
        .into_iter()
        .map(|(_, a)| a.id)
        .collect();
    assert_eq!(ids, ["old", "new"]);
}

#[test]
fn a_damaged_compressed_article_is_an_error_naming_its_offset() {
    let big = long_article("big");
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(dir.path()).unwrap();
    store.write(&batch(vec![big])).unwrap();
    let StoredArticle::Zstd(frame) = store.read_encoded(0, 1).unwrap().remove(0).1 else {
        panic!("compressed");
    };
    let mut damaged = frame.to_vec();
    damaged.truncate(damaged.len() / 2);
    let error = StoredArticle::Zstd(damaged.into()).decode(7).unwrap_err();
    assert!(
        matches!(error, StoreError::Corrupt { key: 7, .. }),
        "{error}"
    );
}
