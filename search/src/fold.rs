//! Lower-casing with the diacritics of the Latin alphabets folded away (`é` → `e`, `ß` → `ss`,
//! `œ` → `oe`), as the index's analysers fold words, for matching text without analysing it.

/// Appends `character` lower-cased and folded to `out`.
pub(crate) fn push_folded(character: char, out: &mut String) {
    if character.is_ascii() {
        out.push(character.to_ascii_lowercase());
        return;
    }
    let lower = character.to_lowercase().next().unwrap_or(character);
    let folded = match lower {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
        'é' | 'è' | 'ê' | 'ë' => "e",
        'í' | 'ì' | 'î' | 'ï' => "i",
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' => "o",
        'ú' | 'ù' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'ç' => "c",
        'ñ' => "n",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        other => {
            out.push(other);
            return;
        }
    };
    out.push_str(folded);
}

/// Returns `text` lower-cased and folded.
pub(crate) fn folded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        push_folded(character, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::folded;

    #[test]
    fn folds_the_diacritics_the_analysers_fold() {
        assert_eq!(folded("Größe Café Œuvre ÇA"), "grosse cafe oeuvre ca");
        assert_eq!(folded("Ελλάδα"), "ελλάδα");
    }
}
