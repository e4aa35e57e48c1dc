"""A held-out check of ``auto`` on drums alone: kits no benchmark category or template uses.

Kick, snare and hi-hat grooves (the drum-kit categories' generator,
:func:`benchmarks.quality.drumkit.groove`, 10 s at 22.05 kHz) played by three hydrogen kits
that neither the drum templates nor the drum-kit categories use: ElectricEmpireKit (an
electronic kit), VariBreaks (breakbeat samples) and Millo-Drums_v.1.  Each is separated with
nmfsep's defaults (``auto``: the kit's pieces from the drum templates), with
``grouping="timbre"`` (what ``auto`` took for drums alone before) and by NMF-MFCC (the
benchmark's anchor); BSS Eval v3 SDR, permutation solved, median over the pieces.

    python -m benchmarks.quality.kit_heldout   # results/choices/drums-alone-kit-heldout.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

import nmfsep
from nmfsep.metrics import evaluate

from .generate import Item  # first: generate registers the categories drumkit extends
from .methods import nmf_mfcc

SR = 22050
SECONDS = 10.0
STYLES = ("rock", "pop16", "funk")
PIECES = ["kick", "snare", "hihat"]
OUT = Path(__file__).parent / "results" / "choices" / "drums-alone-kit-heldout.json"
# Which of each kit's instruments plays which sound of the groove.
HELD_OUT_MAPS = {
    "ElectricEmpireKit": {
        "kick": ("^Kick Hard 1$",), "snare": ("^Snare 1$",),
        "hihat-closed": ("^Hat Closed Dirty$",), "hihat-open": ("^Hat Op Dirty$",),
        "hihat-pedal": ("^Hat Closed Dirty$",)},
    "VariBreaks": {
        "kick": ("^VariBreaks Kick 1$",), "snare": ("^VariBreaks Snare 1$",),
        "hihat-closed": ("^VariBreaks Hat 1 Cl$",), "hihat-open": ("^VariBreaks Hat 1 Op$",),
        "hihat-pedal": ("^VariBreaks Hat 1 Pd$",)},
    "Millo-Drums_v.1": {
        "kick": ("^Kick$",), "snare": ("^Snare Rock$",), "hihat-closed": ("^Closed HH$",),
        "hihat-open": ("^Open HH$",), "hihat-pedal": ("^Pedal HH$",)},
}


def item(kit: str, index: int) -> Item:
    """Groove ``index`` (style ``STYLES[index]``) on ``kit``; seeded, so always the same."""
    from . import drumkit

    style = STYLES[index]
    rng = np.random.default_rng(1000 + index)
    tempo = float(rng.integers(*drumkit.TEMPO[style]) + 1)
    events = drumkit.groove(style, tempo, int(np.ceil(SECONDS / (240 / tempo))) + 1, rng)
    stems = drumkit.render_kit(kit, events, SECONDS, SR, PIECES)[:, None, :].astype(np.float32)
    return Item(name=f"{kit}-{style}", category="held-out kit", sr=SR,
                mixture=stems.sum(axis=0), sources=stems, names=list(PIECES))


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m benchmarks.quality.kit_heldout",
                            description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    from . import drumkit

    drumkit.KIT_MAPS.update(HELD_OUT_MAPS)
    rows = []
    for kit in HELD_OUT_MAPS:
        for index in range(len(STYLES)):
            case = item(kit, index)
            defaults = nmfsep.separate(case.mixture, SR, n_sources=3)
            timbre = nmfsep.separate(case.mixture, SR, n_sources=3, grouping="timbre")
            scores = {name: float(np.median(evaluate(case.sources, estimates).sdr))
                      for name, estimates in (("auto", defaults.sources),
                                              ("timbre", timbre.sources),
                                              ("NMF-MFCC", nmf_mfcc(case)))}
            row = dict(item=case.name, kit_split=bool(defaults.decision.kit), **scores)
            print(json.dumps(row), flush=True)
            rows.append(row)
    medians = {key: round(float(np.median([r[key] for r in rows])), 2)
               for key in ("auto", "timbre", "NMF-MFCC")}
    print("median SDR (dB):", medians)
    OUT.write_text(json.dumps(dict(command="python -m benchmarks.quality.kit_heldout",
                                   rows=rows, medians=medians), indent=1))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
