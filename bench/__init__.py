"""Benchmarks of the platform on one machine (`make bench`, `make bench-quick`)."""
