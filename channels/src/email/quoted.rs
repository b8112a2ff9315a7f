//! Telling the new text of a message from the quoted history below or inside it.

/// Phrases of separator lines that introduce a forwarded message, compared after dashes and
/// spaces are trimmed, case-insensitively.
const FORWARD_MARKERS: &[&str] = &[
    "forwarded message",
    "begin forwarded message:",
    "doorgestuurd bericht",
    "doorgestuurd bericht:",
    "weitergeleitete nachricht",
    "weitergeleitete nachricht:",
    "message transféré",
    "message transféré :",
    "message transfere",
    "début du message réexpédié :",
    "forwarded message:",
];

/// Phrases of separator lines that introduce the original of a reply.
const ORIGINAL_MARKERS: &[&str] = &[
    "original message",
    "oorspronkelijk bericht",
    "origineel bericht",
    "ursprüngliche nachricht",
    "originalnachricht",
    "message d'origine",
    "message d’origine",
    "message original",
];

/// Header names that open an Outlook-style quoted header block, per language.
const FROM_LABELS: &[&str] = &["from", "van", "von", "de", "expéditeur"];
/// Header names that follow the sender in such a block.
const BLOCK_LABELS: &[&str] = &[
    "sent",
    "date",
    "to",
    "subject",
    "cc",
    "verzonden",
    "datum",
    "aan",
    "onderwerp",
    "gesendet",
    "an",
    "betreff",
    "envoyé",
    "à",
    "objet",
];

/// Tells whether a line separates a forwarded message ("---------- Forwarded message ----------").
pub(crate) fn is_forward_marker(line: &str) -> bool {
    let phrase = separator_phrase(line);
    FORWARD_MARKERS.iter().any(|marker| phrase == *marker)
}

/// Tells whether a line separates the original of a reply ("-----Original Message-----").
pub(crate) fn is_original_marker(line: &str) -> bool {
    let phrase = separator_phrase(line);
    ORIGINAL_MARKERS.iter().any(|marker| phrase == *marker)
}

fn separator_phrase(line: &str) -> String {
    line.trim()
        .trim_matches(|c: char| c == '-' || c == '_' || c == '=' || c.is_whitespace())
        .to_lowercase()
}

/// Splits a `Label: value` line into a lower-cased label and its value.
pub(crate) fn header_line(line: &str) -> Option<(String, &str)> {
    let trimmed = line.trim_start_matches(['>', ' ', '\t', '*']);
    let (label, value) = trimmed.split_once(':')?;
    let label = label.trim().trim_matches('*').trim().to_lowercase();
    if label.is_empty() || label.chars().count() > 20 || label.contains(char::is_whitespace) {
        return None;
    }
    Some((label, value.trim()))
}

/// Tells whether the line opens an Outlook-style header block: a sender line followed within a
/// few lines by another header label.
pub(crate) fn opens_header_block(lines: &[&str], index: usize) -> bool {
    let Some((label, _)) = lines.get(index).and_then(|line| header_line(line)) else {
        return false;
    };
    if !FROM_LABELS.contains(&label.as_str()) {
        return false;
    }
    lines
        .iter()
        .skip(index + 1)
        .take(4)
        .filter_map(|line| header_line(line))
        .any(|(label, _)| BLOCK_LABELS.contains(&label.as_str()))
}

/// Tells whether the line (possibly continued on the next) is a reply attribution such as
/// "On Mon, 3 Mar 2025, Jan wrote:" / "Op ... schreef:" / "Am ... schrieb:" / "Le ... a écrit :".
fn is_attribution(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index) else {
        return false;
    };
    let joined = match lines.get(index + 1) {
        Some(next) if !line.trim_end().ends_with(':') => format!("{} {}", line.trim(), next.trim()),
        _ => line.trim().to_owned(),
    };
    let lower = joined.to_lowercase();
    if !lower.ends_with(':') || lower.len() > 300 {
        return false;
    }
    let opening = ["on ", "op ", "am ", "le "]
        .iter()
        .any(|start| lower.starts_with(start));
    let verb = [
        " wrote",
        " schreef",
        " schrieb",
        " a écrit",
        " geschreven",
        " escribió",
    ]
    .iter()
    .any(|word| lower.contains(word));
    let inverted = lower.contains(" schreef op ")
        || lower.contains(" schrieb am ")
        || lower.contains(" wrote on ");
    (opening && verb) || inverted
}

/// Returns the index of the first line of quoted history, if any.
pub(crate) fn history_start(lines: &[&str]) -> Option<usize> {
    (0..lines.len()).find(|&index| {
        let line = lines[index];
        is_forward_marker(line)
            || is_original_marker(line)
            || is_attribution(lines, index)
            || opens_header_block(lines, index)
    })
}

/// Returns the text the sender wrote themselves: everything above the first history marker,
/// without `>`-quoted lines.
pub(crate) fn new_text(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let end = history_start(&lines).unwrap_or(lines.len());
    let mut out = String::new();
    for line in &lines[..end] {
        if line.trim_start().starts_with('>') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_attributed_quotes() {
        let text = "Graag vandaag nog.\n\nOp 3 mrt. 2025 om 10:00 schreef Velora <a@b.nl>:\n> Oude tekst\n";
        assert_eq!(new_text(text), "Graag vandaag nog.");
        let text =
            "Bitte bis Freitag.\nAm Mo., 3. März 2025 um 10:00 schrieb\nVelora <a@b.nl>:\n> alt";
        assert_eq!(new_text(text), "Bitte bis Freitag.");
        let text = "Merci.\nLe lun. 3 mars 2025 à 10:00, Velora <a@b.nl> a écrit :\n> ancien";
        assert_eq!(new_text(text), "Merci.");
        let text = "Thanks!\nOn Mon, Mar 3, 2025 at 10:00 AM Velora <a@b.nl> wrote:\n> old";
        assert_eq!(new_text(text), "Thanks!");
    }

    #[test]
    fn strips_outlook_blocks_and_separators() {
        let text = "Zie hieronder.\n\nVan: Velora <a@b.nl>\nVerzonden: maandag 3 maart 2025\nAan: x\nOnderwerp: y\n\nOud";
        assert_eq!(new_text(text), "Zie hieronder.");
        let text = "See below.\n-----Original Message-----\nFrom: x\nold";
        assert_eq!(new_text(text), "See below.");
        let text = "FYI\n---------- Forwarded message ---------\nFrom: a <a@b.nl>\n";
        assert_eq!(new_text(text), "FYI");
    }

    #[test]
    fn keeps_ordinary_text() {
        let text = "Van harte.\nDatum: morgen\nOrder: 4500012345";
        assert_eq!(new_text(text), text);
    }
}
