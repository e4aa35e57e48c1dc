"""Issue 27's "done when", as a script: a batch that survives a SIGKILLed worker.

    python -m benchmarks.batch_done_when [--files 8] [--duration 10]

1. Starts ``dask scheduler`` and two ``dask worker --no-nanny --nthreads 1``
   processes on 127.0.0.1, and separates a folder of synthetic stereo
   mixtures with ``python -m nmfsep.batch IN -o OUT -n 2 --scheduler ...``
   (the command ``nmfsep separate`` hands folders to).
2. SIGKILLs one worker as soon as the first track's ``separation.json``
   appears.  Checks: exit 0, every track complete (its sources add up to its
   mixture), no ``.part`` file, no staging folder, every track done in the
   manifest.
3. Runs the same command again: exit 0, no output rewritten (inode and
   modification time of every file), and its wall time against the first's.
4. The same batch with ``--workers 2`` (a local cluster) into a new folder,
   with one of its worker processes SIGKILLed the same way (its nanny starts
   a new one): exit 0 and the same checks.

Writes ``benchmarks/results/batch_done_when.json``; ``python -m
benchmarks.batch_throughput --report`` puts it in docs/batch.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from .arguments import positive_float, positive_int

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "batch_done_when.json"
STATE = ".nmfsep-batch"


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def make_inputs(folder: Path, n_files: int, duration: float) -> dict[str, np.ndarray]:
    import nmfsep

    mixtures = {}
    for i in range(n_files):
        example = nmfsep.synth.drums_and_guitar(duration=duration, sr=44100, seed=100 + i,
                                                stereo=True)
        nmfsep.save(folder / f"song{i:02d}.wav", example.mixture, example.sr)
        mixtures[f"song{i:02d}"] = example.mixture
    return mixtures


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_first_output(out: Path, process: subprocess.Popen, timeout: float = 600) -> float:
    started = time.monotonic()
    while not list(out.glob("*/separation.json")):
        if process.poll() is not None or time.monotonic() - started > timeout:
            raise RuntimeError(f"the batch ended (exit {process.returncode}) before any output")
        time.sleep(0.02)
    return time.monotonic() - started


def snapshot(out: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(out)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in out.rglob("*") if p.is_file() and STATE not in p.parts}


def check_outputs(out: Path, mixtures: dict[str, np.ndarray]) -> dict:
    """Every track complete and adding up; no stray partial file; the manifest all done."""
    worst = 0.0
    for name, mixture in mixtures.items():
        track = out / name
        files = {p.name for p in track.iterdir()}
        assert files == {"source1.wav", "source2.wav", "separation.json"}, (name, files)
        total = sum(sf.read(track / f, always_2d=True)[0].T
                    for f in ("source1.wav", "source2.wav"))
        worst = max(worst, float(np.linalg.norm(total - mixture) / np.linalg.norm(mixture)))
    partial = [str(p) for p in out.rglob("*") if p.name.endswith(".part")]
    staging = out / STATE / "staging"
    stray = partial + ([str(p) for p in staging.iterdir()] if staging.exists() else [])
    with sqlite3.connect(out / STATE / "manifest.sqlite") as db:
        rows = db.execute("SELECT key, status, attempts FROM tracks ORDER BY key").fetchall()
    assert worst < 1e-5, worst
    assert not stray, stray
    assert {status for _, status, _ in rows} == {"done"} and len(rows) == len(mixtures), rows
    return {"tracks": len(rows), "worst_relative_residual": worst, "stray_files": stray,
            "attempts": {key: attempts for key, _, attempts in rows}}


def worker_children(pid: int) -> list[int]:
    """Worker processes a local cluster's driver spawned (multiprocessing spawn)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            children.append(int(entry.name))
    return sorted(children)


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def kill_busiest(pids: list[int], out: Path) -> dict:
    """SIGKILL the worker process that is separating (the most CPU over 0.5 s)."""
    before = {pid: cpu_ticks(pid) for pid in pids}
    time.sleep(0.5)
    busiest = max(pids, key=lambda pid: cpu_ticks(pid) - before[pid])
    staging = out / STATE / "staging"
    running = sorted(p.name for p in staging.iterdir()) if staging.exists() else []
    os.kill(busiest, signal.SIGKILL)
    return {"pid": busiest, "of": pids, "staging_at_kill": running}


