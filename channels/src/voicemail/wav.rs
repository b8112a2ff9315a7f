//! WAV recordings: header facts (format, rate, exact duration) and a speech check that tells a
//! message from silence or a steady line noise. Reads PCM (8/16 bit), A-law and mu-law.

use serde::Serialize;

use super::config::SilenceConfig;

/// WAVE format tags.
const FORMAT_PCM: u16 = 1;
const FORMAT_ALAW: u16 = 6;
const FORMAT_MULAW: u16 = 7;
const FORMAT_EXTENSIBLE: u16 = 0xFFFE;
/// Length of one analysis frame in milliseconds.
const FRAME_MILLIS: u32 = 20;
/// Longest stretch analysed for speech, in seconds; enough to tell a message from silence.
const MAX_ANALYSED_SECONDS: u32 = 600;

/// What a WAV header says.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WavInfo {
    /// WAVE format tag (1 PCM, 6 A-law, 7 mu-law).
    pub format_tag: u16,
    /// Channel count.
    pub channels: u16,
    /// Samples per second.
    pub sample_rate: u32,
    /// Bits per sample.
    pub bits_per_sample: u16,
    /// Length of the audio in seconds, from the data size.
    pub duration_seconds: f64,
}

/// The outcome of the speech check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SpeechCheck {
    /// Loudness of the quiet frames (10th percentile), dB over one 16-bit step.
    pub quiet_db: f64,
    /// Loudness of the loud frames (90th percentile).
    pub loud_db: f64,
    /// Whether the recording seems to hold speech.
    pub has_speech: bool,
}

/// A readable WAV file: its header and its sample bytes.
struct Wav<'a> {
    info: WavInfo,
    block_align: u16,
    data: &'a [u8],
}

/// Reads the header of a RIFF/WAVE file; `None` when the bytes are no WAV this module reads.
pub fn read_info(bytes: &[u8]) -> Option<WavInfo> {
    parse(bytes).map(|wav| wav.info)
}

/// Tells whether a recording holds speech; `None` when the format cannot be decoded.
pub fn check_speech(bytes: &[u8], thresholds: &SilenceConfig) -> Option<SpeechCheck> {
    let wav = parse(bytes)?;
    let frame_len = usize::try_from(wav.info.sample_rate * FRAME_MILLIS / 1000).ok()?;
    let max_frames = usize::try_from(MAX_ANALYSED_SECONDS * 1000 / FRAME_MILLIS).ok()?;
    if frame_len == 0 {
        return None;
    }
    let samples = decode_first_channel(&wav)?;
    let mut levels: Vec<f64> = samples
        .chunks_exact(frame_len)
        .take(max_frames)
        .map(frame_level_db)
        .collect();
    if levels.is_empty() {
        return Some(SpeechCheck {
            quiet_db: 0.0,
            loud_db: 0.0,
            has_speech: false,
        });
    }
    levels.sort_by(f64::total_cmp);
    let quiet_db = levels[levels.len() / 10];
    let loud_db = levels[levels.len() * 9 / 10];
    let audible = loud_db >= thresholds.silence_level_db;
    let varies_like_speech = loud_db - quiet_db >= thresholds.min_speech_spread_db;
    Some(SpeechCheck {
        quiet_db,
        loud_db,
        has_speech: audible && varies_like_speech,
    })
}

fn frame_level_db(frame: &[i16]) -> f64 {
    let energy: f64 = frame.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    let rms = (energy / frame.len() as f64).sqrt();
    20.0 * (rms + 1.0).log10()
}

fn parse(bytes: &[u8]) -> Option<Wav<'_>> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut format: Option<(u16, u16, u32, u16, u16)> = None;
    let mut data: Option<&[u8]> = None;
    let mut offset = 12usize;
    while offset + 8 <= bytes.len() {
        let id = &bytes[offset..offset + 4];
        let size = usize::try_from(read_u32(bytes, offset + 4)?).ok()?;
        let body_start = offset + 8;
        let body_end = body_start.saturating_add(size).min(bytes.len());
        let body = &bytes[body_start..body_end];
        match id {
            b"fmt " if body.len() >= 16 => {
                let mut tag = read_u16(body, 0)?;
                if tag == FORMAT_EXTENSIBLE && body.len() >= 26 {
                    tag = read_u16(body, 24)?;
                }
                let channels = read_u16(body, 2)?;
                let rate = read_u32(body, 4)?;
                let block_align = read_u16(body, 12)?;
                let bits = read_u16(body, 14)?;
                format = Some((tag, channels, rate, block_align, bits));
            }
            b"data" => {
                data = Some(body);
                break;
            }
            _ => {}
        }
        offset = body_start.saturating_add(size).saturating_add(size & 1);
    }
    let (format_tag, channels, sample_rate, block_align, bits_per_sample) = format?;
    let data = data?;
    if channels == 0 || sample_rate == 0 || block_align == 0 {
        return None;
    }
    let frames = data.len() / usize::from(block_align);
    let duration_seconds = frames as f64 / f64::from(sample_rate);
    Some(Wav {
        info: WavInfo {
            format_tag,
            channels,
            sample_rate,
            bits_per_sample,
            duration_seconds,
        },
        block_align,
        data,
    })
}

