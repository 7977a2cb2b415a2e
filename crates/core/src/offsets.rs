//! Conversions between character offsets (brat, Python) and byte offsets (Rust `str`).

/// Maps character offsets of one text to byte offsets and back in O(log n).
///
/// Built once per text; brat standoff files count Unicode scalar values while nerlab's
/// entities count bytes, and every reader and writer goes through this map.
#[derive(Debug, Clone)]
pub struct CharByteMap {
    /// `bytes[i]` is the byte offset of character `i`; the last entry is `text.len()`.
    bytes: Vec<usize>,
}

impl CharByteMap {
    /// Builds the map for `text`.
    pub fn new(text: &str) -> CharByteMap {
        let mut bytes: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
        bytes.push(text.len());
        CharByteMap { bytes }
    }

    /// The number of characters in the text.
    pub fn char_len(&self) -> usize {
        self.bytes.len() - 1
    }

    /// The byte offset of character offset `char_offset` (which may equal the length), or
    /// `None` when out of range.
    pub fn to_byte(&self, char_offset: usize) -> Option<usize> {
        self.bytes.get(char_offset).copied()
    }

    /// The character offset of `byte_offset`, or `None` when it is not on a character boundary
    /// or out of range.
    pub fn to_char(&self, byte_offset: usize) -> Option<usize> {
        self.bytes.binary_search(&byte_offset).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_on_multibyte_text() {
        let text = "“NATO” in Grushkó’s";
        let map = CharByteMap::new(text);
        assert_eq!(map.char_len(), text.chars().count());
        for (c, (b, _)) in text.char_indices().enumerate() {
            assert_eq!(map.to_byte(c), Some(b));
            assert_eq!(map.to_char(b), Some(c));
        }
        assert_eq!(map.to_byte(map.char_len()), Some(text.len()));
        assert_eq!(map.to_char(1), None, "inside the 3-byte opening quote");
        assert_eq!(map.to_byte(map.char_len() + 1), None);
    }
}
