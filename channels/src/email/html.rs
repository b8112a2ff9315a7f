//! HTML bodies: sanitising for display and turning into readable text.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::LazyLock;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};

/// Marks remote image sources between the attribute filter and the final rewrite.
const REMOTE_MARKER: &str = "sb-remote-src:";

/// Sanitises an HTML body for display in the agent UI.
///
/// Scripts, styles, event handlers, forms and `javascript:` URLs go (ammonia's allow-list);
/// relative links go; every image source other than `cid:` moves to `data-remote-src`, so
/// nothing loads until an agent asks for it; `cid:` sources stay so the UI can serve inline
/// attachments.
pub fn sanitize_html(html: &str) -> String {
    let cleaned = SANITISER.clean(html).to_string();
    let marker_attribute = format!(" src=\"{REMOTE_MARKER}");
    cleaned
        .replace(&marker_attribute, " data-remote-src=\"")
        .trim()
        .to_owned()
}

/// The sanitiser's rules, built once: building them (ammonia's default allow-lists) was a
/// fifth of sanitising a corpus e-mail (callgrind, intake bench).
static SANITISER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .add_url_schemes(&["cid"])
        .url_relative(ammonia::UrlRelative::Deny)
        .attribute_filter(filter_attribute);
    builder
});

fn filter_attribute<'a>(element: &str, attribute: &str, value: &'a str) -> Option<Cow<'a, str>> {
    let is_image_source = element == "img" && attribute == "src";
    if is_image_source {
        let trimmed = value.trim();
        if trimmed.len() >= 4 && trimmed[..4].eq_ignore_ascii_case("cid:") {
            return Some(Cow::Borrowed(value));
        }
        return Some(Cow::Owned(format!("{REMOTE_MARKER}{trimmed}")));
    }
    if value.trim_start().starts_with(REMOTE_MARKER) {
        // Only our own rewrite may produce the marker.
        return None;
    }
    Some(Cow::Borrowed(value))
}

/// Turns HTML into readable plain text: block elements become line breaks, list items get a
/// dash, quoted blocks get `> ` prefixes, scripts and styles are dropped, entities are decoded.
/// Runs in one pass without recursion, so deeply nested markup cannot exhaust the stack.
pub fn html_to_text(html: &str) -> String {
    let sink = TextSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    let state = tokenizer.sink.state.into_inner();
    state.finish()
}

/// Returns the deepest element nesting of an HTML text (void and self-closed elements not
/// counted). One linear tokenizer pass, no tree: used to refuse markup whose tree building
/// would be slow.
pub(crate) fn max_nesting(html: &str) -> usize {
    let sink = DepthSink::default();
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let queue = BufferQueue::default();
    queue.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&queue);
    tokenizer.end();
    tokenizer.sink.max_depth.get()
}

#[derive(Default)]
struct DepthSink {
    depth: Cell<usize>,
    max_depth: Cell<usize>,
}

impl TokenSink for DepthSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        if let Token::TagToken(tag) = token {
            let name: &str = &tag.name;
            let is_void = matches!(
                name,
                "area"
                    | "base"
                    | "br"
                    | "col"
                    | "embed"
                    | "hr"
                    | "img"
                    | "input"
                    | "link"
                    | "meta"
                    | "source"
                    | "track"
                    | "wbr"
            );
            match tag.kind {
                TagKind::StartTag if !is_void && !tag.self_closing => {
                    let depth = self.depth.get() + 1;
                    self.depth.set(depth);
                    self.max_depth.set(self.max_depth.get().max(depth));
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "style" | "xmp" | "noscript" => TokenSinkResult::RawData(RawKind::Rawtext),
                        "title" | "textarea" => TokenSinkResult::RawData(RawKind::Rcdata),
                        _ => TokenSinkResult::Continue,
                    };
                }
                TagKind::EndTag if !is_void => self.depth.set(self.depth.get().saturating_sub(1)),
                _ => {}
            }
        }
        TokenSinkResult::Continue
    }
}

#[derive(Default)]
struct TextSink {
    state: RefCell<TextState>,
}

#[derive(Default)]
struct TextState {
    out: String,
    /// Depth inside elements whose text is not shown (script, style, head, title, template).
    hidden_depth: usize,
    /// Depth of `blockquote` nesting.
    quote_depth: usize,
    /// Inside `pre`: keep whitespace.
    pre_depth: usize,
    /// A space is owed before the next word.
    pending_space: bool,
    /// Line breaks owed before the next word.
    pending_breaks: usize,
}

impl TokenSink for TextSink {
    type Handle = ();

