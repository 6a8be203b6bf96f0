"""Screens pushed over the panes."""
