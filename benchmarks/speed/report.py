"""Turn the benchmark's JSON into ``docs/performance.md``."""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path

from .machine import COUNTS

PACKAGES = ["nmfsep", "numpy", "scipy", "scikit-learn", "librosa", "torch", "torchnmf", "nimfa"]


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> dict[str, str]:
    """The installed version of every package the benchmark compares or runs on."""
    return {name: _version(name) for name in PACKAGES}


def _versions_line(stored: dict | None) -> str:
    found = stored or versions()
    return "Versions: " + ", ".join(f"{p} {found.get(p, 'not recorded')}" for p in PACKAGES) + "."


def _fmt(value, spec: str = ".3g") -> str:
    return "—" if value is None else format(value, spec)


def _factorization_tables(report: dict) -> list[str]:
    lines = []
    runs = report["runs"]
    keys = sorted({(r["workload"], r["beta"]) for r in runs}, key=lambda k: (k[0] != "song", -k[1]
                                                                           if k[1] != 1 else -9))
    for workload, beta in keys:
        group = [r for r in runs if r["workload"] == workload and r["beta"] == beta]
        ours = next((r for r in group if r["method"] == "nmfsep" and "seconds" in r), None)
        shape = next((r["shape"] for r in group if "shape" in r), ["?", "?"])
        rank = next((r["rank"] for r in group if "rank" in r), "?")
        limit = next((r["limit_seconds"] for r in group if "limit_seconds" in r), None)
        lines += [
            f"### {workload}, beta = {beta:g} ({shape[0]} × {shape[1]}, K = {rank}, "
            f"{group[0]['iterations']} iterations from the same W0, H0)",
            "",
            f"Machine limit for one iteration: {_fmt(limit and limit * 1e3)} ms.",
            "",
            "| implementation | ms / iteration | × machine limit | × nmfsep | final loss "
            "| peak RSS MiB (over baseline) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in group:
            if "error" in r:
                lines.append(f"| {r['method']} | does not run: `{r['error'][:90]}` | | | | |")
                continue
            per = r["seconds_per_iteration"]
            relative = per / ours["seconds_per_iteration"] if ours else None
            extra = r["peak_mib"] - r["baseline_mib"]
            lines.append(
                f"| {r['method']} | {per * 1e3:.1f} | {r['limit_ratio']:.2f} | "
                f"{_fmt(relative, '.2f')} | {r['loss']:.7g} | {r['peak_mib']:.0f} (+{extra:.0f}) |"
            )
        lines.append("")
    return lines


def _target_table(report: dict) -> list[str]:
    if not report.get("targets"):
        return []
    lines = [
        "## Time to scikit-learn's loss",
        "",
        "Target: the loss scikit-learn's MU reaches after 200 iterations from the common random "
        "start. nmfsep starts from its own initialization (the `init` shown, its time included) "
        "with the solver shown; the loss is checked every 5 iterations and the time of those "
        "checks is subtracted.",
        "",
        "| workload | beta | nmfsep options | nmfsep iterations | nmfsep s | scikit-learn s "
        "| speed-up |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for t in report["targets"]:
        options = {k: v for k, v in t.get("options", {}).items() if k != "target"}
        seconds = t.get("seconds_to_target")
        speedup = t["reference_seconds"] / seconds if seconds else None
        lines.append(
            f"| {t['workload']} | {t['beta']:g} | `{options}` | "
            f"{_fmt(t.get('iterations_to_target'), 'd') if t.get('iterations_to_target') else '—'}"
            f" | {_fmt(seconds)} | {t['reference_seconds']:.3g} | {_fmt(speedup, '.1f')}× |"
        )
    return lines + [""]


def _end_to_end(report: dict) -> list[str]:
    if not report.get("end_to_end"):
        return []
    lines = ["## End to end", "",
             "| run | audio | wall s | × real time | peak RSS MiB | iterations |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in report["end_to_end"]:
        if "error" in r:
            lines.append(f"| {r.get('mode', '?')} | failed: `{r['error'][:120]}` | | | | |")
            continue
        name = {"song": "`nmfsep.separate(y, sr)` in memory, defaults",
                "long": "`nmfsep.separate_file(path, outs)` block by block, defaults"}[r["mode"]]
        if r.get("run_by"):
            where = (", the file in the speed benchmark's cache folder"
                     if r["mode"] == "long" else "")
            name += (f" (measured by `{r['run_by']}`, which runs `{r.get('command', '')}` in "
                     f"its own process{where}; load after {r['load_after'][0]:.1f})")
        lines.append(f"| {name} | {r['audio_seconds'] / 60:.1f} min stereo 44.1 kHz | "
                     f"{r['seconds']:.1f} | {r['audio_seconds'] / r['seconds']:.1f} | "
                     f"{r['peak_mib']:.0f} | {r.get('n_iter')} |")
        if r.get("timings"):
            parts = ", ".join(f"{k} {v:.1f} s" for k, v in r["timings"].items())
            lines.append(f"| ↳ stages | {parts} | | | | |")
    return lines + [""]


def _band(report: dict) -> list[str]:
    """The band mix: end to end against scikit-learn's anchor, stage by stage, the stream."""
    band = report.get("band")
    if not band:
        return []
    from .band import STAGES
    from .stage_limits import stage_limits

    anchor, wall, named, stages, stream, long = (band.get(k, {}) for k in (
        "anchor", "wall", "named", "stages", "stream", "long"))
    lines = ["## Realistic music: a 3-minute stereo 44.1 kHz band mix", "",
             "Drums, bass, guitar, piano and a sung melody from sampled instruments "
             "(`benchmarks.speed.workloads.render_band`: the quality benchmark's generator, "
             "fluidsynth and a General MIDI soundfont), a new song every 30 s, read from a float "
             "WAV file. Measured one after the other in one session "
             f"(`{band.get('run_by', report['command'])}`, from {band.get('started', '?')}; "
             f"1-minute load {band['load_start'][0]:.1f} at the start, "
             f"{band['load_end'][0]:.1f} at the end); each measure is its own process. "
             "Thread settings of the environment: "
             + (", ".join(f"{k}={v}" for k, v in band.get("blas_threads", {}).items() if v)
                or "none (the libraries' defaults)") + ". "
             + _versions_line(band.get("versions")), ""]
    lines += _band_targets(anchor, wall, stream, long)
    if "seconds" in anchor and "seconds" in wall:
        audio = wall["audio_seconds"]
        lines += [
            "| run | wall s | × scikit-learn's KL NMF | × real time | peak RSS MiB |",
            "|---|---:|---:|---:|---:|",
            f"| anchor: scikit-learn `NMF(32, solver='mu', beta_loss=1)`, 200 iterations, on "
            f"the mono spectrogram ({anchor['shape'][0]} × {anchor['shape'][1]}, n_fft 2048) | "
            f"{anchor['seconds']:.1f} | 1.00 | {audio / anchor['seconds']:.1f} | |",
            f"| `nmfsep.separate` with the defaults, WAV read and sources written "
            f"({wall['n_iter']} iterations) | {wall['seconds']:.1f} | "
            f"{wall['seconds'] / anchor['seconds']:.2f} | {audio / wall['seconds']:.1f} | "
            f"{wall['peak_mib']:.0f} |"]
        if "seconds" in named:
            lines.append(
                f"| the same with the sources named `{','.join(named['names'])}` (the drums "
                f"also modelled by the drum templates: one shorter factorization more) | "
                f"{named['seconds']:.1f} | {named['seconds'] / anchor['seconds']:.2f} | "
                f"{audio / named['seconds']:.1f} | {named['peak_mib']:.0f} |")
        if "seconds" in stream:
            lines.append(
                f"| streaming supervised separation through the command line, start-up "
                f"included: `{stream['command']}` | {stream['seconds']:.1f} | "
                f"{stream['seconds'] / anchor['seconds']:.2f} | "
                f"{stream['audio_seconds'] / stream['seconds']:.1f} | |")
        if "seconds" in long:
            lines.append(
                f"| `nmfsep.separate_file` block by block, {long['sources']} sources, the mix "
                f"repeated to {long['audio_seconds'] / 60:.0f} min (gains varied, channels "
                f"swapped; {long['n_iter']} iterations) | {long['seconds']:.1f} | | "
                f"{long['audio_seconds'] / long['seconds']:.1f} | {long['peak_mib']:.0f} |")
        lines.append("")
        if "timings" in long:
            lines += ["The 60-minute file's stages: " + ", ".join(
                f"{name} {value:.1f} s" for name, value in long["timings"].items()) + ".", ""]
    if "stages" in stages:
        total = stages["seconds"]
        lines += ["### Stage by stage", "",
                  f"The same separation under cProfile ({total:.1f} s in all, the profiler's "
                  f"overhead included; {stages.get('checks', '?')} loss checks). The stages add "
                  "up to the wall time but for the Python glue between them. The machine "
                  "limit is the least time this machine needs for the stage's work, from the "
                  "rates measured in the same process "
                  "(`benchmarks/speed/stage_limits.py` says how each stage's work is counted)."
                  , "",
                  "| stage | what | s | share | machine limit s | × limit |",
                  "|---|---|---:|---:|---:|---:|"]
        parts = stages["stages"]
        limits = (stage_limits(stages["facts"], stages["machine"])
                  if "facts" in stages and "machine" in stages else {})
        slowest = max((name for name, _ in STAGES), key=lambda n: parts.get(n, 0.0))
        for name, what in STAGES:
            value = parts.get(name, 0.0)
            label = f"**{name}**" if name == slowest else name
            bound = limits.get(name)
            versus = (f"{bound:.2f} | {value / bound:.1f}" if bound and value
                      else (f"{bound:.2f} | " if bound else " | "))
            lines.append(f"| {label} | {what} | {value:.2f} | {100 * value / total:.0f} % | "
                         f"{versus} |")
        hpss = parts.get("percussive mask (HPSS, within grouping)")
        if hpss is not None:
            lines.append(f"| ↳ of which the HPSS percussive mask | median filters across time "
                         f"and frequency | {hpss:.2f} | {100 * hpss / total:.0f} % | | |")
        if "machine" in stages:
            rates = stages["machine"]
            lines.append(f"\nRates measured in that process: {rates['sgemm_gflops']:.0f} "
                         f"GFLOP/s (sgemm), {rates['bandwidth_gbs']:.0f} GB/s "
                         "(element-wise pass).")
        lines.append("")
    lines += _stream_stages(band.get("stream_stages", {}))
    lines += _rebuild_blocks(band.get("blocks", {}))
    for what, run in (("scikit-learn's anchor", anchor), ("the end-to-end separation", wall),
                      ("the separation with the sources named", named),
                      ("the stream's command", stream)):
        if "runs_seconds" in run:
            lines += [f"{what[0].upper()}{what[1:]} ran {len(run['runs_seconds'])} times, each "
                      "in a fresh process; its rows give the fastest run (all: "
                      + ", ".join(f"{s:.1f}" for s in run["runs_seconds"]) + " s).", ""]
    if "startup_seconds" in stream:
        lines += [f"The stream's start-up (`python -c 'import nmfsep.cli'`) took "
                  f"{stream['startup_seconds']:.2f} s of it.", ""]
    if "latency" in stream:
        lat = stream["latency"]
        samples = lat["n_fft"] + lat["block_size"]
        lines += [f"Latency of the stream on a live input (`nmfsep.stream`, the defaults): a "
                  f"block ({lat['block_size']} samples) plus a frame (n_fft {lat['n_fft']}), "
                  f"{samples / lat['sr'] * 1e3:.0f} ms at {lat['sr']} Hz; "
                  "`block_size` trades it against speed.", ""]
    for name, run in (("anchor", anchor), ("wall", wall), ("stages", stages),
                      ("stream", stream), ("60-minute", long)):
        if "error" in run:
            lines += [f"The {name} run failed: `{run['error'][:200]}`", ""]
    return lines


def _stream_stages(run: dict) -> list[str]:
    """The stream's stages (``band.mode_stream_stages``), the activations against their limit."""
    if "stages" not in run:
        return []
    from .band import STREAM_STAGES

    total, parts = run["seconds"], run["stages"]
    flops = 4.0 * run["bins"] * run["components"] * run["column_sweeps"]
    bound = flops / (run["machine"]["sgemm_gflops"] * 1e9)
    lines = ["### The stream, stage by stage", "",
             f"`nmfsep.stream.stream_file` on the song with the same two dictionaries, in one "
             f"process under cProfile ({total:.1f} s without the start-up, the profiler's "
             "overhead included; `python -m benchmarks.speed.band stream_stages`), each stage "
             "the time of its function's calls. The outputs are written by "
             "a thread of their own while the next block is separated, so writing is not a "
             "stage here. The activations' machine limit counts their two products with the "
             f"fixed dictionaries ({run['components']} components, {run['bins']} bins) for "
             "every frame and iteration each batch ran, and the sweep that finds its stop, at "
             f"the sgemm rate measured in that process ({run['machine']['sgemm_gflops']:.0f} "
             "GFLOP/s); the element-wise work and the objective's checks are not counted.", "",
             "| stage | what | s | share | machine limit s | × limit |",
             "|---|---|---:|---:|---:|---:|"]
    for name, what, *_ in STREAM_STAGES:
        value = parts.get(name, 0.0)
        versus = f"{bound:.2f} | {value / bound:.1f}" if name == "activations" else " | "
        lines.append(f"| {name} | {what} | {value:.2f} | {100 * value / total:.0f} % | "
                     f"{versus} |")
    rest = total - sum(parts.values())
    lines += [f"| other | reading the file, the input's buffer, the outputs closed | "
              f"{rest:.2f} | {100 * rest / total:.0f} % | | |", ""]
    return lines


def _rebuild_blocks(blocks: dict) -> list[str]:
    """The rebuild of the band mix at several block lengths (``band.py blocks``)."""
    if "seconds" not in blocks:
        return []
    lines = ["### The rebuild's block length", "",
             f"The rebuild stage (masks and inverse STFT) of `nmfsep.separate` on the song "
             f"({blocks['sources']} sources, {blocks['channels']} channels, {blocks['bins']} "
             f"bins, consistent masks: {'yes' if blocks['consistent'] else 'no'}) with "
             "`block_frames` set to each length, best of 2 in one process "
             "(`python -m benchmarks.speed.band blocks`). The sources differ only by "
             "rounding; the default is in bold.", "",
             "| frames per block | s | largest difference from the default's sources |",
             "|---:|---:|---:|"]
    for block, seconds in blocks["seconds"].items():
        label = f"**{block}**" if int(block) == blocks["default"] else block
        lines.append(f"| {label} | {seconds:.2f} | {blocks['max_difference'][block]:.1e} |")
    return lines + [""]


def _band_targets(anchor: dict, wall: dict, stream: dict, long: dict) -> list[str]:
    """Issue 28's targets against this run's band measures."""
    rows = []
    if "seconds" in anchor and "seconds" in wall:
        ratio = wall["seconds"] / anchor["seconds"]
        rows.append(("3-min stereo band mix end to end, × scikit-learn's KL NMF alone",
                     "≤ 0.33", f"{ratio:.2f}", _met(ratio <= 0.33)))
    if "seconds" in stream:
        speed = stream["audio_seconds"] / stream["seconds"]
        rows.append(("streaming supervised separation through the command line, × real time",
                     "≥ 30 (≥ 50 in the benchmark)", f"{speed:.1f}",
                     f"≥ 30: {_met(speed >= 30)}; ≥ 50: {_met(speed >= 50)}"))
    if "seconds" in long:
        rows.append((f"{long['audio_seconds'] / 60:.0f}-min stereo band file, peak memory",
                     "≤ 4096 MiB", f"{long['peak_mib']:.0f} MiB", _met(long["peak_mib"] <= 4096)))
    if not rows:
        return []
    return (["### Targets of issue 28", "", "| what | target | measured | met |",
             "|---|---|---|---|"] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
            + [""])


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _targets(report: dict) -> list[str]:
    """The issue's targets against this run's numbers."""
    rows = []
    song = next((r for r in report["runs"] if r["workload"] == "song" and r["beta"] == 1.0
                 and r["method"] == "nmfsep" and "limit_ratio" in r), None)
    here = f"`{report['command']}`"
    if song:
        rows.append(("one KL iteration on song, float32, × machine limit", "≤ 1.3",
                     f"{song['limit_ratio']:.2f}", _met(song["limit_ratio"] <= 1.3), here))
    target = next((t for t in report.get("targets", []) if t["workload"] == "song"
                   and t["beta"] == 1.0), None)
    if target and target.get("seconds_to_target"):
        speedup = target["reference_seconds"] / target["seconds_to_target"]
        rows.append(("time to scikit-learn's 200-iteration KL loss on song, speed-up", "≥ 5×",
                     f"{speedup:.1f}×", _met(speedup >= 5), here))
    for r in report.get("end_to_end", []):
        if "error" in r:
            continue
        by = f"`{r['run_by']}`" if r.get("run_by") else here
        if r["mode"] == "song":
            rows.append(("3-min stereo song end to end, wall", "≤ 15 s",
                         f"{r['seconds']:.1f} s ({r['peak_mib']:.0f} MiB peak)",
                         _met(r["seconds"] <= 15), by))
        if r["mode"] == "long":
            rows.append((f"{r['audio_seconds'] / 60:.0f}-min stereo file, peak memory",
                         "≤ 4096 MiB", f"{r['peak_mib']:.0f} MiB ({r['seconds']:.0f} s wall)",
                         _met(r["peak_mib"] <= 4096), by))
    if not rows:
        return []
    lines = ["## Targets of issue 5", "", "| what | target | measured | met | measured by |",
             "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    return lines + ["", "The machine was shared with other work during the runs (load above): "
                    "implementations that use multi-threaded BLAS (scikit-learn, librosa, torch) "
                    "lose more to that than nmfsep's single-threaded-BLAS lanes, so the ratios "
                    "to them here lean towards nmfsep, against an idle machine.", ""]


HOW = """## How nmfsep gets there

* **One pass over V per iteration** (`nmfsep/sweeps.py`): the MU update of `H` is separable
  over frames, so frames are taken in blocks of about 1 MiB; for each block `W @ H_b`, the
  ratio field, `W.T @ ratio` and the new `H_b` are computed while the block is in cache,
  then the model is rebuilt with the new `H_b` and its share of `W`'s numerator is
  accumulated. Buffers are preallocated, every element-wise step is in place, `colsum(W)` and
  `rowsum(H)` replace the products with a matrix of ones (KL), `W.T @ W` and `H @ H.T` replace
  the products with the model (beta = 2), float32 throughout. Unless it is large (a long
  file's), `V` is swept from a copy cut into contiguous blocks (`sweeps.column_blocks`),
  each read whole rather than as short rows spread over `V`: the same numbers, fetched
  faster; the stream's activations do the same.
* **Threads over frame ranges, BLAS single-threaded in each** (threadpoolctl): one
  synchronization per sweep instead of one per small product. On a loaded machine this is
  what keeps the speed: multi-threaded BLAS barriers wait on descheduled threads.
* **Loss checks inside the sweeps**: `factorize` checks the objective every `check_every`
  iterations (with `tol=0` and no callback only at the start and the end). The next
  iteration's sweep measures it block by block while the block is in cache
  (`sweeps.block_divergence`, the formulas of the loss computed on its own), and
  that iteration is undone when the check stops the run or falls back to its checkpoint:
  the same iterates, the same stopping iteration. Only the first and the last objective are
  computed on their own, by blocks of columns (no full-size temporary).
* **Fewer iterations**: `solver="amu"` over-relaxes the MM exponent (× 1.5) and checks the
  objective every `check_every` iterations, falling back to the last checkpoint and plain MM
  steps if it ever went up; `init="coarse"` factorizes V averaged over 4 frames first;
  `solver="hals"` (beta = 2) with `inner` repeated row updates (Gillis & Glineur 2012).
  The plain `solver="mu"` (the default) keeps its per-step guarantee and is what the
  side-by-side table runs.
* **HPSS features** (`nmfsep/running_median.py`): the median filters across time and across
  frequency are selection networks (Batcher's odd-even merge, pruned to the median) run as
  element-wise minima and maxima over blocks of rows that stay in the cache, in threads,
  instead of scipy's rank filter line by line on one core (a median picks an input value,
  so the masks are the same numbers); the soft mask is then formed in float32, in place.
* **Stream** (`nmfsep/stream.py`): the activations of many batches are solved together
  (`nmfsep/activations.py`) with over-relaxed updates (`RELAXATION` in `nmfsep/stream.py`), which
  reach the same stopping tolerance in fewer iterations, and each batch stops at the
  stream's own tolerance (`TOLERANCE` in `nmfsep/stream.py`, looser than the offline one's); their
  effect on quality, per category: [stream-relaxation.md](stream-relaxation.md). The
  stream works in float32, as the offline transforms do, writes a block while it
  separates the next, and the command line's start-up leaves out `scipy.ndimage`, which
  only the blind grouping needs.
* **GPU** (`backend="torch", device="cuda"`): the iterations and their loss checks run on
  the device (the factors come back to the host at each check, V never does); the start
  (`init`) is computed on the host. `python -m benchmarks.speed.gpu` prints the numpy
  engine, torch on the CPU and torch on `cuda` side by side (the GPU rows are skipped on a
  machine without one).
* **STFT and inverse STFT** (`nmfsep/spectral.py`): the channels (or sources) of a long
  transform are taken in parallel threads, each exactly as alone (`nmfsep/threads.py`); the
  inverse FFTs give frames as rows, 64 frames per call with scipy's FFT threads, and each
  hop-long slice of a chunk of frames is windowed and added to the output as one view,
  without the copies of a roll and a reshape.
* **Rebuild** (`nmfsep/model.py`): every source but the last is masked and inverted; the
  last is the mixture less the others (with consistent masks, its frames are the mixture's
  less the others' rebuilt STFTs), one inverse STFT and one STFT fewer per block. Blocks of
  `spectral.BLOCK_FRAMES` frames keep each temporary small enough for the allocator to reuse
  instead of faulting in fresh pages (the table above). The stream does the same, with the
  other sources overlap-added in float32, a (source, channel) pair per thread.
* **Long files** (`nmfsep.separate_file`): `separate_file(path, out_paths, ...)` reads the
  audio block by block to build V, factorizes it with the blocked engine, computes the
  percussive mask by blocks, then reads the audio again block by block, masks, inverts and
  writes every source block by block. Only V (4 bytes × bins × frames) is held whole, and,
  while it is factorized, its contiguous copy when it is small enough to get one (counted
  in `nmfsep.resources`' estimates).
"""


def write_report(report: dict, path: Path) -> None:
    """Write the Markdown page for ``report``."""
    m = report["machine"]
    best = report["machine_best"]
    measured = ", ".join(f"{x['sgemm_gflops']:.0f}" for x in report["machine_measures"])
    loads = sorted({round(x, 1) for r in report["runs"] for x in r.get("load", [])[:1]})
    lines = [
        "# Performance",
        "",
        "Generated by `benchmarks/speed` — do not edit by hand. Command:",
        "",
        f"    {report['command']}",
        "",
        f"Run from {report['started']} to {report['finished']} (UTC) on {m.get('cpu', '?')}, "
        f"{m.get('cores')} cores, {m.get('memory_gib')} GiB, {m.get('platform')}; "
        f"BLAS: {'; '.join(m.get('blas', []))}.",
        f"The machine is shared: 1-minute load average during the runs "
        f"{min(loads, default=0)}–{max(loads, default=0)} (at the start {m['load'][0]:.1f}). "
        "Every ratio below compares runs made in this one session; each run is its own "
        "process, the best of the repeats is kept.",
        "",
        _versions_line(report.get("versions")),
        "",
        "## The machine's limit",
        "",
        "One iteration cannot take less than",
        "",
        "    limit = P * 2*M*N*K / F  +  E * 4*M*N / B",
        "",
        f"with F = {best['sgemm_gflops']:.0f} GFLOP/s (float32 2048³ sgemm, all cores) and "
        f"B = {best['bandwidth_gbs']:.0f} GB/s (float32 `c = a / b` on 128 MiB arrays, bytes read "
        "+ written), the best of the measures taken at the start, middle and end of the run "
        f"({measured} GFLOP/s). "
        "P products of M×N×K and E full-size float32 element-wise array passes per "
        "iteration: "
        + "; ".join(f"beta {b:g}: P = {p}, E = {e}" for b, (p, e) in COUNTS.items())
        + ". E counts, for each half-update, the arrays the element-wise step must read "
        "(V, WH) and write (the ratio fields).",
        "",
        "## One iteration, side by side",
        "",
        "Every implementation runs the same multiplicative updates from the same float32 "
        "W0, H0 (scikit-learn's random initialization), so the final losses agree: that is "
        "the proof of equal work. scikit-learn's time includes its input checks and its final "
        "loss; torchnmf computes its loss every 10 iterations (it cannot be switched off); "
        "librosa.decompose wraps scikit-learn (given the same start through a subclass). "
        "Peak memory is the process's peak resident set (`VmHWM`); the baseline is after "
        "imports and loading V.",
        "",
    ]
    split = lines.index("## The machine's limit")
    lines[split:split] = _targets(report)
    lines += _factorization_tables(report)
    lines += _target_table(report)
    lines += _end_to_end(report)
    lines += _band(report)
    lines += HOW.splitlines()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
