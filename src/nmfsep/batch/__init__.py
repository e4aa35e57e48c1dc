"""Batches: many files, on one machine or a Dask cluster, resumable, nothing lost.

``nmfsep separate IN_DIR -o OUT`` (or ``python -m nmfsep.batch``) separates
every audio file below ``IN_DIR`` into ``OUT/<path without suffix>/``:

- :mod:`~nmfsep.batch.inputs`: which files, in which order, which track folder;
- :mod:`~nmfsep.batch.task`: one file -> its folder and record (the only call
  into the separation library);
- :mod:`~nmfsep.batch.worker`: a task on a worker: staged, published
  atomically, failures as results;
- :mod:`~nmfsep.batch.manifest`: the resumable record of the output folder
  (SQLite), and the locks that let two runs share one folder;
- :mod:`~nmfsep.batch.cluster`: in this process, a local Dask cluster, or a
  scheduler by address;
- :mod:`~nmfsep.batch.runner`: the driver loop, progress, interruption;
- :mod:`~nmfsep.batch.command`: the options and ``run_batch``.

Dask (the ``nmfsep[dask]`` extra) is imported only when a cluster is used;
importing this package does not import it.  See docs/batch.md.
"""

from .command import add_batch_arguments, is_batch, run_batch
from .options import TrackOptions
from .task import separate_track

__all__ = ["add_batch_arguments", "is_batch", "run_batch", "TrackOptions", "separate_track"]
