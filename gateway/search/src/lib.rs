//! Full-text search over a workspace's conversations, for agents: message text, conversation
//! titles and contacts' names, addresses and phone numbers, in one tantivy index beside the
//! store. Words are matched in lower case and without accents, so "informacao" finds
//! "informação" and "jose" finds "José"; every word of a query must match.
//!
//! The index is fed from the store's event log ([`Indexer`] keeps how far it read each
//! workspace in the index's own commits), so it can always be rebuilt and never misses a
//! message: a restart goes on from the last commit.

mod indexer;

use std::path::Path;
use std::sync::Mutex;

use switchboard_model::Id;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

pub use indexer::Indexer;

/// The analyzer's name in the index: words in lower case, accents folded to ASCII.
const FOLDED: &str = "folded";
/// Memory the writer may fill before it writes a segment.
const WRITER_BYTES: usize = 20_000_000;

/// What went wrong with the index.
#[derive(Debug, thiserror::Error)]
#[error("search index: {0}")]
pub struct SearchError(String);

impl From<tantivy::TantivyError> for SearchError {
    fn from(error: tantivy::TantivyError) -> Self {
        SearchError(error.to_string())
    }
}

/// A document of the index: one message, one conversation's title, or one contact.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Message {
        conversation_id: Id,
        message_id: Id,
        text: String,
    },
    Title {
        conversation_id: Id,
        title: String,
    },
    Contact {
        contact_id: Id,
        /// Name, addresses, phone numbers.
        text: String,
    },
    /// An erased contact: its documents, its conversations' and their messages' go.
    Erased(switchboard_model::ContactErasure),
}

/// What a search found: conversations directly, and contacts (whose conversations the
/// caller lists), best first.
#[derive(Debug, Default, PartialEq)]
pub struct Found {
    pub conversations: Vec<Id>,
    pub contacts: Vec<Id>,
}

struct Fields {
    workspace: Field,
    /// `message:{id}`, `title:{conversation}` or `contact:{id}`: what a new version replaces.
    key: Field,
    conversation: Field,
    contact: Field,
    text: Field,
}

/// The index, with one writer (behind a lock) and a reader refreshed after each commit.
pub struct SearchIndex {
    index: Index,
    fields: Fields,
    writer: Mutex<IndexWriter>,
    reader: IndexReader,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SearchIndex")
            .finish_non_exhaustive()
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let folded = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(FOLDED)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        workspace: builder.add_u64_field("workspace", INDEXED),
        key: builder.add_text_field("key", tantivy::schema::STRING),
        conversation: builder.add_u64_field("conversation", STORED),
        contact: builder.add_u64_field("contact", STORED),
        text: builder.add_text_field("text", folded),
    };
    (builder.build(), fields)
}

impl SearchIndex {
    /// Opens the index in `folder`, creating it the first time.
    pub fn open(folder: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(folder)
            .map_err(|error| SearchError(format!("{}: {error}", folder.display())))?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(folder)
            .map_err(|error| SearchError(format!("{}: {error}", folder.display())))?;
        let index = Index::open_or_create(directory, schema)?;
        SearchIndex::with(index, fields)
    }

