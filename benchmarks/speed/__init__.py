"""Speed and memory benchmark of nmfsep against the Python NMF tools users have.

Run ``python -m benchmarks.speed [--quick] [--long]``; see ``docs/performance.md``.
"""
