"""Register weights on and off, on the same separations.

``python -m benchmarks.quality.register --first-item 28 [--soundfont SF] [--category C]``
renders eight items of a category from ``--first-item`` on, separates each with
``nmfsep.separate``'s defaults, rebuilds the same separation without the
register weights and prints the SDR of every source both ways, then their
medians and means.  For bass + drums + piano (the default) the weights give a
bass line the low register (:func:`nmfsep.grouping.low_register_weights`); for
the chorales they weigh each voice by its share of the spectrum
(:func:`nmfsep.masks.share_weights`).  The checks of
``benchmarks/quality/notes.md`` (seventh and eighth rounds) on items rendered
after the choice was made.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from ..arguments import non_negative_int, positive_int
from . import generate

CATEGORY = "bass+drums+piano"


def main(argv: list[str] | None = None) -> int:
    import nmfsep
    from nmfsep.metrics import evaluate

    parser = argparse.ArgumentParser(prog="python -m benchmarks.quality.register",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first-item", type=non_negative_int, default=28)
    parser.add_argument("--items", type=positive_int, default=8)
    parser.add_argument("--soundfont", default=None, help="instead of FluidR3 GM")
    parser.add_argument("--category", default=CATEGORY, choices=list(generate.CATEGORIES),
                        help=f"{CATEGORY} (a bass line's register; the default) or chorale "
                             "(each voice's share of the spectrum)")
    args = parser.parse_args(argv)
    generate.SOUNDFONT_OVERRIDE = args.soundfont
    on, off = [], []
    for index in range(args.first_item, args.first_item + args.items):
        item = generate.build(args.category, index)
        sep = nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names))
        with_register = evaluate(item.sources, sep.sources).sdr
        without_register = with_register
        applied = sep.prior is not None and sep.prior.register is not None
        if applied:
            model = replace(sep.model, prior=replace(sep.prior, register=None))
            sources = model.sources(sep.frames)
            without_register = evaluate(item.sources, sources).sdr
        on += with_register.tolist()
        off += without_register.tolist()
        print(f"{item.name}  SDR ({', '.join(item.names)})  register "
              f"{np.array2string(with_register, precision=2)}  without "
              f"{np.array2string(without_register, precision=2)}"
              f"{'' if applied else '  (no register weights)'}", flush=True)
    print(f"median {np.median(on):.2f} against {np.median(off):.2f} dB, "
          f"mean {np.mean(on):.2f} against {np.mean(off):.2f} dB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