    /// An index in memory, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema();
        SearchIndex::with(Index::create_in_ram(schema), fields)
    }

    fn with(index: Index, fields: Fields) -> Result<SearchIndex, SearchError> {
        index.tokenizers().register(
            FOLDED,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .filter(AsciiFoldingFilter)
                .build(),
        );
        let writer = index.writer_with_num_threads(1, WRITER_BYTES)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            fields,
            writer: Mutex::new(writer),
            reader,
        })
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, IndexWriter> {
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Adds entries of a workspace, each replacing the one with its key, and commits them
    /// with `progress` (the indexer's cursors), which [`SearchIndex::progress`] reads back.
    pub fn write(
        &self,
        workspace_id: Id,
        entries: Vec<Entry>,
        progress: &str,
    ) -> Result<(), SearchError> {
        self.add(workspace_id, entries)?;
        self.commit(progress)
    }

    /// Adds entries of a workspace, each replacing the one with its key; searches see them
    /// after the next [`SearchIndex::commit`].
    pub fn add(&self, workspace_id: Id, entries: Vec<Entry>) -> Result<(), SearchError> {
        let fields = &self.fields;
        let writer = self.writer();
        for entry in entries {
            let (key, conversation, contact, text) = match entry {
                Entry::Message {
                    conversation_id,
                    message_id,
                    text,
                } => (format!("message:{message_id}"), conversation_id, 0, text),
                Entry::Title {
                    conversation_id,
                    title,
                } => (
                    format!("title:{conversation_id}"),
                    conversation_id,
                    0,
                    title,
                ),
                Entry::Contact { contact_id, text } => {
                    (format!("contact:{contact_id}"), 0, contact_id, text)
                }
                Entry::Erased(erased) => {
                    let keys = (erased.contact_ids.iter().map(|id| format!("contact:{id}")))
                        .chain(
                            erased
                                .conversation_ids
                                .iter()
                                .map(|id| format!("title:{id}")),
                        )
                        .chain(erased.message_ids.iter().map(|id| format!("message:{id}")));
                    for key in keys {
                        let key = format!("{workspace_id}/{key}");
                        writer.delete_term(Term::from_field_text(fields.key, &key));
                    }
                    continue;
                }
            };
            let key = format!("{workspace_id}/{key}");
            writer.delete_term(Term::from_field_text(fields.key, &key));
            let mut document = TantivyDocument::default();
            document.add_u64(fields.workspace, workspace_id);
            document.add_text(fields.key, &key);
            document.add_u64(fields.conversation, conversation);
            document.add_u64(fields.contact, contact);
            document.add_text(fields.text, &text);
            writer.add_document(document)?;
        }
        Ok(())
    }

    /// Removes every entry of a workspace, at once durable (the indexer's progress kept).
    pub fn forget_workspace(&self, workspace_id: Id) -> Result<(), SearchError> {
        let progress = self.progress()?.unwrap_or_else(|| "{}".into());
        self.writer()
            .delete_term(Term::from_field_u64(self.fields.workspace, workspace_id));
        self.commit(&progress)
    }

    /// Makes what was added durable and searchable, with `progress` (the indexer's cursors),
    /// which [`SearchIndex::progress`] reads back.
    pub fn commit(&self, progress: &str) -> Result<(), SearchError> {
        let mut writer = self.writer();
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(progress);
        commit.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// The `progress` of the last commit, if any.
    pub fn progress(&self) -> Result<Option<String>, SearchError> {
        Ok(self.index.load_metas()?.payload)
    }

    /// The conversations and contacts of `workspace_id` whose text holds every word of
    /// `query`, best first, at most `limit` hits read.
    pub fn search(
        &self,
        workspace_id: Id,
        query: &str,
        limit: usize,
    ) -> Result<Found, SearchError> {
        let fields = &self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![fields.text]);
        parser.set_conjunction_by_default();
        // Words only: quotes, colons and signs a person types are not query syntax here.
        let words: String = query
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        if words.trim().is_empty() {
            return Ok(Found::default());
        }
        let (text, _) = parser.parse_query_lenient(&words);
        let in_workspace: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_u64(fields.workspace, workspace_id),
            IndexRecordOption::Basic,
        ));
        let query = BooleanQuery::new(vec![(Occur::Must, in_workspace), (Occur::Must, text)]);
        let searcher = self.reader.searcher();
        let hits = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut found = Found::default();
        for (_, address) in hits {
            let document: TantivyDocument = searcher.doc(address)?;
            let number = |field| {
                document
                    .get_first(field)
                    .and_then(|value| value.as_u64())
                    .unwrap_or(0)
            };
            let (conversation, contact) = (number(fields.conversation), number(fields.contact));
            if conversation != 0 && !found.conversations.contains(&conversation) {
                found.conversations.push(conversation);
            }
            if contact != 0 && !found.contacts.contains(&contact) {
                found.contacts.push(contact);
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(conversation_id: Id, message_id: Id, text: &str) -> Entry {
        Entry::Message {
            conversation_id,
            message_id,
            text: text.into(),
        }
    }

    #[test]
    fn words_match_without_accents_or_case_and_every_word_counts() {
        let index = SearchIndex::in_memory().expect("index");
        index
            .write(
                1,
                vec![
                    message(10, 100, "Preciso de informação sobre o pedido"),
                    message(11, 101, "¿Dónde está mi PEDIDO?"),
                    Entry::Contact {
                        contact_id: 7,
                        text: "José Peña jose@example.com".into(),
                    },
                ],
                "p1",
            )
            .expect("write");
        assert_eq!(
            index
                .search(1, "informacao", 10)
                .expect("search")
                .conversations,
            [10]
        );
        assert_eq!(
            index
                .search(1, "donde pedido", 10)
                .expect("search")
                .conversations,
            [11]
        );
        let both = index.search(1, "pedido", 10).expect("search").conversations;
        assert_eq!(both.len(), 2, "{both:?}");
        assert_eq!(index.search(1, "PENA", 10).expect("search").contacts, [7]);
        assert_eq!(
            index
                .search(1, "pedido: \"(", 10)
                .expect("search")
                .conversations
                .len(),
            2
        );
        assert_eq!(
            index.search(1, " :: ", 10).expect("search"),
            Found::default()
        );
        assert_eq!(index.progress().expect("progress").as_deref(), Some("p1"));
    }

    #[test]
    fn a_workspace_finds_only_its_own_and_a_new_version_replaces_the_old() {
        let index = SearchIndex::in_memory().expect("index");
        index
            .write(1, vec![message(10, 100, "factura duplicada")], "a")
            .expect("write");
        index
            .write(2, vec![message(20, 200, "factura")], "b")
            .expect("write");
        assert_eq!(
            index
                .search(2, "factura", 10)
                .expect("search")
                .conversations,
            [20]
        );
        let renamed = |name: &str| Entry::Title {
            conversation_id: 10,
            title: name.into(),
        };
        index
            .write(1, vec![renamed("Cobro doble")], "c")
            .expect("write");
        index
            .write(1, vec![renamed("Reembolso")], "d")
            .expect("write");
        assert_eq!(
            index.search(1, "cobro", 10).expect("search"),
            Found::default()
        );
        assert_eq!(
            index
                .search(1, "reembolso", 10)
                .expect("search")
                .conversations,
            [10]
        );
    }
}
