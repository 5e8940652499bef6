"""trialkg benchmarks: speed, memory and scale, side by side with the floor and with peers.

Writes ``docs/benchmarks.md`` (a table with machine, versions, data and date)
and appends machine-readable lines to ``benchmarks/results.jsonl``.

    python benchmarks/run.py                 # everything, scale run at 100,000 records
    python benchmarks/run.py --scale 10000   # a smaller scale run
    python benchmarks/run.py --skip-scale    # the 1,099-record measurements only
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kg.pipeline import BATCH, record_quads  # noqa: E402
from kg.readers import read_records  # noqa: E402
from kg.readers.ctgov_json import read_study  # noqa: E402
from kg.validate import compiled_plan, validate_records  # noqa: E402

CORPUS = Path(os.environ.get("TRIALKG_SHARED", ROOT.parent / "shared")) / "corpus" / "ctgov_v2"
RESULTS: list[dict] = []


def record(name: str, **values) -> dict:
    row = {"benchmark": name, **values}
    RESULTS.append(row)
    print(json.dumps(row), flush=True)
    return row


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# -- mapping, the floor, the naive rdflib mapper, the peer ---------------------------------------------------------

def bench_mapping(files: list[Path], datas: list[bytes]) -> dict:
    lines = [0]

    def run() -> None:
        n = 0
        for path, data in zip(files, datas):
            quads = record_quads(read_study(orjson.loads(data), str(path)))
            quads.serialize()
            n += len(quads)
        lines[0] = n

    seconds = best_of(run)
    return record("mapping", records=len(files), seconds=round(seconds, 3), records_per_s=round(len(files) / seconds),
                  triples=lines[0], triples_per_s=round(lines[0] / seconds),
                  triples_per_record=round(lines[0] / len(files), 1))


def bench_floor(datas: list[bytes], triples: int) -> dict:
    """orjson parsing plus writing the same number of N-Quads lines, of the same average length."""
    per = triples // len(datas)
    subject, graph = "https://w3id.org/trialkg/trial/NCT00000000/outcome/primary/1", "https://w3id.org/trialkg/record/ctgov-json/NCT00000000"
    predicate, value = "https://w3id.org/trialkg/ontology#timeFrame", "x" * 60

    def run() -> None:
        for data in datas:
            orjson.loads(data)
            "".join([f'<{subject}> <{predicate}> "{value}{i}" <{graph}> .\n' for i in range(per)])

    seconds = best_of(run)
    return record("floor", records=len(datas), seconds=round(seconds, 3), records_per_s=round(len(datas) / seconds))


def bench_rdflib(files: list[Path], datas: list[bytes]) -> dict:
    """The same triples built as rdflib terms and added one by one with Graph.add."""
    from rdflib import Graph, Literal, URIRef

    triples = []
    for path, data in zip(files[:300], datas[:300]):
        g = Graph()
        g.parse(data=record_quads(read_study(orjson.loads(data), str(path))).ntriples(), format="nt")
        triples.append([(str(s), str(p), o) for s, p, o in g])

    def run() -> None:
        graph = Graph()
        for data, rows in zip(datas[:300], triples):
            orjson.loads(data)
            for s, p, o in rows:
                obj = Literal(str(o), datatype=o.datatype, lang=o.language) if isinstance(o, Literal) else URIRef(str(o))
                graph.add((URIRef(s), URIRef(p), obj))

    seconds = best_of(run, 2)
    return record("naive-rdflib", records=300, seconds=round(seconds, 3), records_per_s=round(300 / seconds))


def bench_ctgforge(datas: list[bytes]) -> dict | None:
    try:
        from ctgforge.export import to_property_graph
        from ctgforge.flatten import flatten_core
    except ImportError:
        return record("ctgforge", skipped="ctgforge is not installed (pip install ctgforge)")
    studies = [orjson.loads(d) for d in datas]
    facts = [0]

    def run() -> None:
        trials = [flatten_core(study) for study in studies]
        nodes, edges = to_property_graph(trials)
        # a fact: a node, one of its non-empty properties, or an edge (comparable to a triple)
        facts[0] = len(nodes) + len(edges) + sum(
            sum(1 for v in props.values() if v not in (None, "", set(), [])) for props in nodes["props"])

    try:
        seconds = best_of(run, 2)
    except Exception as exc:  # noqa: BLE001 - a peer's failure is a result to report, not ours to fix
        return record("ctgforge", error=f"{type(exc).__name__}: {exc}"[:200])
    return record("ctgforge", records=len(studies), seconds=round(seconds, 3),
                  records_per_s=round(len(studies) / seconds), facts_per_record=round(facts[0] / len(studies), 1),
                  version=md.version("ctgforge"))


# -- validation ------------------------------------------------------------------------------------------------------

_BATCHES: list[dict] = []  # the validation batches of this process


def _map_for_validation(files: list[Path]) -> None:
    """The mapped records, in the build's batches, as the mapper hands them to the validator."""
    compiled_plan()
    graphs = {}
    for path in files:
        quads = record_quads(read_study(orjson.loads(path.read_bytes()), str(path)))
        graphs[quads.graph] = quads
    items = list(graphs.items())
    _BATCHES[:] = [dict(items[i:i + BATCH]) for i in range(0, len(items), BATCH)]


