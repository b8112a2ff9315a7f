//! Reading Tesseract's TSV output and OSD report. Pure functions.

/// A page counts as sideways from this many sideways words on.
const MIN_SIDEWAYS_WORDS: usize = 5;

/// What Tesseract recognised on one page.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PageOcr {
    /// The text, lines joined by newlines and paragraphs by blank lines.
    pub text: String,
    /// Mean word confidence, 0–100 (0 without words).
    pub confidence: f32,
    /// Words recognised.
    pub words: usize,
    /// Words of four or more characters whose box is taller than wide, when they are the
    /// majority of such words (text running sideways); else 0.
    pub sideways_words: usize,
}

impl PageOcr {
    /// Tells whether most longer words run sideways, i.e. the page lies on its side.
    pub fn looks_sideways(&self) -> bool {
        self.sideways_words >= MIN_SIDEWAYS_WORDS
    }
}

/// Reads `tesseract ... tsv` output: word rows (level 5) in reading order.
pub fn parse_tsv(tsv: &str) -> PageOcr {
    let mut text = String::new();
    let mut previous: Option<(u32, u32, u32, u32)> = None;
    let mut confidence_sum = 0.0f64;
    let mut words = 0usize;
    let mut long_words = 0usize;
    let mut sideways_words = 0usize;
    for line in tsv.lines().skip(1) {
        let columns: Vec<&str> = line.split('\t').collect();
        if columns.len() < 12 || columns[0] != "5" {
            continue;
        }
        let word = columns[11].trim();
        let numbers: Vec<u32> = columns[1..10]
            .iter()
            .filter_map(|value| value.parse().ok())
            .collect();
        let Ok(confidence) = columns[10].parse::<f64>() else {
            continue;
        };
        if word.is_empty() || confidence < 0.0 || numbers.len() != 9 {
            continue;
        }
        let place = (numbers[0], numbers[1], numbers[2], numbers[3]);
        let (width, height) = (numbers[7], numbers[8]);
        match previous {
            None => {}
            Some((page, block, paragraph, _))
                if (page, block, paragraph) != (place.0, place.1, place.2) =>
            {
                text.push_str("\n\n");
            }
            Some(last) if last != place => text.push('\n'),
            Some(_) => text.push(' '),
        }
        text.push_str(word);
        previous = Some(place);
        confidence_sum += confidence;
        words += 1;
        if word.chars().count() >= 4 {
            long_words += 1;
            sideways_words += usize::from(height > width);
        }
    }
    // Only a majority verdict counts: fewer sideways than straight long words is noise.
    let sideways_majority = sideways_words * 2 > long_words;
    PageOcr {
        text,
        confidence: if words == 0 {
            0.0
        } else {
            (confidence_sum / words as f64) as f32
        },
        words,
        sideways_words: if sideways_majority { sideways_words } else { 0 },
    }
}

/// The turn a page needs, from Tesseract's orientation and script detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rotation {
    /// Degrees to turn the page clockwise so that it reads upright: 0, 90, 180 or 270.
    pub degrees: u16,
    /// Tesseract's orientation confidence.
    pub confidence: f32,
}

/// Reads `tesseract ... --psm 0` output (`Rotate: 180`, `Orientation confidence: 13.01`).
pub fn parse_osd(stdout: &str) -> Option<Rotation> {
    let value = |key: &str| {
        stdout
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .map(str::trim)
    };
    let degrees: u16 = value("Rotate:")?.parse().ok()?;
    let confidence: f32 = value("Orientation confidence:")?.parse().ok()?;
    matches!(degrees, 0 | 90 | 180 | 270).then_some(Rotation {
        degrees,
        confidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext";

    fn word(
        block: u32,
        paragraph: u32,
        line: u32,
        size: (u32, u32),
        confidence: f32,
        text: &str,
    ) -> String {
        format!(
            "5\t1\t{block}\t{paragraph}\t{line}\t1\t0\t0\t{}\t{}\t{confidence}\t{text}",
            size.0, size.1
        )
    }

    #[test]
    fn words_join_into_lines_and_paragraphs() {
        let tsv = [
            HEADER.to_owned(),
            "1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t".to_owned(),
            word(1, 1, 1, (50, 10), 90.0, "Betreft:"),
            word(1, 1, 1, (50, 10), 80.0, "order"),
            word(1, 1, 2, (50, 10), 70.0, "4500018807"),
            word(2, 1, 1, (50, 10), 60.0, "Gr.,"),
            word(2, 1, 1, (50, 10), -1.0, "ignored"),
            word(2, 1, 1, (50, 10), 50.0, " "),
        ]
        .join("\n");
        let page = parse_tsv(&tsv);
        assert_eq!(page.text, "Betreft: order\n4500018807\n\nGr.,");
        assert_eq!(page.words, 4);
        assert!((page.confidence - 75.0).abs() < 0.01);
        assert!(!page.looks_sideways());
    }

    #[test]
    fn tall_word_boxes_mean_a_sideways_page() {
        let mut rows = vec![HEADER.to_owned()];
        rows.extend((0..8).map(|line| word(1, 1, line, (12, 80), 90.0, "sideways")));
        rows.push(word(1, 1, 9, (80, 12), 90.0, "straight"));
        assert!(parse_tsv(&rows.join("\n")).looks_sideways());
        let mut upright = vec![HEADER.to_owned()];
        upright.extend((0..8).map(|line| word(1, 1, line, (80, 12), 90.0, "straight")));
        assert!(!parse_tsv(&upright.join("\n")).looks_sideways());
        assert_eq!(parse_tsv("").words, 0);
    }

    #[test]
    fn osd_report_gives_the_turn() {
        let report = "Page number: 0\nOrientation in degrees: 180\nRotate: 180\nOrientation confidence: 13.01\nScript: Latin\n";
        assert_eq!(
            parse_osd(report),
            Some(Rotation {
                degrees: 180,
                confidence: 13.01
            })
        );
        assert_eq!(parse_osd("Too few characters. Skipping this page\n"), None);
        assert_eq!(parse_osd("Rotate: 45\nOrientation confidence: 2\n"), None);
    }
}
