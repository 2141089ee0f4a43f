"""patti's benchmarks: figures, never assertions (``python -m bench.run``; see docs/performance.md).

Not an installed package: run from the repository root.
"""
