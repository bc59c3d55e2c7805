//! Durable storage of articles and dead letters, behind the [`Store`] trait.
//!
//! The embedded implementation is [`RedbStore`] (one redb file, no network).
//! A later engine (NATS JetStream) implements the same trait; nothing that
//! uses a `Store` may assume that one process owns the data: offsets come
//! from the store, and readers learn about new articles by reading it.
//!
//! The model:
//! - an append-only **log** of articles with monotonically increasing
//!   offsets (the first article gets offset 0);
//! - an **index by id**: an article whose content-derived id is already
//!   stored is not stored again ([`Appended::duplicate`]);
//! - the **dead letters**, keyed by an increasing number;
//! - **retention** drops the oldest articles by age or total size; a cursor
//!   older than [`LogBounds::first`] is then out of range.
//!
//! A store may keep an article compressed ([`StoredArticle::Zstd`]); readers
//! that want it as it is kept (a Subscribe stream to a client that accepts
//! zstd) get those bytes, the others decompress.

mod redb_store;

use std::time::{Duration, SystemTime};

use prost::Message as _;
use prost::bytes::Bytes;

use crate::EncodedArticle;
use crate::proto::{Article, DeadLetter};
use akhbar_proto::text_decode;

pub use redb_store::{RedbOptions, RedbStore};

/// An article as a store keeps it: its protobuf encoding, as it is or in one
/// zstd frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredArticle {
    /// The protobuf encoding of an `akhbar.v1.Article`.
    Plain(Bytes),
    /// One zstd frame of that encoding, whose header gives its size.
    Zstd(Bytes),
}

/// zstd's magic number, the first bytes of every frame. No `Article`
/// encoding starts with it: 0x28 would be field 5 (`body`, a string) as a
/// varint.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Largest article a stored zstd frame may claim to hold.
const MAX_PLAIN_BYTES: u64 = 1 << 30;

thread_local! {
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { std::cell::RefCell::new(None) };
}

impl StoredArticle {
    /// The stored bytes, told apart by zstd's magic number.
    pub fn from_stored(bytes: Bytes) -> Self {
        if bytes.starts_with(&ZSTD_MAGIC) {
            StoredArticle::Zstd(bytes)
        } else {
            StoredArticle::Plain(bytes)
        }
    }

    /// The bytes as kept.
    pub fn stored(&self) -> &Bytes {
        match self {
            StoredArticle::Plain(bytes) | StoredArticle::Zstd(bytes) => bytes,
        }
    }

    /// Size of the protobuf encoding (from the frame header when compressed).
    pub fn plain_len(&self, key: u64) -> Result<u64, StoreError> {
        match self {
            StoredArticle::Plain(bytes) => Ok(bytes.len() as u64),
            StoredArticle::Zstd(frame) => frame_content_len(key, frame),
        }
    }

    /// The protobuf encoding.
    pub fn plain(&self, key: u64) -> Result<Bytes, StoreError> {
        match self {
            StoredArticle::Plain(bytes) => Ok(bytes.clone()),
            StoredArticle::Zstd(frame) => decompress(key, frame).map(Bytes::from),
        }
    }

    /// The article.
    pub fn decode(&self, key: u64) -> Result<Article, StoreError> {
        decode_stored(key, self.stored())
    }
}

/// Decodes an article from its stored bytes (a zstd frame or the plain
/// encoding, told apart by zstd's magic number), without copying them.
pub fn decode_stored(key: u64, stored: &[u8]) -> Result<Article, StoreError> {
    let decoded = if stored.starts_with(&ZSTD_MAGIC) {
        text_decode::article(&decompress(key, stored)?)
    } else {
        text_decode::article(stored)
    };
    decoded.map_err(|e| corrupt(key, e.to_string()))
}

/// The content size a zstd frame's header gives.
fn frame_content_len(key: u64, frame: &[u8]) -> Result<u64, StoreError> {
    match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(len)) if len <= MAX_PLAIN_BYTES => Ok(len),
        Ok(Some(len)) => Err(corrupt(key, format!("zstd frame claims {len} bytes"))),
        Ok(None) => Err(corrupt(key, "zstd frame without its content size".into())),
        Err(_) => Err(corrupt(key, "not a zstd frame".into())),
    }
}

/// Decompresses one stored frame, with this thread's zstd context.
fn decompress(key: u64, frame: &[u8]) -> Result<Vec<u8>, StoreError> {
    let len = frame_content_len(key, frame)? as usize;
    DECOMPRESSOR.with_borrow_mut(|decompressor| {
        let decompressor = match decompressor {
            Some(d) => d,
            None => decompressor
                .insert(zstd::bulk::Decompressor::new().map_err(|e| corrupt(key, e.to_string()))?),
        };
        let plain = decompressor
            .decompress(frame, len)
            .map_err(|e| corrupt(key, format!("zstd: {e}")))?;
        if plain.len() != len {
            return Err(corrupt(
                key,
                "zstd frame shorter than its header says".into(),
            ));
        }
        Ok(plain)
    })
}

fn corrupt(key: u64, reason: String) -> StoreError {
    StoreError::Corrupt { key, reason }
}

/// Errors of a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The storage engine failed (I/O, corruption, lock held by another process).
    #[error("storage error: {0}")]
    Backend(String),
    /// A stored record could not be decoded.
    #[error("corrupt record {key}: {reason}")]
    Corrupt {
        /// Offset or dead-letter key.
        key: u64,
        /// The decoder's message.
        reason: String,
    },
    /// A cursor points before the oldest article kept (retention removed it)
    /// or after the end of the log.
    #[error("offset {requested} is out of range: the log keeps offsets {first}..{next}")]
    OutOfRange {
        /// The cursor asked for.
        requested: u64,
        /// Oldest offset kept.
        first: u64,
        /// Offset the next article gets.
        next: u64,
    },
    /// No dead letter has this key.
    #[error("no dead letter with key {0}")]
    NoSuchDeadLetter(u64),
}