/// Decodes the first channel to 16-bit linear samples.
fn decode_first_channel(wav: &Wav<'_>) -> Option<Vec<i16>> {
    let decode: fn(&[u8]) -> i16 = match (wav.info.format_tag, wav.info.bits_per_sample) {
        (FORMAT_MULAW, 8) => |b| mulaw_to_linear(b[0]),
        (FORMAT_ALAW, 8) => |b| alaw_to_linear(b[0]),
        (FORMAT_PCM, 8) => |b| (i16::from(b[0]) - 128) << 8,
        (FORMAT_PCM, 16) => |b| i16::from_le_bytes([b[0], b[1]]),
        _ => return None,
    };
    let sample_bytes = usize::from(wav.info.bits_per_sample / 8);
    if usize::from(wav.block_align) < sample_bytes {
        return None;
    }
    Some(
        wav.data
            .chunks_exact(usize::from(wav.block_align))
            .map(|block| decode(&block[..sample_bytes]))
            .collect(),
    )
}

/// G.711 mu-law to 16-bit linear.
fn mulaw_to_linear(byte: u8) -> i16 {
    let inverted = !byte;
    let magnitude = ((i32::from(inverted & 0x0F) << 3) + 0x84) << ((inverted & 0x70) >> 4);
    let value = if inverted & 0x80 != 0 {
        0x84 - magnitude
    } else {
        magnitude - 0x84
    };
    i16::try_from(value).unwrap_or(if value < 0 { i16::MIN } else { i16::MAX })
}

/// G.711 A-law to 16-bit linear.
fn alaw_to_linear(byte: u8) -> i16 {
    let toggled = byte ^ 0x55;
    let mantissa = i32::from(toggled & 0x0F);
    let exponent = (toggled & 0x70) >> 4;
    let magnitude = match exponent {
        0 => (mantissa << 4) + 8,
        _ => ((mantissa << 4) + 0x108) << (exponent - 1),
    };
    let value = if toggled & 0x80 != 0 {
        magnitude
    } else {
        -magnitude
    };
    i16::try_from(value).unwrap_or(if value < 0 { i16::MIN } else { i16::MAX })
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let pair = bytes.get(at..at + 2)?;
    Some(u16::from_le_bytes([pair[0], pair[1]]))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let quad = bytes.get(at..at + 4)?;
    Some(u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a mono 8 kHz WAV of the given format from 16-bit samples.
    pub(crate) fn pcm16_wav(samples: &[i16]) -> Vec<u8> {
        let data: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        let mut wav = Vec::new();
        wav.extend_from_slice(b"RIFF");
        wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        wav.extend_from_slice(b"WAVEfmt ");
        wav.extend_from_slice(&16u32.to_le_bytes());
        wav.extend_from_slice(&FORMAT_PCM.to_le_bytes());
        wav.extend_from_slice(&1u16.to_le_bytes());
        wav.extend_from_slice(&8000u32.to_le_bytes());
        wav.extend_from_slice(&16000u32.to_le_bytes());
        wav.extend_from_slice(&2u16.to_le_bytes());
        wav.extend_from_slice(&16u16.to_le_bytes());
        wav.extend_from_slice(b"data");
        wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
        wav.extend_from_slice(&data);
        wav
    }

    /// Two seconds of bursts (speech-like) and pauses.
    pub(crate) fn bursty_samples() -> Vec<i16> {
        (0..16_000)
            .map(|i| {
                let in_burst = (i / 1600) % 2 == 0;
                let wave = ((i as f64) * 0.3).sin();
                if in_burst { (wave * 8000.0) as i16 } else { 0 }
            })
            .collect()
    }

    #[test]
    fn duration_comes_from_the_data_size() {
        let info = read_info(&pcm16_wav(&vec![0; 12_000])).unwrap();
        assert_eq!(info.sample_rate, 8000);
        assert!((info.duration_seconds - 1.5).abs() < 1e-9);
    }

    #[test]
    fn silence_and_steady_noise_hold_no_speech_but_bursts_do() {
        let thresholds = SilenceConfig::default();
        let silent = check_speech(&pcm16_wav(&vec![0; 16_000]), &thresholds).unwrap();
        assert!(!silent.has_speech);
        let hiss: Vec<i16> = (0..16_000)
            .map(|i| if i % 2 == 0 { 3000 } else { -3000 })
            .collect();
        assert!(
            !check_speech(&pcm16_wav(&hiss), &thresholds)
                .unwrap()
                .has_speech
        );
        let speech = check_speech(&pcm16_wav(&bursty_samples()), &thresholds).unwrap();
        assert!(speech.has_speech, "{speech:?}");
    }

    #[test]
    fn g711_decoders_match_reference_points() {
        assert_eq!(mulaw_to_linear(0xFF), 0);
        assert_eq!(mulaw_to_linear(0x80), 32124);
        assert_eq!(mulaw_to_linear(0x00), -32124);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
    }

    #[test]
    fn non_wav_bytes_are_refused() {
        assert!(read_info(b"not a wav file at all").is_none());
        assert!(read_info(b"RIFF\x04\x00\x00\x00WAVE").is_none());
    }
}
