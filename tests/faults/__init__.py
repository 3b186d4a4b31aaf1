"""Fault tests: real processes killed, restarted and checked for lost or doubled work."""
