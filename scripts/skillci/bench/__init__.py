"""Benchmarks: select the skills a change touches, run their cases, score them into tiers."""
