#!/usr/bin/env python3
"""A tiny regex NER tool speaking nerlab's command protocol (crates/command/README.md).

No NLP library: it exists to show the protocol in full and to test nerlab's `command`
extractor. It finds acronyms (ORG), titled names such as "Mr. Lavrov" (PER) and dates such
as "October 18, 2021" (DATE), and answers in Unicode character offsets (config:
`offsets = "chars"`), or in UTF-8 byte offsets with `--offsets bytes`.

    echo '{"id": "1", "text": "Mr. Lavrov left NATO on October 18, 2021."}' | python3 extract.py
"""

import argparse
import json
import re
import sys

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
# Group 1 is the entity. `\w` is Unicode-aware, so "Mr. Łukasz Nowak" matches; the name's
# words must start with a capital letter, checked in find() (Python's re has no \p{Lu}).
PATTERNS = [
    ("PER", re.compile(r"\b(?:Mr|Mrs|Ms|Dr)\.\s+(\w+(?: \w+)*)")),
    ("ORG", re.compile(r"\b([A-Z]{2,6})\b")),
    ("DATE", re.compile(r"\b((?:%s)\s+\d{1,2},\s+\d{4})\b" % MONTHS)),
]
LABELS = [label for label, _ in PATTERNS]


def find(text):
    """Entities of `text` as (start, end, label) in character offsets, sorted."""
    spans = []
    for label, pattern in PATTERNS:
        for m in pattern.finditer(text):
            start, end = m.start(1), m.end(1)
            if label == "PER":
                words = []
                for word in m.group(1).split(" "):
                    if not word[0].isupper():
                        break
                    words.append(word)
                if not words:
                    continue
                end = start + len(" ".join(words))
            spans.append((start, end, label))
    return sorted(spans)


def to_bytes(text, spans):
    """The same spans in UTF-8 byte offsets."""
    return [(len(text[:s].encode()), len(text[:e].encode()), label) for s, e, label in spans]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offsets", choices=["chars", "bytes"], default="chars")
    args = parser.parse_args()

    # 1. The handshake, once ready: protocol version and the labels this tool can produce.
    print(json.dumps({"nerlab_protocol": 1, "labels": LABELS, "name": "regex example"}), flush=True)
    # 2. One answer line per request line, with the request's id.
    # (stdin.buffer: the bytes are UTF-8 JSON whatever the locale says.)
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        request = json.loads(line)
        text = request["text"]
        spans = find(text)
        if args.offsets == "bytes":
            spans = to_bytes(text, spans)
        entities = [{"start": s, "end": e, "label": label} for s, e, label in spans]
        print(json.dumps({"id": request["id"], "entities": entities}), flush=True)


if __name__ == "__main__":
    main()
