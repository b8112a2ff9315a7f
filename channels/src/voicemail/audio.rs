//! Recording formats: which audio a voicemail may carry, told from the bytes (never from a name
//! or a declared type), as the media type a browser plays it under and a file extension.

use super::wav;

/// A recording format a browser's `<audio>` element plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    /// The media type served with the recording, e.g. `audio/mpeg`.
    pub media_type: &'static str,
    /// The file extension for a recording without a usable name, e.g. `mp3`.
    pub extension: &'static str,
}

/// The playable formats, keyed by the media type the `infer` sniffer reports.
const PLAYABLE: &[(&str, AudioFormat)] = &[
    ("audio/x-wav", format("audio/wav", "wav")),
    ("audio/mpeg", format("audio/mpeg", "mp3")),
    ("audio/ogg", format("audio/ogg", "ogg")),
    ("audio/opus", format("audio/ogg", "opus")),
    ("audio/x-flac", format("audio/flac", "flac")),
    ("audio/m4a", format("audio/mp4", "m4a")),
    ("audio/aac", format("audio/aac", "aac")),
];

const fn format(media_type: &'static str, extension: &'static str) -> AudioFormat {
    AudioFormat {
        media_type,
        extension,
    }
}

/// What a recording's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordingKind {
    /// Audio a browser plays.
    Playable(AudioFormat),
    /// Something else: the sniffed media type, when the bytes are recognised at all.
    Other(Option<&'static str>),
}

/// Tells what a recording's bytes are. WAV files the PBXs write (A-law, mu-law, PCM) are
/// recognised by their header even where the general sniffer is unsure.
pub fn sniff_recording(content: &[u8]) -> RecordingKind {
    if wav::read_info(content).is_some() {
        return RecordingKind::Playable(format("audio/wav", "wav"));
    }
    let sniffed = infer::get(content).map(|kind| kind.mime_type());
    PLAYABLE
        .iter()
        .find(|(sniffed_type, _)| Some(*sniffed_type) == sniffed)
        .map_or(RecordingKind::Other(sniffed), |(_, format)| {
            RecordingKind::Playable(*format)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn playable_audio_is_told_from_its_bytes() {
        let mp3 = [b"ID3\x03\x00\x00\x00".as_slice(), &[0; 32]].concat();
        let ogg = [b"OggS\x00\x02".as_slice(), &[0; 40]].concat();
        let flac = [b"fLaC".as_slice(), &[0; 40]].concat();
        let cases: [(&[u8], RecordingKind); 5] = [
            (&mp3, RecordingKind::Playable(format("audio/mpeg", "mp3"))),
            (&ogg, RecordingKind::Playable(format("audio/ogg", "ogg"))),
            (&flac, RecordingKind::Playable(format("audio/flac", "flac"))),
            (
                b"%PDF-1.7\n%binary",
                RecordingKind::Other(Some("application/pdf")),
            ),
            (b"just some text", RecordingKind::Other(None)),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff_recording(bytes), expected);
        }
    }
}
