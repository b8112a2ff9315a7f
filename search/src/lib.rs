//! Search index and linking; filled by the search-and-linking issue.
