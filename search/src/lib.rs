//! Search and linking: identifier extraction, linking of items to master data, and intent
//! classification. The tantivy index of items, customers and orders joins later; everything here
//! is pure and works on an in-memory [`linking::MasterSnapshot`].

mod fold;
pub mod index;
pub mod intent;
pub mod linking;

pub use intent::{Classification, IntentClassifier, IntentRules};
pub use linking::{
    InMemoryNameMatcher, LinkInput, Linker, LinkingConfig, MasterSnapshot, NameMatcher,
};
