"""How fast the studio's sources follow a new assignment, without a new factorization.

``python -m benchmarks.speed.studio_regroup [--profile]``

Issue 26's targets: within 1 s for a 30 s clip and 3 s for a 3-minute song.
Each recording is the speed benchmark's stereo 44.1 kHz music
(:func:`benchmarks.speed.workloads.render_music`), opened in a
:class:`nmfsep.studio.session.Session` exactly as the studio opens a file
(library defaults: 2 sources, 20 components, the default runs).  Then, for
``--moves`` different single-component moves, one after another:

* **rebuild**: from ``Session.assign`` (what ``POST /api/assign`` calls) to the
  worker having rebuilt every source of that assignment;
* **rebuild + served**: the same through the HTTP application in process
  (Starlette's TestClient, no network): ``POST /api/assign``, poll
  ``/api/state`` until the sources are rebuilt, ``GET`` every source's WAV.

Anchors measured in the same run: the factorization the studio did when it
opened the file (what a regroup saves) and one STFT + inverse STFT of the
mixture (a floor for rebuilding any source).  ``--profile`` adds where the
time of one rebuild goes on the longest recording (cProfile, top functions by
cumulative time).  Results go to ``benchmarks/speed/results/studio_regroup.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from .workloads import render_music

RESULTS = Path(__file__).resolve().parent / "results" / "studio_regroup.json"
#: Issue 26's targets, seconds of rebuild per recording length in seconds.
TARGETS = {30.0: 1.0, 180.0: 3.0}
SR = 44100
TOKEN = "benchmark-token-0123456789"


def _moves(labels: np.ndarray, n_sources: int, n_moves: int) -> list[list[int]]:
    """``n_moves`` assignments, each the one before with one more component moved on."""
    current = labels.copy()
    assignments = []
    for i in range(n_moves):
        k = i % len(current)
        current = current.copy()
        current[k] = (current[k] + 1) % n_sources
        assignments.append(current.tolist())
    return assignments


def _round_trip(y: np.ndarray, sr: int) -> float:
    from nmfsep.spectral import STFTConfig, default_n_fft, istft, stft

    n_fft = default_n_fft(sr)
    config = STFTConfig(n_fft=n_fft, hop=n_fft // 4)
    start = time.perf_counter()
    istft(stft(y, config), config, y.shape[1])
    return time.perf_counter() - start


def measure(seconds: float, n_moves: int, profile: bool) -> dict:
    """Open ``seconds`` of music in a studio session and time ``n_moves`` regroupings."""
    from starlette.testclient import TestClient

    from nmfsep.studio.app import create_app

    y = render_music(seconds, SR)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "music.wav"
        sf.write(path, y.T, SR, subtype="FLOAT")
        app = create_app(TOKEN, folder=Path(tmp) / "private", max_seconds=3600.0)
        (Path(tmp) / "private").mkdir()
        session = app.state.session
        with TestClient(app, base_url="http://127.0.0.1:8000",
                        headers={"Authorization": f"token {TOKEN}"}) as client:
            start = time.perf_counter()
            session.open(path, path.name)
            assert session.wait(3600), "the factorization did not finish"
            factorization = time.perf_counter() - start
            state = session.state()
            names = [source["name"] for source in state["sources"]]
            assignments = _moves(np.asarray(state["labels"]), len(names), 2 * n_moves)
            rebuild = []
            for labels in assignments[:n_moves]:
                start = time.perf_counter()
                session.assign(names, labels, session.model_id)
                assert session.wait(600)
                rebuild.append(time.perf_counter() - start)
            served = []
            for labels in assignments[n_moves:]:
                start = time.perf_counter()
                answer = client.post("/api/assign", json={
                    "model": state["model"], "names": names, "labels": labels}).json()
                while client.get("/api/state").json()["rendered"] != answer["version"]:
                    time.sleep(0.005)
                for s in range(len(names)):
                    assert client.get(f"/api/audio/source/{s}.wav").status_code == 200
                served.append(time.perf_counter() - start)
            model, rendered = session.current()
            error = float(np.abs(rendered.sources.sum(axis=0) - y).max())
            profile_text = None
            if profile:
                labels = np.asarray(assignments[0])
                profiler = cProfile.Profile()
                profiler.enable()
                model.sources_for(labels, len(names))
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
                profile_text = out.getvalue()
    return {
        "seconds": seconds, "sr": SR, "channels": int(y.shape[0]),
        "n_components": model.n_components, "n_sources": len(names),
        "runs": model.parameters.get("n_runs"),
        "factorization_s": factorization, "round_trip_s": _round_trip(y, SR),
        "rebuild_s": rebuild, "served_s": served, "target_s": TARGETS.get(seconds),
        "max_abs_sum_error": error, "profile": profile_text,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=sorted(TARGETS))
    parser.add_argument("--moves", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = [measure(seconds, args.moves, args.profile) for seconds in args.seconds]
    print("python -m benchmarks.speed.studio_regroup "
          + " ".join(f"--seconds {s:g}" for s in args.seconds)
          + (" --profile" if args.profile else ""))
    print(f"stereo {SR} Hz music, {args.moves} moves each; times in seconds "
          "(median / worst of the moves)")
    print(f"{'length':>8} {'K':>3} {'runs':>4} {'factorize':>10} {'STFT+iSTFT':>11} "
          f"{'rebuild':>15} {'+ served':>15} {'target':>7} {'worst/target':>12}")
    for row in rows:
        rebuild, served = row["rebuild_s"], row["served_s"]
        worst = max(max(rebuild), max(served))
        print(f"{row['seconds']:>7.0f}s {row['n_components']:>3} {row['runs']:>4} "
              f"{row['factorization_s']:>10.2f} {row['round_trip_s']:>11.2f} "
              f"{statistics.median(rebuild):>7.2f} / {max(rebuild):>5.2f} "
              f"{statistics.median(served):>7.2f} / {max(served):>5.2f} "
              f"{row['target_s'] or float('nan'):>7.1f} "
              f"{worst / row['target_s'] if row['target_s'] else float('nan'):>12.2f}")
        median = statistics.median(rebuild)
        print(f"{'':>9} rebuild / factorization {median / row['factorization_s']:.3f}, "
              f"rebuild / STFT round trip {median / row['round_trip_s']:.1f}, "
              f"sources - mixture max {row['max_abs_sum_error']:.1e}")
        if row["profile"]:
            print(row["profile"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "command": "python -m benchmarks.speed.studio_regroup",
        "machine": {"platform": platform.platform(), "processor": platform.processor()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "rows": [{k: v for k, v in row.items() if k != "profile"} for row in rows],
    }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
