"""Sync: the plan of a registry against a store, and its reporters."""
