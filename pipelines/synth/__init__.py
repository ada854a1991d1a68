"""Synthetic Medicare Part D population generator (``mtm generate``)."""

from pipelines.synth.catalog import load_catalog
from pipelines.synth.generator import generate

__all__ = ["generate", "load_catalog"]