/// What one write stores, atomically and durably.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    /// Articles to append, encoded (those already stored are skipped).
    pub articles: Vec<EncodedArticle>,
    /// Dead letters to keep.
    pub dead_letters: Vec<DeadLetter>,
    /// Dead letters to delete in the same transaction (re-driven ones).
    pub resolved_dead_letters: Vec<u64>,
}

/// Where an article of a [`WriteBatch`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The article's id.
    pub id: String,
    /// Its offset in the log (of the earlier copy when `duplicate`).
    pub offset: u64,
    /// The same id was already stored; nothing was appended.
    pub duplicate: bool,
}

/// The result of [`Store::write`], in the order of the batch.
#[derive(Debug, Default, Clone)]
pub struct Written {
    /// One per article of the batch.
    pub articles: Vec<Appended>,
    /// The keys the dead letters got.
    pub dead_letter_keys: Vec<u64>,
    /// Each article appended (duplicates left out) as stored, with its
    /// offset, when the store has it at hand (the embedded store does;
    /// others may leave this empty). A server hands these bytes to live
    /// subscribers without encoding each article again.
    pub encoded: Vec<(u64, StoredArticle)>,
}

/// The offsets a reader may ask for: `first..next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogBounds {
    /// Oldest offset kept.
    pub first: u64,
    /// Offset the next article gets.
    pub next: u64,
}

/// Counts for the admin API.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreStats {
    /// Offsets kept.
    pub bounds: LogBounds,
    /// Articles kept.
    pub articles: u64,
    /// Bytes of articles kept, as stored (compressed when the store
    /// compresses).
    pub bytes: u64,
    /// Dead letters kept.
    pub dead_letters: u64,
}

/// How much of the log to keep. `None` = no limit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Retention {
    /// Drop articles stored longer ago than this.
    pub max_age: Option<Duration>,
    /// Drop the oldest articles while the articles take more than this, as
    /// stored (compressed when the store compresses).
    pub max_bytes: Option<u64>,
}

/// A durable store of articles and dead letters. Every method is blocking
/// (call it from a blocking thread, never from an async runtime thread).
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a batch atomically; returns once it is durable.
    fn write(&self, batch: &WriteBatch) -> Result<Written, StoreError>;

    /// Up to `max` articles from offset `from` (inclusive), in offset order.
    /// `from == next` gives an empty list; `from` outside `first..=next` is
    /// [`StoreError::OutOfRange`].
    fn read(&self, from: u64, max: usize) -> Result<Vec<(u64, Article)>, StoreError>;

    /// Like [`Store::read`], with each article as stored (what a Subscribe
    /// stream sends), not decoded. The default encodes what `read` gives; a
    /// store that keeps the encoding returns it as it is.
    fn read_encoded(&self, from: u64, max: usize) -> Result<Vec<(u64, StoredArticle)>, StoreError> {
        Ok(self
            .read(from, max)?
            .into_iter()
            .map(|(offset, article)| {
                (
                    offset,
                    StoredArticle::Plain(Bytes::from(article.encode_to_vec())),
                )
            })
            .collect())
    }

    /// The article with this id and its offset.
    fn get(&self, id: &str) -> Result<Option<(u64, Article)>, StoreError>;

    /// The offsets kept.
    fn bounds(&self) -> Result<LogBounds, StoreError>;

    /// Counts.
    fn stats(&self) -> Result<StoreStats, StoreError>;

    /// Up to `limit` dead letters with keys greater than `after`.
    fn dead_letters(&self, after: u64, limit: usize) -> Result<Vec<(u64, DeadLetter)>, StoreError>;

    /// One dead letter.
    fn dead_letter(&self, key: u64) -> Result<Option<DeadLetter>, StoreError>;

    /// Replaces a dead letter's record (e.g. a new reason after a failed re-drive).
    fn update_dead_letter(&self, key: u64, letter: &DeadLetter) -> Result<(), StoreError>;

    /// Drops what `retention` says to drop; returns how many articles went.
    fn enforce_retention(&self, retention: &Retention, now: SystemTime) -> Result<u64, StoreError>;
}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn write(&self, batch: &WriteBatch) -> Result<Written, StoreError> {
        (**self).write(batch)
    }
    fn read(&self, from: u64, max: usize) -> Result<Vec<(u64, Article)>, StoreError> {
        (**self).read(from, max)
    }
    fn read_encoded(&self, from: u64, max: usize) -> Result<Vec<(u64, StoredArticle)>, StoreError> {
        (**self).read_encoded(from, max)
    }
    fn get(&self, id: &str) -> Result<Option<(u64, Article)>, StoreError> {
        (**self).get(id)
    }
    fn bounds(&self) -> Result<LogBounds, StoreError> {
        (**self).bounds()
    }
    fn stats(&self) -> Result<StoreStats, StoreError> {
        (**self).stats()
    }
    fn dead_letters(&self, after: u64, limit: usize) -> Result<Vec<(u64, DeadLetter)>, StoreError> {
        (**self).dead_letters(after, limit)
    }
    fn dead_letter(&self, key: u64) -> Result<Option<DeadLetter>, StoreError> {
        (**self).dead_letter(key)
    }
    fn update_dead_letter(&self, key: u64, letter: &DeadLetter) -> Result<(), StoreError> {
        (**self).update_dead_letter(key, letter)
    }
    fn enforce_retention(&self, retention: &Retention, now: SystemTime) -> Result<u64, StoreError> {
        (**self).enforce_retention(retention, now)
    }
}

#[cfg(test)]
mod tests;
