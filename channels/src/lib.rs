//! Channel parsers. The e-mail, fax, voicemail, letter and task channels land here.
