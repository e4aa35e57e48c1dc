"""Realistic music end to end: the band mix, its stages, scikit-learn's anchor, the stream.

Each measure runs in its own process (``python -m benchmarks.speed.band MODE``) and
prints one JSON line; :func:`benchmarks.speed.run.band_runs` runs them one after the
other, so that the ratios compare runs of one session:

``anchor``   scikit-learn's KL NMF alone (multiplicative updates, 200 iterations,
             K = 32, n_fft 2048, hop 512) on the song's mono magnitude spectrogram;
``wall``     read the WAV, ``nmfsep.separate`` with the defaults, write the sources:
             wall time and peak memory, no profiler;
``named``    the same with the sources named (:data:`NAMED`): the drum split widened by
             the drum templates' model, one factorization more (wall time, no profiler);
``stages``   the same under cProfile, cut into the stages of :data:`STAGES`;
``stream``   the command line ``nmfsep separate --dict A --dict B --stream``, its fastest of
             :data:`STREAM_REPEATS` runs
             (start-up included), dictionaries learned beforehand from other material;
``stream_stages``  the same stream in one process (``stream_file``) under cProfile, each
             of its stages (:data:`STREAM_STAGES`) timed, and the activations' work counted;
``long``     ``nmfsep.separate_file`` block by block on the mix repeated to 60 minutes:
             wall time and peak memory;
``blocks``   the rebuild (masks and inverse STFT) of one separation of the song at
             several block lengths (:data:`REBUILD_BLOCKS`), in one process.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from .worker import _status
from .workloads import render_band

SR = 44100
#: Stages of the profile: (name, what its time is, in words).
STAGES = [
    ("read", "reading the WAV file"),
    ("STFT", "the mixture's STFT and its spectrogram"),
    ("factorization", "the NMF iterations and their start; the objective checked every "
     "check_every iterations is measured inside the next iteration's sweep"),
    ("loss checks", "the objective computed on its own: at the start and at the end"),
    ("grouping features", "HPSS percussive mask and the other features, grouping, experts"),
    ("masks", "masks of every block, incl. the STFT of the rebuilt sources (consistent masks)"),
    ("inverse STFT", "overlap-add of every source"),
    ("write", "writing the sources as float WAV files"),
]


def band_file(seconds: float = 180.0) -> Path:
    """The band mix as a float WAV beside its render (cached)."""
    from benchmarks.quality.generate import CACHE

    path = CACHE / f"speed-band-{int(seconds)}s-{SR}.wav"
    if not path.exists():
        tmp = path.with_suffix(".part.wav")
        sf.write(tmp, render_band(seconds, SR).T, SR, subtype="FLOAT")
        tmp.replace(path)
    return path


def band_long_file(minutes: int = 60) -> Path:
    """The band mix repeated to ``minutes`` (gains varied, channels swapped; cached)."""
    from .e2e import write_repeated

    source = band_file()
    path = source.with_name(f"speed-band-{minutes}min-{SR}.wav")
    if not path.exists():
        song, _ = sf.read(str(source), dtype="float32", always_2d=True)
        write_repeated(np.ascontiguousarray(song.T), minutes, SR, path)
    return path


#: The names of :func:`mode_named`: the band's drums against the rest.
NAMED = ("drums", "rest")


def _separate(path: Path, folder: Path,
              names: tuple[str, ...] | None = None) -> tuple[dict, object]:
    """Read, separate (with ``names``, if given), write; the seconds of each, and the
    separation."""
    import nmfsep

    seconds = {}
    clock = time.perf_counter()
    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = np.ascontiguousarray(y.T)
    seconds["read"] = time.perf_counter() - clock
    clock = time.perf_counter()
    sep = nmfsep.separate(y, sr) if names is None else nmfsep.separate(y, sr, names=list(names))
    seconds["separate"] = time.perf_counter() - clock
    clock = time.perf_counter()
    for index, source in enumerate(sep.sources):
        sf.write(str(folder / f"source{index}.wav"), source.T, sr, subtype="FLOAT")
    seconds["write"] = time.perf_counter() - clock
    return seconds, sep


def _cumulative(stats: pstats.Stats, module: str, function: str) -> float:
    """Seconds spent in calls of ``module``'s ``function`` (outermost calls only)."""
    return sum(entry[3] for (file, _, name), entry in stats.stats.items()
               if name == function and file.replace("\\", "/").endswith(module))


