"""The composition root: settings → adapters → services → app. The only package that imports
adapters and domains together (import-linter holds it; see api/README.md)."""
