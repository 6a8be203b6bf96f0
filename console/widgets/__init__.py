"""Reusable widgets: the lazy table and the status header."""