def stage_seconds(seconds: dict, timings: dict, stats: pstats.Stats) -> dict:
    """Cut a profiled separation into :data:`STAGES` (their sum is the wall time)."""
    loss = _cumulative(stats, "nmfsep/nmf.py", "objective")
    istft = _cumulative(stats, "nmfsep/spectral.py", "istft_samples")
    return {
        "read": seconds["read"],
        "STFT": timings["spectrogram"],
        "factorization": timings["factorize"] - loss,
        "loss checks": loss,
        "grouping features": timings.get("grouping", 0.0),
        "masks": timings["rebuild"] - istft,
        "inverse STFT": istft,
        "write": seconds["write"],
        "percussive mask (HPSS, within grouping)":
            _cumulative(stats, "nmfsep/features.py", "percussive_mask"),
    }


def mode_wall(path: Path, names: tuple[str, ...] | None = None) -> dict:
    baseline = _status("VmRSS")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        seconds, sep = _separate(path, Path(folder), names)
        wall = time.perf_counter() - start
    return {"seconds": wall, "parts": seconds, "timings": sep.timings,
            "n_iter": sep.n_iter, "labels": sep.labels.tolist(),
            "peak_mib": _status("VmHWM"), "baseline_mib": baseline,
            "audio_seconds": sep.n_samples / SR,
            "drum_templates": bool(sep.decision is not None and sep.decision.drum_templates)}


def mode_named(path: Path) -> dict:
    return {**mode_wall(path, NAMED), "names": list(NAMED)}


def _calls(stats: pstats.Stats, module: str, function: str) -> int:
    """How many times ``module``'s ``function`` was called."""
    return sum(entry[1] for (file, _, name), entry in stats.stats.items()
               if name == function and file.replace("\\", "/").endswith(module))


def mode_stages(path: Path) -> dict:
    from .machine import measure

    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        profile.enable()
        seconds, sep = _separate(path, Path(folder))
        profile.disable()
        wall = time.perf_counter() - start
    stats = pstats.Stats(profile)
    stages = stage_seconds(seconds, sep.timings, stats)
    facts = {"bins": int(sep.W.shape[0]), "frames": int(sep.H.shape[1]),
             "rank": int(sep.W.shape[1]), "runs": max(1, len(sep.runs)),
             "iterations": int(sep.n_iter),
             "evaluations": _calls(stats, "nmfsep/nmf.py", "objective"),
             "channels": int(sep.sources.shape[1]), "sources": int(sep.n_sources),
             "samples": int(sep.n_samples), "n_fft": int(sep.stft.n_fft),
             "beta": float(sep.beta)}
    return {"seconds": wall, "stages": stages, "checks": len(sep.loss_history),
            "facts": facts, "machine": measure()}


def mode_anchor(path: Path) -> dict:
    from sklearn.decomposition import NMF

    from nmfsep.nmf import initialize
    from nmfsep.spectral import STFTConfig, stft

    y, _ = sf.read(str(path), dtype="float32", always_2d=True)
    V = np.abs(stft(y.mean(axis=1), STFTConfig(2048, 512))).astype(np.float32)
    V /= V.mean(dtype=np.float64)
    np.maximum(V, np.float32(1e-8), out=V)
    W0, H0 = initialize(V, 32, method="random", random_state=0)
    model = NMF(32, solver="mu", beta_loss=1.0, init="custom", max_iter=200, tol=0)
    start = time.perf_counter()
    model.fit_transform(V.T, W=H0.T.copy(), H=W0.T.copy())
    return {"seconds": time.perf_counter() - start, "shape": list(V.shape), "rank": 32,
            "iterations": 200}


