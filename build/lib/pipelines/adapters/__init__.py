"""Source adapters: other layouts (CMS DE-SynPUF, Synthea CSV) read into the canonical raw tables.

Nothing downstream knows which layout the data came from: an adapter fills the same ``raw_<table>``
tables the canonical reader does and returns the same ``IngestReport``.
"""

from __future__ import annotations

import importlib

ADAPTERS = {"synpuf": "pipelines.adapters.synpuf", "synthea": "pipelines.adapters.synthea"}


def read_source(ctx, con):
    if ctx.source not in ADAPTERS:
        raise ValueError(f"unknown source layout {ctx.source!r}; choose canonical, {', '.join(ADAPTERS)}")
    module = importlib.import_module(ADAPTERS[ctx.source])
    return module.read_extract(ctx, con)
