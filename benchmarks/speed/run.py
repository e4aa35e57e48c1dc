"""Orchestrate the speed benchmark: every run in its own process, ratios from one run.

``python -m benchmarks.speed [--quick] [--long] [--repeats N] [--out PATH]``; ``--long-only``,
``--song-only`` and ``--band-only`` run one end-to-end part again into an existing result file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from ..arguments import positive_int
from . import machine
from .report import versions, write_report

METHODS = ["nmfsep", "nmfsep-torch", "scikit-learn", "librosa", "torchnmf", "nimfa"]
BETAS = [1.0, 0.0, 2.0]
ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"

# How nmfsep goes for the target loss from its own start (time to target).
TARGET_OPTIONS = {
    1.0: {"init": "coarse", "solver": "amu"},
    0.0: {"init": "coarse", "solver": "amu"},
    2.0: {"init": "nndsvda", "solver": "hals", "inner": 4},
}


def _worker(module: str, *args: str, timeout: float = 3600) -> dict:
    command = [sys.executable, "-m", f"benchmarks.speed.{module}", *args]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-800:]}",
                "command": shlex.join(command)}
    result = json.loads(lines[-1])
    result["load"] = os.getloadavg()
    return result


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def factorization_runs(workloads, betas, methods, iterations, repeats) -> list[dict]:
    """Every (workload, beta, method): fixed iterations from the common start; best of repeats."""
    runs = []
    for workload in workloads:
        for beta in betas:
            for method in methods:
                if method == "nimfa" and beta == 0.0:
                    continue
                best = None
                for _ in range(repeats if method == "nmfsep" else max(1, repeats // 2)):
                    result = _worker("worker", method, workload, str(beta), str(iterations))
                    if "error" in result:
                        best = result
                        break
                    if best is None or result["seconds"] < best["seconds"]:
                        best = result
                best.update(method=method, workload=workload, beta=beta, iterations=iterations)
                _log(f"{workload} beta={beta} {method}: "
                     + (best.get("error", "")[:120] or
                        f"{best['seconds'] / iterations * 1e3:.1f} ms/it loss {best['loss']:.6g}"))
                runs.append(best)
            if beta == 2.0 and "nmfsep" in methods:
                result = _worker("worker", "nmfsep", workload, str(beta), str(iterations),
                                 json.dumps({"solver": "hals"}))
                result.update(method="nmfsep (hals)", workload=workload, beta=beta,
                              iterations=iterations)
                runs.append(result)
    return runs


def target_runs(workloads, betas, runs, max_iter) -> list[dict]:
    """nmfsep from its own start until scikit-learn's 200-iteration loss."""
    out = []
    for workload in workloads:
        for beta in betas:
            reference = next((r for r in runs if r["workload"] == workload and r["beta"] == beta
                              and r["method"] == "scikit-learn" and "loss" in r), None)
            if reference is None:
                continue
            options = {**TARGET_OPTIONS[beta], "target": reference["loss"]}
            result = _worker("worker", "trace", workload, str(beta), str(max_iter),
                             json.dumps(options))
            result.update(workload=workload, beta=beta, target=reference["loss"],
                          reference_seconds=reference["seconds"])
            reached = [p for p in result.get("trace", []) if p[2] <= reference["loss"]]
            result["seconds_to_target"] = reached[0][1] if reached else None
            result["iterations_to_target"] = reached[0][0] if reached else None
            _log(f"target {workload} beta={beta}: {result.get('seconds_to_target')} s "
                 f"vs scikit-learn {reference['seconds']:.2f} s")
            out.append(result)
    return out


def _long_run(minutes: int) -> dict:
    from .e2e import long_file

    path = long_file(minutes)
    with tempfile.TemporaryDirectory() as folder:
        result = _worker("e2e", "long", str(path), folder, timeout=7200)
    result["command"] = f"python -m benchmarks.speed.e2e long {path.name} OUT"
    _log(f"long: {result}")
    return result


def _long_only(args, command: str) -> int:
    """Add a long-file run to an existing result file and regenerate the docs."""
    if args.merge_long:
        result = json.loads(args.merge_long.read_text().strip().splitlines()[-1])
        result["command"] = "python -m benchmarks.speed.e2e long long_60min_44100.wav OUT"
    else:
        result = _long_run(args.long_minutes)
    return _replace_end_to_end(args, command, result)


def _song_only(args, command: str) -> int:
    """Run the in-memory song again, replace it in an existing result file, regenerate the docs."""
    result = _worker("e2e", "song")
    result["command"] = "python -m benchmarks.speed.e2e song"
    _log(f"end to end: {result}")
    return _replace_end_to_end(args, command, result)


#: Fresh processes of scikit-learn's anchor and of the end-to-end separation on the band
#: mix; the fastest of each is reported (all are kept), as for the stream's command
#: (``band.STREAM_REPEATS``): the ratio of the two then compares like with like on a host
#: whose other load moves a single run by a fifth or more.
BAND_REPEATS = 3


def fastest(results: list[dict]) -> dict:
    """The result of the fastest run, with every run's ``seconds`` in ``runs_seconds``.

    A single result is returned as it is; a failed run (``error``) is returned as soon as
    it is met.
    """
    if len(results) == 1:
        return results[0]
    for result in results:
        if "error" in result:
            return result
    best = dict(min(results, key=lambda r: r["seconds"]))
    best["runs_seconds"] = [r["seconds"] for r in results]
    return best


