"""Catalogue data files (YAML), one per Gateway API version."""
