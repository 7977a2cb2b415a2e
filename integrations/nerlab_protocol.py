"""Helpers for Python tools speaking nerlab's command protocol (crates/command/README.md).

`serve(answer_batch)` prints the handshake, then reads requests in batches: whatever lines are
already waiting on stdin (up to `max_batch`), never waiting for more while some are in hand,
so a tool can batch (spaCy's `nlp.pipe`) without ever stalling nerlab, which sends a batch and
waits for its answers. Run on a file (`tool.py < docs.jsonl`) it reads full batches.
"""

import json
import os
import select
import sys


def handshake(labels=None, name=None):
    """Prints the first line: the protocol version, and optionally labels and a name."""
    line = {"nerlab_protocol": 1}
    if labels is not None:
        line["labels"] = list(labels)
    if name is not None:
        line["name"] = name
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def read_batches(max_batch=64, fd=None):
    """Yields lists of request dicts: the complete lines available now, at most max_batch."""
    fd = sys.stdin.fileno() if fd is None else fd
    pending = []
    buffer = b""
    eof = False
    while not eof or pending:
        if not pending:
            chunk = os.read(fd, 1 << 16)  # blocks until something arrives
            eof = not chunk
            buffer += chunk
            # Take what else is already there, without waiting.
            while not eof and buffer.count(b"\n") < max_batch and select.select([fd], [], [], 0)[0]:
                chunk = os.read(fd, 1 << 16)
                eof = not chunk
                buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            if eof and buffer.strip():
                lines.append(buffer)
                buffer = b""
            pending = [json.loads(line) for line in lines if line.strip()]
        if pending:
            yield pending[:max_batch]
            pending = pending[max_batch:]


def entity(start, end, label):
    """One entity of an answer."""
    return {"start": start, "end": end, "label": label}


def answer(doc_id, entities):
    """One answer line, unflushed (flush once per batch)."""
    sys.stdout.write(json.dumps({"id": doc_id, "entities": entities}) + "\n")


def serve(answer_batch, labels=None, name=None, max_batch=64):
    """Handshake, then `answer_batch(requests) -> [entities per request]` for each batch."""
    handshake(labels, name)
    for batch in read_batches(max_batch):
        for request, entities in zip(batch, answer_batch(batch)):
            answer(request["id"], entities)
        sys.stdout.flush()
