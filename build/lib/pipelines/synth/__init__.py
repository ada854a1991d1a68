"""Synthetic Medicare Part D population generator (``mtm generate``)."""

from pipelines.synth.generator import generate, load_catalog

__all__ = ["generate", "load_catalog"]
