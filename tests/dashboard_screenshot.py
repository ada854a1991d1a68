"""Screenshot of a run's dashboard for the README: `python -m tests.dashboard_screenshot RUN_FOLDER OUT.png`.

Opens ``dashboard.html`` from disk in headless Chromium with networking off (as a quality team would),
waits until every chart is drawn, and saves the first screen-and-a-half of the page.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.browser import chromium


def screenshot(run_folder: Path, out: Path, height: int = 1500) -> Path:
    with chromium(offline=True) as context:
        page = context.new_page()
        page.goto((run_folder / "dashboard.html").resolve().as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=60_000)
        page.set_viewport_size({"width": 1280, "height": height})
        page.screenshot(path=str(out), full_page=False)
    return out


if __name__ == "__main__":
    print(screenshot(Path(sys.argv[1]), Path(sys.argv[2])))