def run_batch(command: list[str], out: Path, kill) -> tuple[int, float, float, dict, str]:
    """Run the batch; ``kill(process)`` once the first output appears.

    Returns exit code, wall time, time to the first output, what was killed, stderr.
    """
    started = time.monotonic()
    process = subprocess.Popen(command, env=environment(), stderr=subprocess.PIPE, text=True)
    first = wait_for_first_output(out, process)
    killed = kill(process)
    err = process.communicate(timeout=1800)[1]
    return process.returncode, time.monotonic() - started, first, killed, err


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=positive_int, default=8)
    parser.add_argument("--duration", type=positive_float, default=10.0, help="seconds per file")
    args = parser.parse_args(argv)
    dask = str(Path(sys.executable).parent / "dask")
    work = Path(tempfile.mkdtemp(prefix="nmfsep-done-when-"))
    report: dict = {"command": "python -m benchmarks.batch_done_when "
                               f"--files {args.files} --duration {args.duration:g}",
                    "files": args.files, "duration_s": args.duration}
    processes: list[subprocess.Popen] = []
    try:
        mixtures = make_inputs(work / "in", args.files, args.duration)
        port = free_port()
        address = f"tcp://127.0.0.1:{port}"
        logs = open(work / "cluster.log", "w")  # noqa: SIM115 - closed below
        processes.append(subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], env=environment(), stdout=logs, stderr=logs))
        time.sleep(2)
        workers = [subprocess.Popen(
            [dask, "worker", address, "--no-nanny", "--nthreads", "1", "--no-dashboard",
             "--name", f"w{i}"], env=environment(), stdout=logs, stderr=logs)
            for i in range(2)]
        processes += workers
        time.sleep(3)

        out = work / "out"
        command = [sys.executable, "-m", "nmfsep.batch", str(work / "in"), "-o", str(out),
                   "-n", "2", "--scheduler", address]

        def kill_a_worker(process):
            return kill_busiest([w.pid for w in workers], out)

        code, wall, first, killed, err = run_batch(command, out, kill_a_worker)
        assert code == 0, err
        report["scheduler"] = {"exit": code, "wall_s": wall, "first_output_s": first,
                               "killed": killed, **check_outputs(out, mixtures),
                               "stderr": err.splitlines()[-3:]}
        before = snapshot(out)
        started = time.monotonic()
        rerun = subprocess.run(command, env=environment(), stderr=subprocess.PIPE, text=True)
        rerun_wall = time.monotonic() - started
        assert rerun.returncode == 0, rerun.stderr
        rewritten = sorted(k for k, v in snapshot(out).items() if before.get(k) != v)
        assert not rewritten, rewritten
        report["rerun"] = {"exit": rerun.returncode, "wall_s": rerun_wall,
                           "ratio_to_first": rerun_wall / wall, "rewritten": rewritten,
                           "stderr": rerun.stderr.splitlines()[-1:]}

        local = work / "out-local"
        local_command = [sys.executable, "-m", "nmfsep.batch", str(work / "in"), "-o",
                         str(local), "-n", "2", "--workers", "2"]

        def kill_a_local_worker(process):
            return kill_busiest(worker_children(process.pid), local)

        code, wall, first, killed, err = run_batch(local_command, local, kill_a_local_worker)
        assert code == 0, err
        report["local"] = {"exit": code, "wall_s": wall, "first_output_s": first,
                           "killed": killed, **check_outputs(local, mixtures),
                           "stderr": err.splitlines()[-3:]}
        report["passed"] = True
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
