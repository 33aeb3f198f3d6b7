"""Benchmarks of patching-components: run ``python -m benchmarks`` (see BENCHMARKS.md)."""
