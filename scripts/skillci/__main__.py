"""`python -m skillci`."""

from __future__ import annotations

from skillci.cli import main

if __name__ == "__main__":
    main()
