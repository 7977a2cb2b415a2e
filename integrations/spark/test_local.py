"""CI test of the Spark job: Spark in local mode must give, document for document, the output
of a single-process `nerlab extract` over the news and CoNLL-2003 test corpora.

    python test_local.py --nerlab target/debug/nerlab --root . --work target/spark-test

With `--measure FILE`, also times the job on `local[1]` and `local[2]` over FILE (JSONL).
Run by `cargo xtask test` with the virtual environment `cargo xtask setup` makes.
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXTRACTORS = ["rules", "dictionary"]


def news_jsonl(root, out):
    """The news corpus's texts, one document per file (id = file stem)."""
    with open(out, "w", encoding="utf-8") as f:
        for path in sorted(glob.glob(os.path.join(root, "corpus/news/*.txt"))):
            with open(path, encoding="utf-8") as t:
                text = t.read()
            f.write(json.dumps({"id": os.path.basename(path)[:-4], "text": text}, ensure_ascii=False) + "\n")


def conll_jsonl(path, out):
    """A CoNLL file as nerlab reads it by default: one sentence per document, tokens joined by
    single spaces."""
    docs, sentence = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            columns = line.split()
            if not columns or columns[0] == "-DOCSTART-":
                if sentence:
                    docs.append(" ".join(sentence))
                    sentence = []
                continue
            sentence.append(columns[0])
    if sentence:
        docs.append(" ".join(sentence))
    with open(out, "w", encoding="utf-8") as f:
        for i, text in enumerate(docs, 1):
            f.write(json.dumps({"id": f"test-{i}", "text": text}, ensure_ascii=False) + "\n")


def spark_submit(master, bundle_path, args, work):
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    submit = os.path.join(os.path.dirname(sys.executable), "spark-submit")
    command = [submit, "--master", master, "--conf", "spark.ui.enabled=false",
               "--conf", "spark.driver.extraJavaOptions=-Dlog4j.rootLogger=WARN",
               "--archives", bundle_path + "#nerlab", os.path.join(HERE, "nerlab_spark.py"), "run"] + args
    start = time.monotonic()
    with open(os.path.join(work, "spark.log"), "a") as log:
        code = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=log).returncode
    if code != 0:
        sys.exit(f"spark-submit failed ({code}); see {os.path.join(work, 'spark.log')}")
    return time.monotonic() - start


def parts(directory):
    lines = []
    for path in sorted(glob.glob(os.path.join(directory, "part-*"))):
        with open(path, encoding="utf-8") as f:
            lines.extend(line.rstrip("\n") for line in f)
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nerlab", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--measure", help="a JSONL corpus to time local[1] against local[2] on")
    args = parser.parse_args()
    root, work = os.path.abspath(args.root), os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    sys.path.insert(0, HERE)
    import nerlab_spark

    bundle_path = nerlab_spark.bundle(args.nerlab, os.path.join(root, "nerlab.toml"),
                                      ["models/rules", "models/gazetteers"], os.path.join(work, "nerlab.tgz"))
    inputs = [os.path.join(work, "news.jsonl"), os.path.join(work, "conll-test.jsonl")]
    news_jsonl(root, inputs[0])
    conll_jsonl(os.path.join(root, "corpus/conll2003/test.txt"), inputs[1])

    extractor_args = [a for e in EXTRACTORS for a in ("--extractor", e)]
    spark_submit("local[2]", bundle_path,
                 extractor_args + ["--input", ",".join(inputs), "--output", os.path.join(work, "out"), "--partitions", "4"],
                 work)
    failures = 0
    for extractor in EXTRACTORS:
        expected = subprocess.run([args.nerlab, "--config", os.path.join(root, "nerlab.toml"), "extract", "-e", extractor,
                                   "--threads", "1", "--quiet"] + inputs,
                                  check=True, stdout=subprocess.PIPE).stdout.decode("utf-8").splitlines()
        got = parts(os.path.join(work, "out", extractor))
        entities = sum(len(json.loads(line)["entities"]) for line in expected)
        if got != expected:
            failures += 1
            first = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
            print(f"FAIL {extractor}: {len(got)} lines from Spark, {len(expected)} from nerlab extract; "
                  f"first difference at line {first + 1}", file=sys.stderr)
        elif len(expected) < 3000 or entities == 0:
            failures += 1
            print(f"FAIL {extractor}: only {len(expected)} documents / {entities} entities", file=sys.stderr)
        else:
            print(f"ok {extractor}: {len(got)} documents, {entities} entities, identical to nerlab extract")

    if args.measure:
        print("| master | seconds | MB/s |\n|---|---|---|")
        size = os.path.getsize(args.measure) / 1e6
        for master in ["local[1]", "local[2]"]:
            out = os.path.join(work, "measure-" + master[6])
            secs = spark_submit(master, bundle_path, ["--extractor", "rules", "--input", args.measure, "--output", out,
                                                      "--partitions", "8"], work)
            print(f"| {master} | {secs:.1f} | {size / secs:.1f} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