    fn process_token(&self, token: Token, _line_number: u64) -> TokenSinkResult<()> {
        let mut state = self.state.borrow_mut();
        match token {
            Token::TagToken(tag) => return state.tag(&tag),
            Token::CharacterTokens(text) => state.text(&text),
            Token::NullCharacterToken
            | Token::CommentToken(_)
            | Token::DoctypeToken(_)
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

impl TextState {
    fn tag(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name: &str = &tag.name;
        let opening = tag.kind == TagKind::StartTag;
        match name {
            "script" | "style" | "head" | "title" | "template" | "noscript" | "xml" => {
                if opening && !tag.self_closing {
                    self.hidden_depth += 1;
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                        "style" | "xml" | "noscript" => TokenSinkResult::RawData(RawKind::Rawtext),
                        _ => TokenSinkResult::Continue,
                    };
                }
                if !opening {
                    self.hidden_depth = self.hidden_depth.saturating_sub(1);
                }
            }
            "br" => self.line_breaks(1),
            "p" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "table" | "ul" | "ol" | "dl" => {
                self.line_breaks(2);
            }
            "div" | "tr" | "li" | "dt" | "dd" | "hr" | "address" | "section" | "article"
            | "header" | "footer" | "center" | "form" | "fieldset" | "caption" => {
                self.line_breaks(1);
                if name == "li" && opening {
                    self.word("- ");
                    self.pending_space = false;
                }
            }
            "td" | "th" => self.pending_space = true,
            "blockquote" => {
                self.line_breaks(1);
                if opening {
                    self.quote_depth += 1;
                } else {
                    self.quote_depth = self.quote_depth.saturating_sub(1);
                }
            }
            "pre" => {
                self.line_breaks(1);
                if opening {
                    self.pre_depth += 1;
                } else {
                    self.pre_depth = self.pre_depth.saturating_sub(1);
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }

    fn text(&mut self, text: &str) {
        if self.hidden_depth > 0 {
            return;
        }
        if self.pre_depth > 0 {
            for (index, line) in text.split('\n').enumerate() {
                if index > 0 {
                    self.line_breaks(1);
                }
                if !line.is_empty() {
                    self.word(line);
                }
            }
            return;
        }
        let text = text.replace('\u{a0}', " ");
        if text.starts_with(char::is_whitespace) {
            self.pending_space = true;
        }
        let mut any_word = false;
        for word in text.split_whitespace() {
            self.word(word);
            self.pending_space = true;
            any_word = true;
        }
        if any_word && !text.ends_with(char::is_whitespace) {
            self.pending_space = false;
        }
    }

    fn word(&mut self, word: &str) {
        if self.pending_breaks > 0 && !self.out.is_empty() {
            for _ in 0..self.pending_breaks {
                self.out.push('\n');
            }
            self.start_line();
        } else if self.out.is_empty() || self.out.ends_with('\n') {
            self.start_line();
        } else if self.pending_space {
            self.out.push(' ');
        }
        self.pending_breaks = 0;
        self.pending_space = false;
        self.out.push_str(word);
    }

    fn start_line(&mut self) {
        for _ in 0..self.quote_depth {
            self.out.push_str("> ");
        }
    }

    fn line_breaks(&mut self, count: usize) {
        self.pending_breaks = self.pending_breaks.max(count);
        self.pending_space = false;
    }

    fn finish(self) -> String {
        let lines: Vec<&str> = self.out.lines().map(str::trim_end).collect();
        let mut text = String::with_capacity(self.out.len());
        let mut blank_run = 0;
        for line in lines {
            if line.trim().is_empty() {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            text.push_str(line);
            text.push('\n');
        }
        text.trim().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitising_removes_active_content_and_remote_loads() {
        let html = r#"<html><head><style>p{}</style><script>alert(1)</script></head><body>
            <p onclick="steal()">Hallo</p>
            <img src="https://tracker.example.com/pixel.gif" onerror="alert(2)">
            <img src="cid:logo@x">
            <a href="javascript:alert(3)">klik</a>
            <a href="https://velora.example.nl/">site</a>
            <a href="/relative">rel</a>
            <iframe src="https://evil.example.com"></iframe>
            <form action="https://evil.example.com"><input name=a></form>
        </body></html>"#;
        let clean = sanitize_html(html);
        assert!(!clean.contains("<script"), "{clean}");
        assert!(!clean.contains("alert"), "{clean}");
        assert!(!clean.contains("onclick"), "{clean}");
        assert!(!clean.contains("onerror"), "{clean}");
        assert!(!clean.contains("javascript:"), "{clean}");
        assert!(!clean.contains("<iframe"), "{clean}");
        assert!(!clean.contains("<form"), "{clean}");
        assert!(!clean.contains("/relative"), "{clean}");
        assert!(
            clean.contains(r#"data-remote-src="https://tracker.example.com/pixel.gif""#),
            "{clean}"
        );
        assert!(!clean.contains(r#" src="https://"#), "{clean}");
        assert!(clean.contains(r#"src="cid:logo@x""#), "{clean}");
        assert!(clean.contains("https://velora.example.nl/"), "{clean}");
    }

    #[test]
    fn senders_cannot_smuggle_the_marker() {
        let clean =
            sanitize_html(r#"<a href="sb-remote-src:https://x">a</a><p data-remote-src="x">b</p>"#);
        assert!(!clean.contains("sb-remote-src"), "{clean}");
        assert!(!clean.contains("data-remote-src"), "{clean}");
    }

    #[test]
    fn text_keeps_blocks_lists_and_quotes() {
        let html = "<html><head><title>T</title></head><body><p>Beste&nbsp;Jan,</p>\
            <div>Bestelling <b>4500012345</b> &amp; meer.</div><ul><li>een</li><li>twee</li></ul>\
            <blockquote><p>Oude tekst</p></blockquote><script>var a = '<p>x</p>';</script>Groet</body></html>";
        let text = html_to_text(html);
        assert_eq!(
            text,
            "Beste Jan,\n\nBestelling 4500012345 & meer.\n\n- een\n- twee\n\n> Oude tekst\n\nGroet"
        );
    }

    #[test]
    fn deeply_nested_html_does_not_overflow() {
        let html = "<div>".repeat(200_000) + "diep" + &"</div>".repeat(200_000);
        assert_eq!(html_to_text(&html), "diep");
        let clean = sanitize_html(&"<b>".repeat(20_000));
        assert!(clean.len() < 200_000);
        assert_eq!(max_nesting(&"<div><span>".repeat(1_000)), 2_000);
        assert_eq!(max_nesting("<p>a<br>b<img src=x></p><p>c</p>"), 1);
    }
}
