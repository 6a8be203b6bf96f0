"""The console's panes, one per tab."""
