"""Throughput benchmarks, run with `python -m benchmarks`."""