def band_runs() -> dict:
    """The band mix: scikit-learn's anchor, the wall time, the stages, the stream, 60 minutes."""
    out: dict = {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                 "load_start": os.getloadavg(), "versions": versions(),
                 "blas_threads": {k: os.environ.get(k) for k in
                                  ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}}
    for mode in ("anchor", "wall", "named", "stages", "blocks", "stream", "stream_stages",
                 "long"):
        repeats = BAND_REPEATS if mode in ("anchor", "wall", "named") else 1
        out[mode] = fastest([_worker("band", mode, timeout=7200) for _ in range(repeats)])
        _log(f"band {mode}: {out[mode]}")
    out["load_end"] = os.getloadavg()
    return out


def _band_only(args, command: str) -> int:
    """Run the band mix's measures, put them in the results in --out, write the docs again."""
    report = json.loads(args.out.read_text())
    report["band"] = band_runs()
    report["band"]["run_by"] = command.strip()
    args.out.write_text(json.dumps(report, indent=1))
    write_report(report, args.docs)
    _log(f"wrote {args.out} and {args.docs}")
    return 0


def _replace_end_to_end(args, command: str, result: dict) -> int:
    report = json.loads(args.out.read_text())
    result["run_by"] = command.strip()
    result["load_after"] = os.getloadavg()
    report["end_to_end"] = [r for r in report.get("end_to_end", [])
                            if r.get("mode") != result["mode"]]
    report["end_to_end"].append(result)
    report["end_to_end"].sort(key=lambda r: r.get("mode") != "song")  # the song first
    args.out.write_text(json.dumps(report, indent=1))
    write_report(report, args.docs)
    _log(f"wrote {args.out} and {args.docs}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="20 iterations, KL only, no end-to-end runs")
    parser.add_argument("--long", action="store_true",
                        help="also separate a 60-minute stereo file, streamed")
    parser.add_argument("--long-minutes", type=int, default=60)
    parser.add_argument("--long-only", action="store_true",
                        help="run only the long file, add it to the results in --out and "
                             "write the docs again")
    parser.add_argument("--song-only", action="store_true",
                        help="run only the 3-minute song end to end, put it in the results "
                             "in --out and write the docs again")
    parser.add_argument("--band-only", action="store_true",
                        help="run only the band mix's measures (scikit-learn's anchor, end to "
                             "end with its stages, the stream through the command line), put "
                             "them in the results in --out and write the docs again")
    parser.add_argument("--merge-long", type=Path, metavar="JSON",
                        help="add the output of `python -m benchmarks.speed.e2e long ...` "
                             "(run separately, e.g. at the same time) to --out and write the "
                             "docs again")
    parser.add_argument("--repeats", type=positive_int, default=3)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", type=Path, default=RESULTS / "speed.json")
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--docs-only", action="store_true",
                        help="only write the docs again from the results in --out")
    args = parser.parse_args(argv)
    unknown = [m for m in args.methods.split(",") if m not in METHODS]
    if unknown:
        parser.error(f"unknown --methods {', '.join(unknown)}; choose among "
                     f"{', '.join(METHODS)}")
    if args.docs_only:
        write_report(json.loads(args.out.read_text()), args.docs)
        print(f"wrote {args.docs}")
        return 0
    command = "python -m benchmarks.speed " + shlex.join(argv if argv is not None else
                                                         sys.argv[1:])
    if args.long_only or args.merge_long:
        return _long_only(args, command)
    if args.song_only:
        return _song_only(args, command)
    if args.band_only:
        return _band_only(args, command)
    methods = args.methods.split(",")
    iterations = 20 if args.quick else 200
    betas = [1.0] if args.quick else BETAS
    workloads = ["clip", "song"]
    started = dt.datetime.now(dt.timezone.utc)
    report: dict = {"command": command.strip(), "started": started.isoformat(timespec="seconds"),
                    "machine": machine.describe(), "iterations": iterations,
                    "versions": versions()}
    measures = [machine.measure()]
    _log(f"machine: {measures[0]}")
    report["runs"] = factorization_runs(workloads, betas, methods, iterations,
                                        1 if args.quick else args.repeats)
    measures.append(machine.measure())
    if "scikit-learn" in methods and not args.quick:
        report["targets"] = target_runs(workloads, betas, report["runs"], 400)
    if not args.quick:
        report["end_to_end"] = [_worker("e2e", "song")]
        _log(f"end to end: {report['end_to_end'][-1]}")
        report["band"] = band_runs()
    if args.long:
        report.setdefault("end_to_end", []).append(_long_run(args.long_minutes))
    measures.append(machine.measure())
    report["machine_measures"] = measures
    report["machine_best"] = {key: max(m[key] for m in measures) for key in measures[0]}
    report["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    report["load_end"] = os.getloadavg()
    for run in report["runs"]:
        if "seconds" in run:
            run["seconds_per_iteration"] = run["seconds"] / run["iterations"]
            run["limit_seconds"] = machine.limit(tuple(run["shape"]), run["rank"], run["beta"],
                                                 report["machine_best"])
            run["limit_ratio"] = run["seconds_per_iteration"] / run["limit_seconds"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    write_report(report, args.docs)
    _log(f"wrote {args.out} and {args.docs}")
    return 0
