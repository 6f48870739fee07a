"""The garbage collector during a cold start.

A Lambda container's import (FastAPI, pydantic, psycopg, the app) allocates hundreds of
thousands of objects that live as long as the container. The collector, triggered by
those allocations, traverses them again and again during the import and frees nothing:
about a fifth of a handler's cold import on the development machine. So the `functions`
package pauses it before anything is imported, and the handler, once built, freezes what
exists (`gc.freeze`: moved to a generation the collector never scans, so warm requests'
collections don't walk the framework either) and resumes it.
"""

from __future__ import annotations

import gc


def pause_collector() -> None:
    gc.disable()


def resume_collector() -> None:
    """Freeze everything allocated so far, then collect normally again."""
    gc.freeze()
    gc.enable()
