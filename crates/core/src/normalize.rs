//! Text normalisation with an offset map back to the original text.
