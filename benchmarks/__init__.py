"""Benchmarks of the dipkit book (run as modules: ``python -m benchmarks.dip_speed``)."""
