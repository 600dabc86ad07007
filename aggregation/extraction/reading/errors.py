"""The one exception a reader lets out: the file cannot be read, and why, in words."""

from __future__ import annotations


class UnreadableFile(Exception):
    """A file the engine refuses or cannot read.

    ``code`` is stable and machine-readable (``empty_file``, ``unknown_format``, ``encrypted``,
    ``macros``, ``zip_bomb``, ``xml_entities``, ``too_many_cells``, ``too_large``, ``truncated``,
    ``field_too_large``, ``corrupt``); ``message`` is the sentence a researcher reads.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
