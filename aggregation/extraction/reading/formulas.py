"""Formulas saved without a value (SPEC 6): computed when they only add and subtract parts of the
same sheet, and every part is a plain number; anything else stays unknown, never zero.

Programs other than Excel (and Excel with manual recalculation) save formulas without their
results, typically the totals: ``=SUM(B2:B7)`` or ``=B2+B3-B4``. What is computed:

- ``SUM(...)`` over cells and ranges of this sheet (``A1``, ``$B$2:B9``), and ``+``/``-`` of cell
  references, integer constants and such sums, with parentheses;
- ``SUBTOTAL(9, ...)`` (a sum) over ranges of plain numbers only: a formula among its parts may
  be another subtotal, which it would leave out;
- ODS spellings of the same (``of:=SUM([.B2:.B5];[.C2])``).

A part that is blank counts as zero, as in Excel, but at least one part must be a number found in
the sheet: a sum over blank cells only, or of constants only (``=1+1``), says nothing the force
counted and stays unknown. A part that is text (a marker such as ``*`` or
``..``), an error, a date, a boolean, or another formula that cannot be computed makes the whole
formula unknown: the total is then not knowable from the file, and the reader says so. References
to other sheets or workbooks (``Sheet2!A1``, ``[1]Sheet1!B4``) and every other function or
operator stay unknown too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..grid import ComputedFormula, FormulaWithoutValue
from .sheetxml import column_index

Rows = Sequence[Sequence[object]]

# Long formulas and deep chains are not sums a force typed: they stay unknown, cheaply.
_MAX_FORMULA_CHARS = 4096
_MAX_DEPTH = 64
# Cells looked at across every formula of a sheet: SUM(A:A)-style ranges over a full grid each.
_MAX_VISITS = 5_000_000

_ODS_RANGE = re.compile(r"\[\.(\$?[A-Za-z]+\$?\d+):\.(\$?[A-Za-z]+\$?\d+)\]")
_ODS_CELL = re.compile(r"\[\.(\$?[A-Za-z]+\$?\d+)\]")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<sum>SUM\s*\()
      | (?P<subtotal>SUBTOTAL\s*\(\s*9\s*[,;])
      | (?P<range>\$?[A-Za-z]{1,3}\$?[0-9]{1,7}:\$?[A-Za-z]{1,3}\$?[0-9]{1,7})
      | (?P<ref>\$?[A-Za-z]{1,3}\$?[0-9]{1,7})(?![A-Za-z0-9_(!.])
      | (?P<int>[0-9]{1,15})(?![0-9.A-Za-z])
      | (?P<op>[-+(),;])
    )""",
    re.VERBOSE | re.IGNORECASE,
)
_CELL = re.compile(r"\$?([A-Za-z]+)\$?([0-9]+)")


class _Unknown(Exception):
    """The formula cannot be computed from the file."""


@dataclass(frozen=True, slots=True)
class _Ref:
    row: int
    col: int


@dataclass(frozen=True, slots=True)
class _Range:
    first_row: int
    first_col: int
    last_row: int
    last_col: int


@dataclass(frozen=True, slots=True)
class _Subtotal:
    """``SUBTOTAL(9, ...)``: a SUM that leaves out other subtotals in its ranges. Computed only
    where its parts are plain numbers, since a part's formula may be such a subtotal."""

    arguments: list[object]


# An expression is a list of (sign, term); a term is an int, a _Ref, a SUM's list of
# arguments, each a _Range or an expression, or a _Subtotal.
Expression = list[tuple[int, object]]


def display(formula: str) -> str:
    """The formula as a researcher would type it: ``=SUM(B2:B5)``."""
    text = formula.strip()
    if text.lower().startswith("of:"):
        text = text[3:]
    return text if text.startswith("=") else f"={text}"


def compute_formulas(
    rows: Rows, positions: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], ComputedFormula]:
    """The formulas at ``positions`` that can be computed, by position.

    ``rows`` is the sheet's grid (0-based); the cells at ``positions`` hold ``FormulaWithoutValue``.
    Never raises for a formula it cannot compute: that cell is simply left out.
    """
    evaluator = _Evaluator(rows)
    computed = {}
    for row, col in positions:
        value = evaluator.cell(row, col, 0)
        if value is not None:
            formula = rows[row][col]
            assert isinstance(formula, FormulaWithoutValue)
            computed[row, col] = ComputedFormula(value, display(formula.formula))
    return computed


