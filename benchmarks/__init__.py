"""Benchmarks for tiktok-pixel: ``make bench`` (full) and ``make bench-quick`` (CI smoke mode)."""
