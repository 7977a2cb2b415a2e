"""Run nerlab extractors over a large corpus on Apache Spark.

Every executor runs the ordinary `nerlab extract` binary as a subprocess, one per partition,
feeding it the partition's JSONL lines on stdin and reading JSONL entities from stdout, so
a cluster gives exactly the output of a single `nerlab extract` (nerlab keeps input order
within a partition and Spark keeps the order of partitions).

The binary, the config and the models travel to the executors as one archive
(`bundle` below, shipped with `spark-submit --archives nerlab.tgz#nerlab`).

    python nerlab_spark.py bundle --binary target/release/nerlab --config nerlab.toml \\
        --include models/rules --include models/gazetteers --out target/spark/nerlab.tgz
    spark-submit --master yarn --archives target/spark/nerlab.tgz#nerlab \\
        nerlab_spark.py run --extractor rules --input hdfs:///corpus/*.jsonl --output hdfs:///out

Input lines are `{"id","text"}` JSON objects (other keys are ignored); `--text` reads plain
text files instead, one document per file. Output: `<output>/<extractor>/part-*`, one
`{"id","entities"}` line per document. Documents nerlab skips (malformed lines, documents an
extractor fails on) are reported in the executor's log and counted in the driver's summary.
"""

import argparse
import json
import os
import subprocess
import sys
import tarfile
import threading

# The archive's alias on the executors: `--archives nerlab.tgz#nerlab`.
DEFAULT_ALIAS = "nerlab"


def bundle(binary, config, includes, out):
    """Writes a .tgz with bin/nerlab, nerlab.toml and the listed paths (relative to the config);
    with the transformer's library too when it lies beside the binary (nerlab loads it from
    there when a config uses the transformer)."""
    base = os.path.dirname(os.path.abspath(config))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with tarfile.open(out, "w:gz") as tar:
        tar.add(binary, arcname="bin/nerlab")
        transformer = os.path.join(os.path.dirname(os.path.abspath(binary)), "libnerlab_plugin_transformer.so")
        if os.path.exists(transformer):
            tar.add(transformer, arcname="bin/libnerlab_plugin_transformer.so")
        tar.add(config, arcname="nerlab.toml")
        for path in includes:
            source = os.path.join(base, path)
            if not os.path.exists(source):
                sys.exit(f"bundle: {source} does not exist (paths are relative to the config)")
            tar.add(source, arcname=path)
    return out


def locate_bundle(alias):
    """The unpacked archive on this executor: YARN and Kubernetes unpack `--archives` into the
    container's working directory; local and standalone mode under SparkFiles' root."""
    if os.path.isdir(alias):
        return os.path.abspath(alias)
    from pyspark import SparkFiles

    path = os.path.join(SparkFiles.getRootDirectory(), alias)
    if os.path.isdir(path):
        return path
    raise FileNotFoundError(f"no unpacked archive {alias!r} here or in {SparkFiles.getRootDirectory()}: "
                            f"ship it with --archives nerlab.tgz#{alias}")


def extract_partition(lines, alias, extractor, threads, skipped):
    """Pipes one partition through `nerlab extract`; yields its output lines in order."""
    home = locate_bundle(alias)
    command = [os.path.join(home, "bin", "nerlab"), "--config", os.path.join(home, "nerlab.toml"),
               "extract", "--extractor", extractor, "--threads", str(threads), "--quiet"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errors = []

    def feed():
        try:
            for line in lines:
                process.stdin.write(line.encode("utf-8") + b"\n")
        finally:
            process.stdin.close()

    def drain_stderr():
        for line in process.stderr:
            errors.append(line.decode("utf-8", "replace").rstrip())
            print(f"nerlab: {errors[-1]}", file=sys.stderr)

    threads_ = [threading.Thread(target=feed, daemon=True), threading.Thread(target=drain_stderr, daemon=True)]
    for t in threads_:
        t.start()
    for line in process.stdout:
        yield line.decode("utf-8").rstrip("\n")
    code = process.wait()
    for t in threads_:
        t.join()
    # 1: some inputs were skipped (reported above); anything else is a failure of the task.
    if code == 1:
        skipped.add(sum(1 for e in errors if e.startswith("skipped: ")))
    elif code != 0:
        raise RuntimeError(f"nerlab extract exited with {code}: " + " | ".join(errors[-5:]))


def text_documents(spark, path, partitions):
    """Plain-text files as `{"id","text"}` lines, the file name as id."""
    rdd = spark.sparkContext.wholeTextFiles(path, minPartitions=partitions)
    return rdd.map(lambda kv: json.dumps({"id": os.path.basename(kv[0]), "text": kv[1]}, ensure_ascii=False))


def run(spark, extractors, input_path, output, alias=DEFAULT_ALIAS, partitions=None, threads=1, text=False):
    """Runs each extractor over the corpus, writing `<output>/<extractor>/part-*`."""
    sc = spark.sparkContext
    partitions = partitions or sc.defaultParallelism
    if text:
        documents = text_documents(spark, input_path, partitions)
    else:
        documents = sc.textFile(input_path, minPartitions=partitions)
    documents = documents.filter(lambda line: line.strip() != "")
    summary = {}
    for extractor in extractors:
        skipped = sc.accumulator(0)
        out = documents.mapPartitions(
            lambda lines, e=extractor, acc=skipped: extract_partition(lines, alias, e, threads, acc))
        out.saveAsTextFile(os.path.join(output, extractor))
        summary[extractor] = {"skipped": skipped.value}
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("bundle", help="pack the binary, the config and models for --archives")
    b.add_argument("--binary", required=True)
    b.add_argument("--config", required=True)
    b.add_argument("--include", action="append", default=[], help="a path relative to the config (repeatable)")
    b.add_argument("--out", required=True)
    r = sub.add_parser("run", help="run extractors over a corpus (under spark-submit)")
    r.add_argument("--extractor", action="append", required=True, help="an extractor of the bundled config (repeatable)")
    r.add_argument("--input", required=True, help="JSONL files (any Hadoop path or glob, comma-separated)")
    r.add_argument("--output", required=True, help="a directory that does not exist yet")
    r.add_argument("--text", action="store_true", help="the input is plain-text files, one document each")
    r.add_argument("--alias", default=DEFAULT_ALIAS, help="the archive's alias in --archives FILE#ALIAS")
    r.add_argument("--partitions", type=int, help="minimum input partitions (default: the cluster's parallelism)")
    r.add_argument("--threads", type=int, default=1,
                   help="nerlab threads per task (default 1: Spark runs one task per executor core)")
    args = parser.parse_args(argv)
    if args.command == "bundle":
        print(bundle(args.binary, args.config, args.include, args.out))
        return 0
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("nerlab extract " + ",".join(args.extractor)).getOrCreate()
    try:
        summary = run(spark, args.extractor, args.input, args.output, args.alias, args.partitions, args.threads, args.text)
    finally:
        spark.stop()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
