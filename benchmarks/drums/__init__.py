"""The drum benchmark: nmfsep's drum split beside libnmfd's NMFD recipe.

    python -m benchmarks.drums
"""
