"""Fuzz targets (atheris/libFuzzer) for the sans-I/O codecs; see fuzz/README.md."""