def _learn(folder: Path, seconds: float = 20.0) -> list[Path]:
    """Two dictionaries (drums+bass, the rest) from a 20-s band render of other songs."""
    from benchmarks.quality import generate as gen

    rng = np.random.default_rng(77)
    song = gen.make_song(rng, seconds)
    parts = {"rhythm": [gen.drum_part(song, rng, "rock"),
                        gen.bass_part(song, rng, 33, "roots")],
             "band": [gen.guitar_part(song, rng, 25, "strum"),
                      gen.piano_part(song, rng, "block", low=48, high=72),
                      gen.melody_part(song, rng, 52, low=60, high=79)]}
    out = []
    for name, group in parts.items():
        audio = sum(gen.render(part, seconds, SR) for part in group)
        wav = folder / f"{name}.wav"
        sf.write(wav, (0.3 * audio / np.abs(audio).max()).astype(np.float32), SR,
                 subtype="FLOAT")
        target = folder / f"{name}.npz"
        subprocess.run([sys.executable, "-m", "nmfsep", "learn", str(wav), "--name", name,
                        "-o", str(target), "--force"], check=True, capture_output=True)
        out.append(target)
    return out


#: Times the stream's command runs; its fastest run is reported (all are kept), as timeit
#: does: a single run of a few seconds moves by a fifth with the machine's other load.
STREAM_REPEATS = 3


def mode_stream(path: Path) -> dict:
    from nmfsep.dictionary import dictionaries_stft, load_dictionary
    from nmfsep.stream import DEFAULT_BLOCK_SIZE

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dicts = _learn(folder)
        command = [sys.executable, "-m", "nmfsep", "separate", str(path), "--stream",
                   "-o", str(folder / "out"), "--force"]
        for item in dicts:
            command += ["--dict", str(item)]
        runs = []
        for _ in range(STREAM_REPEATS):
            start = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True)
            runs.append(time.perf_counter() - start)
            if done.returncode:
                break
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import nmfsep.cli"], check=True)
        startup = time.perf_counter() - start
        dictionaries = [load_dictionary(item) for item in dicts]
    info = sf.info(str(path))
    if done.returncode:
        return {"error": done.stderr[-600:]}
    n_fft = dictionaries_stft(dictionaries, info.samplerate).n_fft
    return {"seconds": min(runs), "runs_seconds": runs, "startup_seconds": startup,
            "audio_seconds": info.frames / info.samplerate,
            "latency": {"n_fft": n_fft, "block_size": DEFAULT_BLOCK_SIZE,
                        "sr": info.samplerate},
            "command": "nmfsep separate SONG.wav --stream --dict rhythm.npz --dict band.npz "
                       "-o OUT"}


#: Stages of the stream (:class:`nmfsep.stream.SourceStream`'s steps): (name, what, the
#: function of ``nmfsep/stream.py`` or ``nmfsep/activations.py`` whose calls are the stage).
STREAM_STAGES = [
    ("STFT", "the frames' STFT, channel by channel", "stream.py", "_spectrogram"),
    ("spectrogram", "the channels' spectrogram", "spectral.py", "mixture_spectrogram"),
    ("activations", "the dictionaries' activations of every batch", "activations.py",
     "batch_activations"),
    ("masks and inverse STFT", "source models, masks, the masked frames overlap-added",
     "stream.py", "_rebuild"),
    ("emit", "the last source (the input less the others), samples handed out", "stream.py",
     "_emit"),
]


