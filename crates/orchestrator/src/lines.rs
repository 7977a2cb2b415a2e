//! Line numbers in a config file for errors found after TOML parsing (an extractor's own
//! parameters are checked by its family, long after the TOML spans are gone).
//!
//! Only the usual layout is understood (`[[extractors]]` and `[corpora.name]` headers,
//! `key = value` lines); for anything else the caller gets `None` and reports the file
//! without a line.

/// The 1-based line of the `[[extractors]]` header of extractor `index` (0-based).
pub fn extractor_header(text: &str, index: usize) -> Option<usize> {
    text.lines().enumerate().filter(|(_, l)| l.trim_start().starts_with("[[extractors]]")).nth(index).map(|(i, _)| i + 1)
}

/// The 1-based line of the `[corpora.name]` header.
pub fn corpus_header(text: &str, name: &str) -> Option<usize> {
    let headers = [format!("[corpora.{name}]"), format!("[corpora.\"{name}\"]"), format!("[corpora.'{name}']")];
    text.lines().position(|l| headers.iter().any(|h| l.trim() == h)).map(|i| i + 1)
}

/// The 1-based line in the table whose header is on line `header` that a message about
/// `word` concerns: the line setting `word` as a key, else the first line whose value
/// mentions it (`unknown variant `bilou``), else the header.
pub fn in_table(text: &str, header: usize, word: Option<&str>) -> usize {
    let Some(word) = word else { return header };
    let body: Vec<(usize, &str)> = text.lines().enumerate().skip(header).take_while(|(_, l)| !l.trim_start().starts_with('[')).collect();
    let sets = |l: &str| {
        let l = l.trim_start();
        let rest = l.strip_prefix(word).or_else(|| l.strip_prefix(&format!("\"{word}\""))).unwrap_or("");
        rest.trim_start().starts_with('=')
    };
    let mentions = |l: &str| l.split_once('=').is_some_and(|(_, value)| value.contains(word));
    body.iter().find(|(_, l)| sets(l)).or_else(|| body.iter().find(|(_, l)| mentions(l))).map_or(header, |(i, _)| i + 1)
}

/// The 1-based line where extractor `index` sets `key` (or mentions it), or its header line.
pub fn extractor_key(text: &str, index: usize, key: &str) -> Option<usize> {
    Some(in_table(text, extractor_header(text, index)?, Some(key)))
}

/// The key or value a serde message is about (``unknown field `bogus`, expected ...`` ->
/// `bogus`), when it names one.
pub fn key_in_message(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[eval]\n\n[[extractors]]\nname = \"a\"\nkind = \"k\"\n\n[[extractors]]\nname = \"b\"\nthreads = 9\n  bogus = 1\ncase = \"fuzzy\"\n[corpora.x]\nthreads = 2\n";

    #[test]
    fn finds_headers_keys_and_values() {
        assert_eq!(extractor_header(TEXT, 0), Some(3));
        assert_eq!(extractor_header(TEXT, 1), Some(7));
        assert_eq!(extractor_header(TEXT, 2), None);
        assert_eq!(extractor_key(TEXT, 1, "threads"), Some(9));
        assert_eq!(extractor_key(TEXT, 1, "bogus"), Some(10));
        assert_eq!(extractor_key(TEXT, 1, "fuzzy"), Some(11), "a value");
        assert_eq!(extractor_key(TEXT, 0, "threads"), Some(3), "not set: the header");
        assert_eq!(corpus_header(TEXT, "x"), Some(12));
        assert_eq!(in_table(TEXT, 12, Some("threads")), 13);
        assert_eq!(in_table(TEXT, 12, None), 12);
        assert_eq!(key_in_message("unknown field `bogus`, expected one of `a`"), Some("bogus"));
        assert_eq!(key_in_message("no key"), None);
    }
}
