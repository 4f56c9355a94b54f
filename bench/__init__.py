"""Benchmarks: each prints a table of figures and writes them as JSON to ``bench/results/``."""