def _validate_batch(n: int) -> int:
    return len(validate_records(_BATCHES[n]))


def bench_validation(files: list[Path], jobs: int = 1) -> dict:
    """Validation of the mapped records in the build's batches, in one process or, as ``build --jobs`` does,
    in ``jobs`` worker processes, each validating the batches it mapped."""
    _map_for_validation(files)
    if jobs == 1:
        start = time.perf_counter()
        records = sum(map(_validate_batch, range(len(_BATCHES))))
        seconds = time.perf_counter() - start
    else:
        with multiprocessing.get_context("forkserver").Pool(jobs, _map_for_validation, (files,)) as pool:
            pool.map(time.sleep, [3.0] * jobs, chunksize=1)  # every worker is up and has mapped the records
            start = time.perf_counter()
            records = sum(pool.map(_validate_batch, range(len(_BATCHES)), chunksize=1))
            seconds = time.perf_counter() - start
    return record("validation" if jobs == 1 else f"validation-j{jobs}", records=records, jobs=jobs, batch=BATCH,
                  seconds=round(seconds, 3), records_per_s=round(records / seconds))


def bench_store_floor(name: str, source: Path, work: Path) -> dict:
    """Oxigraph alone: bulk-loading the mapped records' N-Quads into a new on-disk store, in the build's batches.
    Each batch is mapped before the clock starts; no trialkg code runs while it does."""
    import pyoxigraph as ox

    folder = work / "store-floor"
    shutil.rmtree(folder, ignore_errors=True)
    store = ox.Store(str(folder))

    def batches():
        batch = []
        for raw in read_records([source], "ctgov-json"):
            batch.append(record_quads(raw.trial).serialize())
            if len(batch) == BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    records = quads = 0
    seconds = 0.0
    for batch in batches():
        data = "".join(batch).encode()
        start = time.perf_counter()
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        seconds += time.perf_counter() - start
        records, quads = records + len(batch), quads + data.count(b"\n")
    start = time.perf_counter()
    store.flush()
    seconds += time.perf_counter() - start
    del store
    shutil.rmtree(folder)
    return record("store-floor" if name == "corpus" else f"store-floor-{name}", records=records, quads=quads,
                  seconds=round(seconds, 2), quads_per_s=round(quads / seconds), records_per_s=round(records / seconds))


# -- end to end, queries, export ---------------------------------------------------------------------------------------

def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and all its descendants (worker processes included), in kB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) if "VmRSS" in status else 0
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (OSError, AttributeError):
            continue  # the process ended meanwhile
    return total


def timed_cli(*args: str) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MB, summed over the command's process tree, sampled every 0.2 s) and stdout
    of one trialkg command run in a child process."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "kg.cli", *args], cwd=ROOT, stdout=out, stderr=err, text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        peak = 0
        while proc.poll() is None:
            peak = max(peak, _tree_rss_kb(proc.pid))
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"trialkg {' '.join(args)} failed: {stderr[-2000:]}")
    return seconds, round(peak / 1024), stdout


def bench_build(name: str, source: Path, store: Path, records: int, jobs: int = 1) -> dict:
    shutil.rmtree(store, ignore_errors=True)
    seconds, rss, out = timed_cli("build", str(source), "--store", str(store), "--jobs", str(jobs))
    quads = int(re.search(r"(\d+) quads written", out).group(1))
    return record(f"build-{name}", records=records, jobs=jobs, seconds=round(seconds, 1),
                  records_per_s=round(records / seconds), peak_rss_mb=rss, quads=quads,
                  summary=out.strip().splitlines()[-1])


