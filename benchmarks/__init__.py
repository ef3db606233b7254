"""Benchmarks (pytest-benchmark); not collected by `make test`."""
