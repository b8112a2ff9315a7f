//! Channel parsers. The e-mail, fax, voicemail, letter and task channels land here.

pub mod document;
pub mod email;
mod header_check;
pub mod reference_token;
pub mod task;
pub mod voicemail;