def bench_queries(name: str, store: Path, runs: int = 20) -> list[dict]:
    import pyoxigraph as ox

    from kg.store import Store

    db = Store(store, read_only=True)
    rows = []
    for path in sorted((ROOT / "kg" / "queries").glob("*.rq")):
        sparql = path.read_text(encoding="utf-8")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            result = db.query(sparql)
            count = sum(1 for _ in result) if not isinstance(result, (bool, ox.QueryBoolean)) else 1
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        rows.append(record(f"query-{name}", query=path.stem, rows=count, p50_ms=round(statistics.median(times), 1),
                           p95_ms=round(times[int(0.95 * (len(times) - 1))], 1)))
    return rows


def bench_export(name: str, store: Path) -> dict:
    import pyoxigraph as ox

    out = Path(tempfile.mkdtemp(dir=store.parent)) / "export.nq"
    seconds, rss, _ = timed_cli("export", "--store", str(store), "--format", "nq", "-o", str(out))
    quads = len(ox.Store.read_only(str(store / "oxigraph")))  # every quad is one line of the export
    size = out.stat().st_size
    shutil.rmtree(out.parent)
    return record(f"export-{name}", quads=quads, seconds=round(seconds, 1), quads_per_s=round(quads / seconds),
                  megabytes=round(size / 1e6), peak_rss_mb=rss)


def make_scale_set(files: list[Path], datas: list[bytes], n: int, folder: Path) -> Path:
    """``n`` records made from the corpus with rewritten NCT ids, as pages of 1,000 studies."""
    folder.mkdir(parents=True, exist_ok=True)
    page: list[bytes] = []
    number = 0
    for i in range(n):
        data = datas[i % len(datas)]
        old = files[i % len(files)].stem.encode()
        new = f"NCT{90000000 + i:08d}".encode()
        page.append(data.replace(old, new))
        if len(page) == 1000 or i == n - 1:
            number += 1
            (folder / f"page-{number:04d}.json").write_bytes(b'{"studies": [' + b",".join(page) + b"]}")
            page = []
    return folder


# -- report ----------------------------------------------------------------------------------------------------------

def latest_results() -> list[dict]:
    """The newest figure of every measure in ``results.jsonl`` (runs may measure different subsets)."""
    newest: dict[tuple[str, str], dict] = {}
    path = ROOT / "benchmarks" / "results.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
        row = json.loads(line)
        newest[(row["benchmark"], row.get("query", ""))] = row
    return list(newest.values())


def _caveat(result: dict) -> str:
    """A row's own note (e.g. an older commit, a loaded machine), where it has one."""
    parts = [f"commit {result['commit']}" if "commit" in result else "", result.get("note", "")]
    text = "; ".join(p for p in parts if p)
    return f" ({text})" if text else ""


