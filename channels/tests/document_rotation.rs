//! Pages fed upside down or sideways are detected and turned before recognition.

#![expect(clippy::unwrap_used, reason = "tests")]

mod document_support;

use document_support::{config, corpus_dir, engine, tools_present, truth, word_accuracy};
use switchboard_channels::document::pdf::rasterise;
use switchboard_channels::document::recognise_upright;

#[test]
fn upside_down_and_sideways_fax_pages_are_turned_and_read() {
    if !tools_present(&[]) {
        return;
    }
    let config = config();
    let engine = engine();
    let bytes = std::fs::read(corpus_dir().join("fax/f0001.pdf")).unwrap();
    let reference = truth()
        .into_iter()
        .find(|item| item.id == "f0001")
        .unwrap()
        .reference_text;
    let upright = rasterise(&bytes, 1, &config).unwrap();
    // Fed turned by `fed` degrees clockwise, the page needs the rest of the circle.
    for (fed, needed) in [(180, 180), (90, 270)] {
        let turned = upright.rotated_clockwise(fed);
        let (ocr, rotated_degrees, read) = recognise_upright(&engine, turned, 1, &config).unwrap();
        assert_eq!(rotated_degrees, needed, "fed at {fed}");
        assert_eq!((read.width, read.height), (upright.width, upright.height));
        let accuracy = word_accuracy(&ocr.text, &reference);
        assert!(accuracy > 0.9, "fed at {fed}: accuracy {accuracy:.3}");
    }
}
