//! The words of a search as a tantivy query.
//!
//! The user's syntax is parsed leniently by tantivy's grammar; each plain word or phrase is looked
//! up in every text field of the kind, and in the item text once per language analyser (items of
//! every language share one field), so a word costs one posting list per distinct stem. Clauses
//! that only add up (OR, and the fields and stems of one word) are flattened into one boolean
//! query of term queries, which tantivy prunes with block-WAND. Anything else (a field named in
//! the query, ranges, prefixes) goes to tantivy's query parser.

use std::collections::BTreeSet;

use tantivy::Term;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, QueryParser, TermQuery,
};
use tantivy::query_grammar::{UserInputAst, UserInputLeaf, UserInputLiteral, parse_query_lenient};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::analysis::{Slot, analyser};
use super::query::MatchMode;
use super::schema::{DocKind, Fields};

/// A text field a search looks in.
struct TextField {
    field: Field,
    boost: f32,
    /// Whether values are stemmed per language (the item text): words are analysed once per
    /// language; other fields are analysed plainly.
    languages: bool,
}

/// The fields and fallback parser of one scope (a kind, or all kinds).
struct Scope {
    kind: Option<DocKind>,
    fields: Vec<TextField>,
    parser: QueryParser,
}

/// Turns search words into queries, per scope; built for one index generation.
pub(crate) struct Parsers {
    scopes: Vec<Scope>,
    analysers: Vec<TextAnalyzer>,
}

/// Part of a query: either a union of alternatives that may be merged into an enclosing union,
/// or any other query.
enum Part {
    Union(Vec<Box<dyn Query>>),
    Other(Box<dyn Query>),
}

impl Part {
    fn into_query(self) -> Box<dyn Query> {
        match self {
            Self::Union(mut alternatives) if alternatives.len() == 1 => alternatives.remove(0),
            Self::Union(alternatives) => Box::new(BooleanQuery::new(
                alternatives
                    .into_iter()
                    .map(|query| (Occur::Should, query))
                    .collect(),
            )),
            Self::Other(query) => query,
        }
    }
}

impl Parsers {
    /// Builds the parsers over the text fields that hold any term in `searcher`: a field no
    /// document uses would cost a term lookup per segment on every search.
    pub(crate) fn new(
        index: &tantivy::Index,
        fields: &Fields,
        searcher: &tantivy::Searcher,
    ) -> Self {
        let in_use = |field: Field| {
            searcher.segment_readers().iter().any(|segment| {
                segment
                    .inverted_index(field)
                    .map_or(true, |inverted| inverted.terms().num_terms() > 0)
            })
        };
        let scopes = [
            None,
            Some(DocKind::Item),
            Some(DocKind::Customer),
            Some(DocKind::Order),
        ]
        .into_iter()
        .map(|kind| {
            let kinds: Vec<DocKind> = kind.map_or(DocKind::ALL.to_vec(), |kind| vec![kind]);
            let all: Vec<(Field, f32)> = kinds
                .iter()
                .flat_map(|kind| fields.text_fields_of(*kind))
                .collect();
            let mut parser = QueryParser::for_index(index, all.iter().map(|(f, _)| *f).collect());
            for (field, boost) in &all {
                if (*boost - 1.0).abs() > f32::EPSILON {
                    parser.set_field_boost(*field, *boost);
                }
            }
            let fields = all
                .into_iter()
                .filter(|(field, _)| in_use(*field))
                .map(|(field, boost)| TextField {
                    field,
                    boost,
                    languages: field == fields.text,
                })
                .collect();
            Scope {
                kind,
                fields,
                parser,
            }
        })
        .collect();
        Self {
            scopes,
            analysers: Slot::ALL.into_iter().map(analyser).collect(),
        }
    }

    fn scope(&self, kind: Option<DocKind>) -> Option<&Scope> {
        self.scopes.iter().find(|scope| scope.kind == kind)
    }

    /// Builds the query of the user's words; `None` when they hold nothing to look for.
    pub(crate) fn words(
        &self,
        kind: Option<DocKind>,
        text: &str,
        mode: MatchMode,
    ) -> Option<Box<dyn Query>> {
        let scope = self.scope(kind)?;
        let (ast, errors) = parse_query_lenient(text);
        if !errors.is_empty() {
            tracing::debug!(errors = errors.len(), "lenient query parse");
        }
        let default = match mode {
            MatchMode::All => Occur::Must,
            MatchMode::Any => Occur::Should,
        };
        self.ast(scope, ast, default).map(Part::into_query)
    }

