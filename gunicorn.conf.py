"""Gunicorn's settings for the portal, read from the working directory when gunicorn starts there (README, Production).

Only a hook: each worker parses the PDF font when it starts (some 0.5 s), so that its first PDF does not wait for it.
"""

from __future__ import annotations

import time
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Warm the PDF font cache of a worker that has just loaded the app, before it takes requests."""
    from portal.core.pdf import warm_font_cache

    started = time.perf_counter()
    try:
        with worker.wsgi.app_context():  # the app's PDF_CJK_FONT, if it names the font
            warm_font_cache()
    except Exception:  # a missing or broken font must not keep the worker from serving: a PDF download reports it
        worker.log.warning("The PDF font was not parsed at start-up", exc_info=True)
        return
    worker.log.info("PDF font parsed in %.2f s", time.perf_counter() - started)
