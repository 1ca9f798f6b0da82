"""skillci: keep an AI-agent skills registry honest and its agents measured."""

from __future__ import annotations

__version__ = "0.1.0"

#: The repository's skillci configuration file, at the root of the checkout.
CONFIG_FILE = "skillci.yaml"