def mode_stream_stages(path: Path) -> dict:
    """``stream_file`` on the song with the benchmark's dictionaries, under cProfile.

    Each stage of :data:`STREAM_STAGES` is the cumulative time of its function's calls
    (they run in the calling thread and wait for their own threads; the writer's thread
    writes while the next block is separated, so writing is not a stage of the wall
    time). The activations' work is counted from the iterations each batch ran
    (``stream_file``'s ``activations``): two products of ``W`` with a frame per
    iteration and frame, and the sweep that finds a batch's stop.
    """
    from nmfsep.dictionary import load_dictionary, stack_dictionaries
    from nmfsep.stream import stream_file

    from .machine import measure

    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dicts = [load_dictionary(item) for item in _learn(folder)]
        outs = [folder / f"{d.name}-out.wav" for d in dicts]
        start = time.perf_counter()
        profile.enable()
        info = stream_file(path, outs, dicts)
        profile.disable()
        wall = time.perf_counter() - start
    stats = pstats.Stats(profile)
    seconds = {name: _cumulative(stats, f"nmfsep/{module}", function)
               for name, _, module, function in STREAM_STAGES}
    counts = info["activations"]
    W, _, _ = stack_dictionaries(dicts)
    return {"seconds": wall, "stages": seconds, "bins": int(W.shape[0]),
            "components": int(W.shape[1]),
            "column_sweeps": counts["frame_iterations"] + counts["frames"],
            "machine": measure()}


#: Sources of the long file's separation: those the defaults find in the 3-minute mix.
LONG_SOURCES = 4


def mode_long(path: Path) -> dict:
    """``nmfsep.separate_file`` on the 60-minute band file, block by block."""
    from nmfsep import separate_file

    path = band_long_file()
    info = sf.info(str(path))
    baseline = _status("VmRSS")
    with tempfile.TemporaryDirectory() as folder:
        targets = [Path(folder) / f"source{i}.wav" for i in range(LONG_SOURCES)]
        start = time.perf_counter()
        result = separate_file(path, targets, force=True)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "audio_seconds": info.frames / info.samplerate,
            "n_iter": result.parameters.get("n_iter"), "timings": result.timings,
            "sources": LONG_SOURCES, "peak_mib": _status("VmHWM"), "baseline_mib": baseline}


#: Block lengths (frames) of :func:`mode_blocks`, the default among them.
REBUILD_BLOCKS = (128, 512, 2048, 8192)


def mode_blocks(path: Path, repeats: int = 2) -> dict:
    """The rebuild stage of ``nmfsep.separate`` at each block length of :data:`REBUILD_BLOCKS`.

    A separation per length (20 iterations: the rebuild's work does not
    depend on them), the lengths in turn, ``repeats`` rounds, in one process;
    the best of each length is kept, and the largest difference of its
    sources from those of the default length.
    """
    import nmfsep
    from nmfsep.spectral import BLOCK_FRAMES

    y, sr = sf.read(str(path), dtype="float32", always_2d=True)
    y = np.ascontiguousarray(y.T)
    reference = nmfsep.separate(y, sr, max_iter=20).sources
    best = {block: float("inf") for block in REBUILD_BLOCKS}
    difference = {}
    for _ in range(repeats):
        for block in REBUILD_BLOCKS:
            sep = nmfsep.separate(y, sr, max_iter=20, block_frames=block)
            best[block] = min(best[block], sep.timings["rebuild"])
            difference[block] = float(np.abs(sep.sources - reference).max())
    return {"seconds": {str(b): s for b, s in best.items()},
            "max_difference": {str(b): d for b, d in difference.items()},
            "default": BLOCK_FRAMES, "sources": int(sep.n_sources),
            "channels": int(y.shape[0]), "bins": int(sep.W.shape[0]),
            "consistent": bool(sep.prior is not None and sep.prior.consistent)}


MODES = {"wall": mode_wall, "named": mode_named, "stages": mode_stages, "anchor": mode_anchor,
         "stream": mode_stream, "stream_stages": mode_stream_stages, "long": mode_long,
         "blocks": mode_blocks}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed.band",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=sorted(MODES), help="what to measure")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    result = MODES[args.mode](band_file())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
