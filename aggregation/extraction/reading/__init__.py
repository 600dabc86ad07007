"""Readers: bytes in, a ``Workbook`` out, or ``UnreadableFile`` with a clear reason.

``read_workbook`` is the only entry point. Whatever the file holds, it returns a ``Workbook`` or
raises ``UnreadableFile``; no other exception type escapes, and every limit in ``Limits`` holds.

Importing this package fails without defusedxml (``xlsx`` imports it at module level): the
metadata XML of untrusted files is only ever parsed through it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ..collector import paused_collector
from ..grid import Workbook
from ..interrupts import reraise_if_interrupt
from .cells import RowProgress
from .csvfile import read_csv
from .errors import UnreadableFile
from .limits import DEFAULT_LIMITS, Limits
from .odsfile import read_ods
from .sniff import sniff
from .xlsfile import read_xls
from .xlsx import read_xlsx

__all__ = ["DEFAULT_LIMITS", "Limits", "UnreadableFile", "read_workbook"]


def _read_pdf(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    # pdfplumber, pdfminer and their imaging libraries cost ~30 MB: loaded for PDFs only.
    from .pdffile import read_pdf

    return read_pdf(data, limits, progress)


def _read_docx(data: bytes, limits: Limits, progress: RowProgress) -> Workbook:
    from .docxfile import read_docx

    return read_docx(data, limits, progress)


_READERS = {
    "xlsx": read_xlsx,
    "xls": read_xls,
    "ods": read_ods,
    "csv": read_csv,
    "pdf": _read_pdf,
    "docx": _read_docx,
}


def read_workbook(
    source: bytes | str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int], None] | None = None,
) -> Workbook:
    """Read a response file; the format comes from its bytes, never from its name."""
    try:
        with paused_collector():
            data = _load(source, limits)
            kind = sniff(data)
            counter = RowProgress(progress, limits)
            workbook = _READERS[kind](data, limits, counter)
            counter.finish()
            return workbook
    except UnreadableFile:
        raise
    except MemoryError as exc:
        raise UnreadableFile(
            "too_large", "The file needs more memory than this service allows."
        ) from exc
    except Exception as exc:  # a reader bug or an unforeseen damage: still a clear failure
        reraise_if_interrupt(exc)
        raise UnreadableFile(
            "corrupt", f"The file could not be read ({type(exc).__name__}: {exc})."
        ) from exc


def _load(source: bytes | str | os.PathLike[str], limits: Limits) -> bytes:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, bytearray | memoryview):
        data = bytes(source)
    else:
        path = Path(source)
        try:
            if path.stat().st_size > limits.max_file_bytes:
                raise _too_large(path.stat().st_size, limits)
            data = path.read_bytes()
        except OSError as exc:
            raise UnreadableFile("corrupt", f"The file cannot be opened ({exc.strerror}).") from exc
    if len(data) > limits.max_file_bytes:
        raise _too_large(len(data), limits)
    return data


def _too_large(size: int, limits: Limits) -> UnreadableFile:
    return UnreadableFile(
        "too_large",
        f"The file is {size / 2**20:.0f} MB, over the {limits.max_file_bytes / 2**20:.0f} MB "
        "this service reads.",
    )
