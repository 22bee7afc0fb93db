"""The config registry: every dynamic config versioned, validated, planned and applied as a job
(docs/config-surfaces.md, decision 0010)."""