    /// Builds the query of words that must follow each other in a text field.
    pub(crate) fn phrase(&self, kind: Option<DocKind>, words: &str) -> Option<Box<dyn Query>> {
        let scope = self.scope(kind)?;
        self.literal(scope, words, 0).map(Part::into_query)
    }

    fn ast(&self, scope: &Scope, ast: UserInputAst, default: Occur) -> Option<Part> {
        match ast {
            UserInputAst::Leaf(leaf) => self.leaf(scope, *leaf),
            UserInputAst::Boost(inner, boost) => {
                let inner = self.ast(scope, *inner, default)?.into_query();
                #[expect(
                    clippy::cast_possible_truncation,
                    reason = "a boost typed by a user fits an f32"
                )]
                let boost = boost.into_inner() as f32;
                Some(Part::Other(Box::new(BoostQuery::new(inner, boost))))
            }
            UserInputAst::Clause(clauses) => {
                let mut built: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (occur, sub) in clauses {
                    let occur = occur.unwrap_or(default);
                    match (occur, self.ast(scope, sub, default)) {
                        (_, None) => {}
                        (Occur::Should, Some(Part::Union(alternatives))) => built
                            .extend(alternatives.into_iter().map(|query| (Occur::Should, query))),
                        (occur, Some(part)) => built.push((occur, part.into_query())),
                    }
                }
                if built.is_empty() {
                    return None;
                }
                if built.iter().all(|(occur, _)| *occur == Occur::Should) {
                    return Some(Part::Union(
                        built.into_iter().map(|(_, query)| query).collect(),
                    ));
                }
                if built.len() == 1 && built[0].0 == Occur::Must {
                    return built.pop().map(|(_, query)| Part::Other(query));
                }
                if built.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    built.push((Occur::Must, Box::new(AllQuery)));
                }
                Some(Part::Other(Box::new(BooleanQuery::new(built))))
            }
        }
    }

    fn leaf(&self, scope: &Scope, leaf: UserInputLeaf) -> Option<Part> {
        match leaf {
            UserInputLeaf::Literal(UserInputLiteral {
                field_name: None,
                phrase,
                slop,
                prefix: false,
                ..
            }) => self.literal(scope, &phrase, slop),
            other => {
                let (query, errors) = scope
                    .parser
                    .build_query_from_user_input_ast_lenient(UserInputAst::Leaf(Box::new(other)));
                if !errors.is_empty() {
                    tracing::debug!(errors = errors.len(), "lenient query parse");
                }
                Some(Part::Other(query))
            }
        }
    }

    /// Looks a word or phrase up in every field of the scope: the alternatives, each distinct
    /// term or phrase once.
    fn literal(&self, scope: &Scope, text: &str, slop: u32) -> Option<Part> {
        let mut terms: BTreeSet<Term> = BTreeSet::new();
        let mut phrases: Vec<Vec<(usize, Term)>> = Vec::new();
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        let plain = [Slot::Plain];
        for field in &scope.fields {
            let slots: &[Slot] = if field.languages { &Slot::ALL } else { &plain };
            for slot in slots {
                let tokens = self.tokens(*slot, field.field, text);
                let query: Box<dyn Query> = match tokens.as_slice() {
                    [] => continue,
                    [(_, term)] => {
                        if !terms.insert(term.clone()) {
                            continue;
                        }
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs))
                    }
                    _ => {
                        if phrases.contains(&tokens) {
                            continue;
                        }
                        phrases.push(tokens.clone());
                        Box::new(PhraseQuery::new_with_offset_and_slop(tokens, slop))
                    }
                };
                alternatives.push(if (field.boost - 1.0).abs() > f32::EPSILON {
                    Box::new(BoostQuery::new(query, field.boost))
                } else {
                    query
                });
            }
        }
        (!alternatives.is_empty()).then_some(Part::Union(alternatives))
    }

    fn tokens(&self, slot: Slot, field: Field, text: &str) -> Vec<(usize, Term)> {
        let mut analyser = self.analysers[slot.position()].clone();
        let mut stream = analyser.token_stream(text);
        let mut tokens = Vec::new();
        while let Some(token) = stream.next() {
            tokens.push((token.position, Term::from_field_text(field, &token.text)));
        }
        tokens
    }
}
