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

fn batch(articles: Vec<Article>) -> WriteBatch {
    WriteBatch {
        articles,
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
        .map(|(offset, bytes)| {
            (
                *offset,
                <Article as prost::Message>::decode(bytes.as_ref())
                    .unwrap()
                    .id,
            )
        })
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
    for ((o1, bytes), (o2, article)) in encoded.iter().zip(&decoded) {
        assert_eq!(o1, o2);
        assert_eq!(
            <Article as prost::Message>::decode(bytes.as_slice()).unwrap(),
            *article
        );
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
    let store = RedbStore::open(dir.path()).unwrap();
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
            articles: vec![article("fixed", "ok")],
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
