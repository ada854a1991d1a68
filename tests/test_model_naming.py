"""The naming rule per layer (README "How to add a model", issue 28), checked on every SQL model: a model is
named by its layer's prefix, unless it is a table published as a file, which keeps the file's name (a
contract: never renamed). ``sql/outputs/`` models are named after the file or page they feed."""

from __future__ import annotations

from pipelines.engine.models import catalog
from pipelines.publishing.exports.files import EXPORTS

PREFIX = {"reference": "ref_", "staging": "stg_", "core": "core_", "targeting": "tgt_", "measures": "qm_"}


def published_tables() -> set[str]:
    return {name for export in EXPORTS for name in (export.table, *export.reads)}


def test_every_model_is_named_by_its_layer_or_is_a_published_file():
    published = published_tables()
    wrong = sorted(f"{model.layer}/{name}" for name, model in catalog().items()
                   if model.layer in PREFIX and not name.startswith(PREFIX[model.layer]) and name not in published)
    assert wrong == []


def test_the_rule_sees_every_layer_and_its_exceptions_are_published_files():
    layers = {model.layer for model in catalog().values()}
    assert set(PREFIX) <= layers
    unprefixed = {name for name, model in catalog().items()
                  if model.layer in PREFIX and not name.startswith(PREFIX[model.layer])}
    assert {"rejects", "quality_measures", "program_metrics", "criteria_whatif"} <= unprefixed
    assert unprefixed <= published_tables()
