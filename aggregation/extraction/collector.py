"""The cyclic garbage collector, paused while a file is read and understood."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_collector() -> Iterator[None]:
    """The cyclic garbage collector off for the block, back as it was after (also on error).

    A read and its understanding build millions of small objects and no reference cycles: the
    collector, run again and again over the growing grid, costs a fifth of the time and frees
    nothing. Nested uses leave it to the outermost.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
