"""The registry: loading with positions, schemas, formulas, cross-file checks, findings, reporters."""
