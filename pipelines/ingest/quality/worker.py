"""The Great Expectations worker a run starts after ingest (``pipelines.ingest.quality.run.start_quality``).

``python -m pipelines.ingest.quality.worker RUN_FOLDER MOSTLY RUN_NAME`` validates the sample files in
``RUN_FOLDER/.gx-samples`` (one Parquet file per table, named ``NN-<table>.parquet`` in contract order),
builds the Data Docs in ``RUN_FOLDER/data_docs`` and writes ``RUN_FOLDER/.gx-result.json``: the summary,
or the error that stopped it. The result file appears whole (written aside, then renamed).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path


def main(folder: Path, mostly: float, run_name: str) -> int:
    try:
        import pandas as pd

        from pipelines.ingest.quality import results_to_dict, validate_tables
        from pipelines.ingest.quality.run import SAMPLES_DIR

        frames = {path.stem.split("-", 1)[1]: pd.read_parquet(path)
                  for path in sorted((folder / SAMPLES_DIR).glob("*.parquet"))}
        results = validate_tables(frames, folder / "data_docs", mostly=mostly, run_name=run_name)
        outcome: dict = {"summary": results_to_dict(results)}
        status = 0
    except Exception as exc:  # reported to the run, which fails with it
        traceback.print_exc()
        outcome, status = {"error": f"{type(exc).__name__}: {exc}"}, 1
    from pipelines.ingest.quality.run import RESULT_FILE

    tmp = folder / f"{RESULT_FILE}.tmp"
    tmp.write_text(json.dumps(outcome, default=str))
    os.replace(tmp, folder / RESULT_FILE)
    return status


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3]))
