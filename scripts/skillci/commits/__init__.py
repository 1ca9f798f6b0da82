"""Commit conventions: the Conventional Commits parser, commitlint's rules, ranges, releases."""
