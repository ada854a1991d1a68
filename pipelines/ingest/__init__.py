"""Ingest: the input contract, finding and reading an extract's files into typed rows, row checks and rejects, the
home's staging store, the source adapters and the input validation (Great Expectations)."""
