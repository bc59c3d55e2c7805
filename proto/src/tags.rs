//! Field numbers of the `akhbar.v1` messages, for code that works on the
//! protobuf wire (the host between plugin libraries, [`crate::text_decode`]).
//! One place for them, checked against the schema by a test.

/// `akhbar.v1.Article`.
pub mod article {
    pub const ID: u32 = 1;
    pub const SOURCE_URI: u32 = 2;
    pub const SITE: u32 = 3;
    pub const BODY: u32 = 5;
    pub const PARAGRAPHS: u32 = 6;
    pub const ENTITIES: u32 = 10;
    pub const KEYWORDS: u32 = 11;
    pub const CONTENT_HASH: u32 = 13;
    pub const WORD_COUNT: u32 = 15;
    pub const READING_TIME_SECONDS: u32 = 16;
    pub const PROVENANCE: u32 = 17;
    pub const DATES: u32 = 18;
    pub const RECEIVED_AT: u32 = 20;
}

/// `akhbar.v1.ArticleBatch`.
pub mod article_batch {
    pub const ARTICLES: u32 = 1;
}

/// `akhbar.v1.Paragraph`.
pub mod paragraph {
    pub const TEXT: u32 = 2;
    pub const MATCHING: u32 = 3;
}

/// `akhbar.v1.Provenance`.
pub mod provenance {
    pub const ACTION: u32 = 4;
    pub const DETAILS: u32 = 5;
}

/// `akhbar.v1.Entity`.
pub mod entity {
    pub const TEXT: u32 = 1;
    pub const CANONICAL_ID: u32 = 3;
    pub const CANONICAL_NAME: u32 = 4;
}

/// `akhbar.v1.Keyword`.
pub mod keyword {
    pub const TEXT: u32 = 1;
}

/// `akhbar.v1.MentionedDate`.
pub mod mentioned_date {
    pub const TEXT: u32 = 1;
    pub const DATE: u32 = 2;
}

#[cfg(test)]
mod tests {
    use prost::Message;
    use prost_types::FileDescriptorSet;

    /// Every constant above is the number the schema gives its field.
    #[test]
    fn the_field_numbers_are_the_schemas() {
        use super::*;
        let set = FileDescriptorSet::decode(crate::FILE_DESCRIPTOR_SET).unwrap();
        let number = |message: &str, field: &str| -> u32 {
            let descriptor = set
                .file
                .iter()
                .flat_map(|f| &f.message_type)
                .find(|m| m.name() == message)
                .unwrap_or_else(|| panic!("no message {message}"));
            let field = descriptor
                .field
                .iter()
                .find(|f| f.name() == field)
                .unwrap_or_else(|| panic!("no field {message}.{field}"));
            u32::try_from(field.number()).unwrap()
        };
        let expected = [
            ("Article", "id", article::ID),
            ("Article", "source_uri", article::SOURCE_URI),
            ("Article", "site", article::SITE),
            ("Article", "body", article::BODY),
            ("Article", "paragraphs", article::PARAGRAPHS),
            ("Article", "entities", article::ENTITIES),
            ("Article", "keywords", article::KEYWORDS),
            ("Article", "content_hash", article::CONTENT_HASH),
            ("Article", "word_count", article::WORD_COUNT),
            (
                "Article",
                "reading_time_seconds",
                article::READING_TIME_SECONDS,
            ),
            ("Article", "provenance", article::PROVENANCE),
            ("Article", "dates", article::DATES),
            ("Article", "received_at", article::RECEIVED_AT),
            ("ArticleBatch", "articles", article_batch::ARTICLES),
            ("Paragraph", "text", paragraph::TEXT),
            ("Paragraph", "matching", paragraph::MATCHING),
            ("Provenance", "action", provenance::ACTION),
            ("Provenance", "details", provenance::DETAILS),
            ("Entity", "text", entity::TEXT),
            ("Entity", "canonical_id", entity::CANONICAL_ID),
            ("Entity", "canonical_name", entity::CANONICAL_NAME),
            ("Keyword", "text", keyword::TEXT),
            ("MentionedDate", "text", mentioned_date::TEXT),
            ("MentionedDate", "date", mentioned_date::DATE),
        ];
        for (message, field, constant) in expected {
            assert_eq!(number(message, field), constant, "{message}.{field}");
        }
    }
}
