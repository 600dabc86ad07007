"""An expat parse fed in chunks, for the readers that walk a part's XML themselves."""

from __future__ import annotations

from xml.parsers import expat

from .errors import UnreadableFile


class XmlStream:
    """Elements go to ``_start``/``_end``, text to ``_text``; a DTD is refused (entity bombs and
    external entities start there) and broken XML is a clear failure, named by ``what``."""

    what = "The XML"

    def __init__(self, *, namespaces: bool = False) -> None:
        self._parser = (
            expat.ParserCreate(namespace_separator="}") if namespaces else expat.ParserCreate()
        )
        self._parser.buffer_text = True
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.CharacterDataHandler = self._text
        self._parser.StartDoctypeDeclHandler = self._refuse_dtd

    def feed(self, chunk: bytes) -> None:
        self._parse(chunk, final=False)

    def finish(self) -> None:
        self._parse(b"", final=True)

    def _parse(self, data: bytes, *, final: bool) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise UnreadableFile("corrupt", f"{self.what} is not valid XML ({exc}).") from exc

    def _refuse_dtd(self, *_args: object) -> None:
        raise UnreadableFile(
            "xml_entities", f"{self.what} declares a DTD (a known attack); refused."
        )

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        raise NotImplementedError

    def _end(self, name: str) -> None:
        raise NotImplementedError

    def _text(self, data: str) -> None:
        raise NotImplementedError
