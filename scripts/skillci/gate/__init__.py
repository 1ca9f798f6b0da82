"""The quality gate: deciding, publishing the verdict, and its reporters."""