def write_report(path: Path) -> None:
    results = latest_results()
    by = {r["benchmark"]: r for r in results}
    versions = {p: md.version(p) for p in ("pyoxigraph", "rdflib", "pyshacl", "orjson")}
    lines = [
        "# Benchmarks",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
        f"({os.cpu_count()} cores), Python {platform.python_version()}, "
        + ", ".join(f"{k} {v}" for k, v in versions.items()) + ".",
        f"Data: `{CORPUS}` (ClinicalTrials.gov API v2 JSON) and a scale set made from it with rewritten NCT ids.",
        "Each figure is the newest of its measure; runs: "
        + ", ".join(sorted({r["date"] for r in results})) + ".",
        "Command: `make bench` (`python benchmarks/run.py`). Raw figures: `benchmarks/results.jsonl`.",
        "",
        "| measure | figure |",
        "|---|---|",
    ]

    def row(label: str, text: str) -> None:
        lines.append(f"| {label} | {text} |")

    m, f = by.get("mapping"), by.get("floor")
    if m:
        row("mapping, raw JSON → N-Quads, one process", f"{m['records_per_s']:,} records/s, {m['triples_per_s']:,} "
            f"triples/s, {m['triples_per_record']} triples/record")
    if m and f:
        row("floor (orjson + the same number of N-Quads lines)", f"{f['records_per_s']:,} records/s; mapping/floor "
            f"speed ratio {m['records_per_s'] / f['records_per_s']:.2f}")
    r = by.get("naive-rdflib")
    if m and r:
        row("naive rdflib mapper (Graph.add) of the same triples", f"{r['records_per_s']:,} records/s; trialkg is "
            f"{m['records_per_s'] / r['records_per_s']:.1f} × faster")
    c = by.get("ctgforge")
    if c:
        row("peer: ctgforge flatten + property graph", f"{c['records_per_s']:,} records/s, {c['facts_per_record']} "
            "facts/record" if "records_per_s" in c else c.get("skipped") or c.get("error", ""))
    for v in results:
        if v["benchmark"].startswith("validation"):
            where = f"{v['jobs']} processes" if v.get("jobs", 1) > 1 else "one process"
            row(f"validation (SHACL, batches of {v.get('batch', 250)}, {where})", f"{v['records_per_s']:,} records/s")
    names = {"corpus": "1,099 records", "10k": "10,000 records", "scale": "scale set"}
    for sf in results:
        if sf["benchmark"].startswith("store-floor"):
            name = sf["benchmark"][12:] or "corpus"
            row(f"store floor, {names.get(name, name)}: Oxigraph alone bulk-loading the same N-Quads in the build's "
                "batches, on disk", f"{sf['records']:,} records, {sf['quads']:,} quads in {sf['seconds']} s "
                f"({sf['quads_per_s']:,} quads/s, {sf['records_per_s']:,} records/s)")
    for b in results:
        if b["benchmark"].startswith("build-"):
            name = b["benchmark"][6:].split("-j")[0]
            row(f"end-to-end build, {names.get(name, name)}, --jobs {b.get('jobs', 1)}",
                f"{b['records']:,} records in {b['seconds']} s ({b['records_per_s']:,}/s), peak RSS "
                f"{b['peak_rss_mb']} MB, {b['quads']:,} quads" + _caveat(b))
    for r in results:
        if r["benchmark"].startswith("query-") and (ROOT / "kg" / "queries" / f"{r['query']}.rq").exists():
            row(f"query `{r['query']}` ({r['benchmark'][6:]} store)", f"p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, "
                f"{r['rows']} rows" + _caveat(r))
        if r["benchmark"].startswith("export-"):
            row(f"export N-Quads ({r['benchmark'][7:]} store)", f"{r['quads']:,} quads in {r['seconds']} s "
                f"({r['quads_per_s']:,}/s), peak RSS {r['peak_rss_mb']} MB")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-scale-export", action="store_true",
                        help="leave out the scale store's export (about 15 GB of N-Quads at 100,000 records)")
    parser.add_argument("--scale-store-floor", action="store_true",
                        help="also measure Oxigraph alone loading the scale set (about as long as its build)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "trialkg-bench")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes for the parallel corpus build and validation (default: one per core)")
    parser.add_argument("--scale-jobs", type=int, default=1, help="processes for the 10,000 and scale builds")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the corpus is not at {CORPUS}")
    files = sorted(CORPUS.glob("*.json"))
    datas = [p.read_bytes() for p in files]
    mapping = bench_mapping(files, datas)
    bench_floor(datas, mapping["triples"])
    bench_rdflib(files, datas)
    bench_ctgforge(datas)
    bench_validation(files)
    if args.jobs > 1:
        bench_validation(files, args.jobs)
    args.work.mkdir(parents=True, exist_ok=True)
    bench_store_floor("corpus", CORPUS, args.work)
    corpus_store = args.work / "store-corpus"
    if args.jobs > 1:
        bench_build(f"corpus-j{args.jobs}", CORPUS, corpus_store, len(files), args.jobs)
    bench_build("corpus", CORPUS, corpus_store, len(files))
    bench_queries("corpus", corpus_store)
    bench_export("corpus", corpus_store)
    if not args.skip_scale:
        ten = make_scale_set(files, datas, 10_000, args.work / "set-10k")
        bench_store_floor("10k", ten, args.work)
        bench_build("10k", ten, args.work / "store-10k", 10_000, args.scale_jobs)
        shutil.rmtree(args.work / "store-10k")
        scale = make_scale_set(files, datas, args.scale, args.work / f"set-{args.scale}")
        if args.scale_store_floor:
            bench_store_floor("scale", scale, args.work)
        bench_build("scale", scale, args.work / "store-scale", args.scale, args.scale_jobs)
        bench_queries("scale", args.work / "store-scale", runs=5)
        if not args.skip_scale_export:
            bench_export("scale", args.work / "store-scale")
    with (ROOT / "benchmarks" / "results.jsonl").open("a", encoding="utf-8") as handle:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        for row in RESULTS:
            handle.write(json.dumps({"date": stamp, **row}) + "\n")
    write_report(ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
