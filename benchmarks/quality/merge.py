"""Adding methods to a stored benchmark run without running everything again.

``python -m benchmarks.quality --merge --methods NAME ...`` scores the chosen
methods on the same items as the stored result file (``results/quality.json``,
``results/real.json`` or a widened file) and puts their records into it: a
record of the same item, method and source is replaced, every other record
stays.  The file keeps its own command and date, and lists each merged run
(command, date, commit) under ``merged``, which the report prints beside the
first command, so that every figure of the page still names the run that made
it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MergeMismatch", "check_mergeable", "merge_results", "merged_lines"]

# What must agree between the stored run and the added one for their records to
# be comparable: the same items, rendered the same way.
SETTINGS = ("duration", "items_per_category", "folder", "excerpt_seconds", "silence_db")


class MergeMismatch(ValueError):
    """The added run was not made on the stored run's items or settings."""


def merge_results(stored: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """``stored`` with ``added``'s records and methods put in.

    Parameters
    ----------
    stored : dict
        A result file's content (``records``, ``methods``, ``items``, ``command``, ...).
    added : dict
        The result of a run on some or all of the same items.

    Returns
    -------
    dict
        A new result: ``stored``'s fields, its records with those of the same
        (item, method, source) replaced by ``added``'s, the added methods'
        descriptions, and ``merged`` extended by the added run's command, date,
        run time and commit.

    Raises
    ------
    MergeMismatch
        When :func:`check_mergeable` refuses ``added``.
    """
    check_mergeable(stored, added)
    records = {(r["item"], r["method"], r["source"]): r for r in stored["records"]}
    records.update({(r["item"], r["method"], r["source"]): r for r in added["records"]})
    methods = {m["name"]: m for m in stored.get("methods", [])}
    methods.update({m["name"]: m for m in added.get("methods", [])})
    run = dict(command=added["command"], started=added["started"],
               seconds=added.get("seconds", 0.0),
               commit=added.get("machine", {}).get("commit", "?"),
               methods=[m["name"] for m in added.get("methods", [])])
    return {**stored, "records": list(records.values()), "methods": list(methods.values()),
            "merged": [*stored.get("merged", []), run]}


def check_mergeable(stored: dict[str, Any], added: dict[str, Any]) -> None:
    """Raise :class:`MergeMismatch` unless ``added`` may go into ``stored``.

    ``added`` needs only its settings and ``items``, so that a run is checked
    before it scores anything.

    Raises
    ------
    MergeMismatch
        If a setting of :data:`SETTINGS` differs, or ``added`` has an item that
        ``stored`` does not.
    """
    for key in SETTINGS:
        if key in stored and key in added and stored[key] != added[key]:
            raise MergeMismatch(f"the stored run has {key} = {stored[key]!r}, this run "
                                f"{added[key]!r}: run with the stored run's settings")
    unknown = sorted(set(added.get("items", {})) - set(stored.get("items", {})))
    if unknown:
        raise MergeMismatch(f"items not in the stored run: {', '.join(unknown[:3])}"
                            + (" ..." if len(unknown) > 3 else "")
                            + "; --merge adds methods to the stored run's items (run the "
                              "new items under another --tag, or without --merge)")


def merged_lines(result: dict[str, Any], prefix: str = "- ") -> list[str]:
    """One line per run merged into ``result``, for the report."""
    return [f"{prefix}Added by `{run['command']}` ({run['started']}, "
            f"{run['seconds'] / 60:.0f} min, commit {run['commit']}): "
            f"{', '.join(run['methods'])}"
            for run in result.get("merged", [])]
