"""nmfsep parameter variants, one change at a time from the defaults: the evidence for them."""

from __future__ import annotations

from dataclasses import replace

import nmfsep
from nmfsep.policy import DEFAULT_POLICY

from .methods import Method


def _variant(**kwargs):
    def run(item):
        return nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names), n_runs=1,
                               **kwargs).sources
    return run


def _coactivity_variant(weight: float):
    """The defaults with another ``coactivity_weight`` of the policy."""
    return _variant(policy=replace(DEFAULT_POLICY, coactivity_weight=weight))


def variants() -> list[Method]:
    """The variants of the sweep, named by what they change."""
    grid = [("defaults (K=10/source, beta=1, n_fft=2048: 93 ms, percussive_prior=0.5, "
             "coactivity weight 8)", {})]
    grid += [(f"K={k}/source", {"n_components": None, "_k": k}) for k in (5, 20)]
    grid += [(f"beta={b}", {"beta": b}) for b in (0.5, 2.0)]
    grid += [(f"n_fft={n} ({1000 * n / 22050:.0f} ms)", {"n_fft": n}) for n in (1024, 4096)]
    grid += [("continuity=100", {"continuity": 100.0})]
    grid += [("mask_power=2", {"mask_power": 2.0})]
    grid += [(f"percussive_prior={p}", {"percussive_prior": p}) for p in (0.0, 1.0)]
    rows = []
    for name, kwargs in grid:
        k = kwargs.pop("_k", None)
        kwargs.pop("n_components", None)
        if k is None:
            rows.append(Method(name, "blind", _variant(**kwargs)))
        else:
            def run(item, k=k):
                return nmfsep.separate(item.mixture, item.sr, n_sources=len(item.names),
                                       n_components=k * len(item.names), n_runs=1).sources
            rows.append(Method(name, "blind", run))
    rows[1:1] = [Method(f"coactivity weight {w:g} (timbre+time)", "blind", _coactivity_variant(w))
                 for w in (0.0, 4.0, 16.0)]
    return rows
