"""Source adapters: other layouts (CMS DE-SynPUF, Synthea CSV) read into the canonical raw tables.

Nothing downstream knows which layout the data came from: an adapter fills text ``raw_<table>``
tables, typed afterwards by the same rules as a canonical file (readers.type_text_tables), and returns
the same ``IngestReport``.
"""

from __future__ import annotations

import importlib

ADAPTERS = {"synpuf": "pipelines.ingest.adapters.synpuf", "synthea": "pipelines.ingest.adapters.synthea"}


def read_source(ctx, con):
    if ctx.source not in ADAPTERS:
        raise ValueError(f"unknown source layout {ctx.source!r}; choose canonical, {', '.join(ADAPTERS)}")
    from pipelines.ingest.readers import type_text_tables

    module = importlib.import_module(ADAPTERS[ctx.source])
    report = module.read_extract(ctx, con)
    type_text_tables(con, ctx.run_id)  # the adapter's text rows, parsed and checked like a canonical file's
    return report
