"""Readers: bytes in, a ``Workbook`` out, or ``UnreadableFile`` with a clear reason."""
