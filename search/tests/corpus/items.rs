//! Reads the development corpus' items the cheap way: e-mails with mail-parser, voicemail JSON
//! with serde_json, faxes and letters from truth's OCR reference text.

use std::path::Path;

use mail_parser::{Message, MessageParser};
use serde_json::Value;
use switchboard_core::item::Channel;

/// One labelled item as the linker sees it.
pub struct Item {
    pub truth: Value,
    pub id: String,
    pub channel: Channel,
    pub subject: Option<String>,
    pub text: String,
    pub sender_email: Option<String>,
    pub sender_phone: Option<String>,
    pub sender_name: Option<String>,
}

fn texts(message: &Message<'_>, out: &mut String) {
    for position in 0..message.text_body_count() {
        if let Some(body) = message.body_text(position) {
            out.push_str(&body);
            out.push('\n');
        }
    }
    for attachment in message.attachments() {
        if let Some(inner) = attachment.message() {
            if let Some(from) = inner.from().and_then(|a| a.first()) {
                out.push_str(&format!(
                    "From: {} <{}>\n",
                    from.name().unwrap_or(""),
                    from.address().unwrap_or("")
                ));
            }
            if let Some(subject) = inner.subject() {
                out.push_str(&format!("Subject: {subject}\n"));
            }
            texts(inner, out);
        }
    }
}

fn string(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|v| v != "anonymous" && !v.is_empty())
}

pub fn load(corpus: &Path, truth: Value) -> Item {
    let id = truth["id"].as_str().unwrap().to_owned();
    let file = truth["files"][0].as_str().unwrap().to_owned();
    let channel = Channel::parse(truth["channel"].as_str().unwrap()).unwrap();
    let reference = string(&truth, "reference_text").unwrap_or_default();
    let mut item = Item {
        id,
        channel,
        subject: None,
        text: String::new(),
        sender_email: None,
        sender_phone: None,
        sender_name: None,
        truth: Value::Null,
    };
    match channel {
        Channel::Email => {
            let bytes = std::fs::read(corpus.join(&file)).unwrap();
            let message = MessageParser::default().parse(&bytes).unwrap();
            item.subject = message.subject().map(str::to_owned);
            if let Some(from) = message.from().and_then(|a| a.first()) {
                item.sender_email = from.address().map(str::to_ascii_lowercase);
                item.sender_name = from.name().map(str::to_owned);
            }
            texts(&message, &mut item.text);
        }
        Channel::Fax => {
            item.text = reference;
            item.sender_phone = string(&truth, "fax_csid_number");
        }
        Channel::Voicemail => {
            item.sender_phone = string(&truth, "caller");
            item.text = if file.ends_with(".json") {
                let raw = std::fs::read_to_string(corpus.join(&file)).unwrap();
                let hook: Value = serde_json::from_str(&raw).unwrap();
                hook["transcription"]["text"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned()
            } else if truth["voicemail_form"] == "transcribed_email" {
                let bytes = std::fs::read(corpus.join(&file)).unwrap();
                let message = MessageParser::default().parse(&bytes).unwrap();
                message
                    .body_text(0)
                    .map(|t| t.into_owned())
                    .unwrap_or_default()
            } else {
                // audio only: the reference text stands for what speech recognition will give
                reference
            };
        }
        Channel::Letter | Channel::Task => item.text = reference,
    }
    item.truth = truth;
    item
}