class _Evaluator:
    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.visits = 0
        self.numbers = 0  # plain numbers met so far, across every formula
        self.results: dict[tuple[int, int], int | float | None] = {}
        self.active: set[tuple[int, int]] = set()

    def cell(self, row: int, col: int, depth: int) -> int | float | None:
        """The computed value of the formula at (row, col), or None when it cannot be known."""
        key = (row, col)
        if key in self.results:
            return self.results[key]
        if key in self.active or depth > _MAX_DEPTH:
            return None  # a cycle, or a chain too deep to be a force's totals
        formula = self.rows[row][col]
        assert isinstance(formula, FormulaWithoutValue)
        self.active.add(key)
        numbers = self.numbers
        try:
            value = self._expression(parse(formula.formula), depth)
        except _Unknown:
            value = None
        finally:
            self.active.discard(key)
        if self.numbers == numbers:
            value = None  # no part of it is a number in the file
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        self.results[key] = value
        return value

    def _expression(self, expression: Expression, depth: int) -> int | float:
        total: int | float = 0
        for sign, term in expression:
            total += sign * self._term(term, depth)
        return total

    def _term(self, term: object, depth: int) -> int | float:
        if isinstance(term, int):
            return term
        if isinstance(term, _Ref):
            return self._part(term.row, term.col, depth)
        plain = isinstance(term, _Subtotal)
        total: int | float = 0
        for argument in term.arguments if plain else term:
            if isinstance(argument, _Range):
                total += self._range(argument, depth, plain=plain)
            elif plain:
                raise _Unknown  # SUBTOTAL takes references only
            else:
                total += self._expression(argument, depth)
        return total

    def _range(self, area: _Range, depth: int, *, plain: bool = False) -> int | float:
        rows = self.rows
        # Cells beyond the grid are blank: zero, and never visited.
        last_row = min(area.last_row, len(rows) - 1)
        total: int | float = 0
        for row in range(area.first_row, last_row + 1):
            cells = rows[row]
            last_col = min(area.last_col, len(cells) - 1)
            for col in range(area.first_col, last_col + 1):
                if plain and isinstance(cells[col], FormulaWithoutValue | ComputedFormula):
                    raise _Unknown
                total += self._part(row, col, depth)
        return total

    def _part(self, row: int, col: int, depth: int) -> int | float:
        self.visits += 1
        if self.visits > _MAX_VISITS:
            raise _Unknown
        value = self.rows[row][col] if row < len(self.rows) and col < len(self.rows[row]) else None
        if value is None:
            return 0
        kind = value.__class__
        if kind is int or kind is float:
            if value != value or value in (float("inf"), float("-inf")):  # type: ignore[operator]
                raise _Unknown
            self.numbers += 1
            return value  # type: ignore[return-value]
        if kind is ComputedFormula:
            self.numbers += 1
            return value.value  # type: ignore[attr-defined]
        if kind is FormulaWithoutValue:
            computed = self.cell(row, col, depth + 1)
            if computed is None:
                raise _Unknown
            self.numbers += 1
            return computed
        raise _Unknown  # text (a marker), an error, a date, a boolean: the total is not knowable


def parse(formula: str) -> Expression:
    """The formula as an expression, or ``_Unknown`` when it is not a sum of same-sheet parts."""
    text = formula.strip()
    if len(text) > _MAX_FORMULA_CHARS:
        raise _Unknown
    if text.lower().startswith("of:"):
        # OpenDocument: [.B2:.B5] and [.B2] are this sheet's; [$Sheet2.B2] is another's.
        text = _ODS_CELL.sub(r"\1", _ODS_RANGE.sub(r"\1:\2", text[3:]))
    text = text.removeprefix("=")
    tokens = _tokens(text)
    parser = _Parser(tokens)
    expression = parser.expression(0)
    if parser.position != len(tokens):
        raise _Unknown
    return expression


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if found is None or found.end() == position:
            raise _Unknown
        kind = found.lastgroup
        assert kind is not None
        tokens.append((kind, found.group(kind)))
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end":
            raise _Unknown
        self.position += 1
        return token

    def expression(self, depth: int) -> Expression:
        if depth > _MAX_DEPTH:
            raise _Unknown
        terms: Expression = []
        sign = 1
        kind, text = self._peek()
        if (kind, text) in (("op", "-"), ("op", "+")):
            self._take()
            sign = -1 if text == "-" else 1
        terms.append((sign, self._term(depth)))
        while self._peek() in (("op", "+"), ("op", "-")):
            sign = -1 if self._take()[1] == "-" else 1
            terms.append((sign, self._term(depth)))
        return terms

    def _term(self, depth: int) -> object:
        kind, text = self._take()
        if kind == "int":
            return int(text)
        if kind == "ref":
            return _ref(text)
        if kind == "sum":
            return self._arguments(depth + 1)
        if kind == "subtotal":
            return _Subtotal(self._arguments(depth + 1))
        if (kind, text) == ("op", "("):
            inner = self.expression(depth + 1)
            if self._take() != ("op", ")"):
                raise _Unknown
            return [inner]  # a parenthesised expression: a SUM of one argument
        raise _Unknown

    def _arguments(self, depth: int) -> list[object]:
        arguments: list[object] = []
        while True:
            kind, text = self._peek()
            if kind == "range":
                self._take()
                first, last = (_ref(part) for part in text.split(":"))
                arguments.append(
                    _Range(
                        min(first.row, last.row),
                        min(first.col, last.col),
                        max(first.row, last.row),
                        max(first.col, last.col),
                    )
                )
            else:
                arguments.append(self.expression(depth))
            separator = self._take()
            if separator == ("op", ")"):
                return arguments
            if separator not in (("op", ","), ("op", ";")):
                raise _Unknown


def _ref(text: str) -> _Ref:
    found = _CELL.fullmatch(text)
    if found is None:
        raise _Unknown
    row = int(found.group(2)) - 1
    if row < 0:
        raise _Unknown
    return _Ref(row, column_index(found.group(1)))
