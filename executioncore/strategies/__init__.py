"""Example strategies used by the bundled scenarios (and a starting point for your own)."""
