"""The rule language of segments and playbook conditions: parsed, checked, compiled to Ibis.

A rule such as ``churn_risk > 0.6 and clv > 500 and country in ["CN", "SG"]`` is read by a
tokenizer and a recursive-descent parser into a small tree, checked against a table's schema and
compiled into an Ibis boolean expression. Nothing is ever evaluated as Python. Grammar::

    rule       := disjunction END
    disjunction:= conjunction ("or" conjunction)*
    conjunction:= negation ("and" negation)*
    negation   := "not" negation | "(" disjunction ")" | test
    test       := FIELD ("=" | "==" | "!=" | "<" | "<=" | ">" | ">=") literal
                | FIELD ["not"] "in" "[" [literal ("," literal)*] "]"
                | FIELD ["not"] "contains" STRING
                | FIELD "is" ["not"] "null"
    literal    := NUMBER | STRING | "true" | "false"

A test on a missing (null) value is false, so ``not (churn_risk > 0.6)`` includes customers
without a score: two-valued logic, unlike SQL's three.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

KEYWORDS = frozenset({"and", "or", "not", "in", "is", "null", "true", "false", "contains"})
COMPARISONS = ("==", "!=", "<=", ">=", "=", "<", ">")
Scalar = str | int | float | bool
_OPERATORS: dict[str, Callable[[ir.Value, ir.Value], ir.Value]] = {
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


# Bounds that keep a hostile rule from exhausting the parser (and the SQL it compiles to).
MAX_RULE_CHARACTERS = 10_000
MAX_RULE_DEPTH = 32


class RuleError(ValueError):
    """A rule that cannot be read or does not fit the table; says where, with a caret line."""

    def __init__(self, text: str, column: int, reason: str) -> None:
        self.text, self.column, self.reason = text, column, reason
        super().__init__(f"{reason} (column {column})\n  {text}\n  {' ' * (column - 1)}^")

    @property
    def one_line(self) -> str:
        """The reason and the column, without the caret drawing."""
        return f"{self.reason} (column {self.column})"


@dataclass(frozen=True)
class Token:
    kind: str  # "name", "keyword", "number", "string", "operator" or "end"
    value: str | float | int
    column: int


@dataclass(frozen=True)
class Literal:
    value: Scalar
    column: int


@dataclass(frozen=True)
class Compare:
    field: str
    operator: str
    literal: Literal
    column: int


@dataclass(frozen=True)
class Member:
    field: str
    literals: tuple[Literal, ...]
    negated: bool
    column: int


@dataclass(frozen=True)
class Contains:
    field: str
    literal: Literal
    negated: bool
    column: int


@dataclass(frozen=True)
class IsNull:
    field: str
    negated: bool
    column: int


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class All:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]


Node = Compare | Member | Contains | IsNull | Not | All | AnyOf
Test = Compare | Member | Contains | IsNull


@dataclass(frozen=True)
class Rule:
    """A parsed rule: its text and its tree."""

    text: str
    root: Node


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<name>[^\W\d]\w*)
      | (?P<operator>==|!=|<=|>=|=|<|>|\(|\)|\[|\]|,)
      | (?P<quote>["'])""",
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; columns count from 1."""
    tokens: list[Token] = []
    index = 0
    while index < len(text):
        match = _TOKEN.match(text, index)
        if match is None:
            raise RuleError(text, index + 1, f"unexpected character {text[index]!r}")
        kind = match.lastgroup or ""
        if kind == "quote":
            value, index = _read_string(text, index)
            tokens.append(Token("string", value, match.start() + 1))
            continue
        word = match.group()
        if kind == "number":
            number = float(word) if any(mark in word for mark in ".eE") else int(word)
            tokens.append(Token("number", number, index + 1))
        elif kind == "name":
            lowered = word.lower()
            is_keyword = lowered in KEYWORDS
            tokens.append(
                Token(
                    "keyword" if is_keyword else "name", lowered if is_keyword else word, index + 1
                )
            )
        elif kind == "operator":
            tokens.append(Token("operator", word, index + 1))
        index = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The string literal opening at ``start`` and the index after its closing quote."""
    quote, index = text[start], start + 1
    characters: list[str] = []
    while index < len(text):
        character = text[index]
        if character == quote:
            return "".join(characters), index + 1
        if character == "\\" and index + 1 < len(text):
            escaped = text[index + 1]
            if escaped not in _ESCAPES:
                raise RuleError(text, index + 1, f"unknown escape \\{escaped}")
            characters.append(_ESCAPES[escaped])
            index += 2
            continue
        characters.append(character)
        index += 1
    raise RuleError(text, start + 1, "string not closed")


class _Parser:
    """Recursive descent over the tokens, one method per grammar rule."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_RULE_CHARACTERS:
            raise RuleError(text, MAX_RULE_CHARACTERS + 1, f"longer than {MAX_RULE_CHARACTERS:,}")
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.position]

    def fail(self, reason: str, token: Token | None = None) -> RuleError:
        return RuleError(self.text, (token or self.current).column, reason)

    def accept(self, kind: str, value: str | None = None) -> Token | None:
        token = self.current
        if token.kind == kind and (value is None or token.value == value):
            self.position += 1
            return token
        return None

    def expect(self, kind: str, value: str, what: str) -> Token:
        token = self.accept(kind, value)
        if token is None:
            raise self.fail(f"expected {what}, found {_describe(self.current)}")
        return token

    def rule(self) -> Node:
        if self.current.kind == "end":
            raise self.fail("the rule is empty")
        root = self.disjunction()
        if self.current.kind != "end":
            raise self.fail(f"expected 'and', 'or' or the end, found {_describe(self.current)}")
        return root

    def disjunction(self) -> Node:
        operands = [self.conjunction()]
        while self.accept("keyword", "or"):
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def conjunction(self) -> Node:
        operands = [self.negation()]
        while self.accept("keyword", "and"):
            operands.append(self.negation())
        return operands[0] if len(operands) == 1 else All(tuple(operands))

    def negation(self) -> Node:
        self.depth += 1
        try:
            if self.depth > MAX_RULE_DEPTH:
                raise self.fail(f"nested deeper than {MAX_RULE_DEPTH} levels")
            if self.accept("keyword", "not"):
                return Not(self.negation())
            if self.accept("operator", "("):
                inner = self.disjunction()
                self.expect("operator", ")", "')'")
                return inner
            return self.test()
        finally:
            self.depth -= 1

    def test(self) -> Test:
        field = self.current
        if field.kind != "name":
            raise self.fail(f"expected a field name, found {_describe(field)}")
        self.position += 1
        name = str(field.value)
        if self.accept("keyword", "is"):
            negated = self.accept("keyword", "not") is not None
            self.expect("keyword", "null", "'null' after 'is'")
            return IsNull(name, negated, field.column)
        negated = self.accept("keyword", "not") is not None
        if self.accept("keyword", "in"):
            return Member(name, self.literal_list(), negated, field.column)
        if self.accept("keyword", "contains"):
            literal = self.literal()
            if not isinstance(literal.value, str):
                raise self.fail("'contains' needs a quoted string", self.tokens[self.position - 1])
            return Contains(name, literal, negated, field.column)
        if negated:
            raise self.fail(
                f"expected 'in' or 'contains' after 'not', found {_describe(self.current)}"
            )
        operator = self.current
        if operator.kind != "operator" or operator.value not in COMPARISONS:
            raise self.fail(
                f"expected a comparison (=, !=, <, <=, >, >=), 'in', 'contains' or 'is' after "
                f"{name!r}, found {_describe(operator)}"
            )
        self.position += 1
        if self.current.kind == "keyword" and self.current.value == "null":
            raise self.fail("compare with null using 'is null' or 'is not null'")
        return Compare(name, str(operator.value), self.literal(), field.column)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("operator", "[", "'[' to open a list")
        literals: list[Literal] = []
        if self.accept("operator", "]"):
            return ()
        literals.append(self.literal())
        while self.accept("operator", ","):
            literals.append(self.literal())
        self.expect("operator", "]", "',' or ']'")
        return tuple(literals)

    def literal(self) -> Literal:
        token = self.current
        if token.kind in ("number", "string"):
            self.position += 1
            return Literal(token.value, token.column)
        if token.kind == "keyword" and token.value in ("true", "false"):
            self.position += 1
            return Literal(token.value == "true", token.column)
        if token.kind == "name":
            raise self.fail(f"expected a value, found field {token.value!r}; quote text values")
        raise self.fail(
            f"expected a number, a quoted string, true or false, found {_describe(token)}"
        )


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "the end of the rule"
    if token.kind == "string":
        return f"the string {token.value!r}"
    return repr(str(token.value))


def parse_rule(text: str) -> Rule:
    """Parse ``text`` into a Rule; RuleError says where and why it cannot."""
    return Rule(text=text, root=_Parser(text).rule())


def rule_fields(rule: Rule | str) -> set[str]:
    """The fields a rule reads."""
    parsed = parse_rule(rule) if isinstance(rule, str) else rule
    return set(_fields(parsed.root))


def _fields(node: Node) -> list[str]:
    if isinstance(node, Not):
        return _fields(node.operand)
    if isinstance(node, All | AnyOf):
        return [name for operand in node.operands for name in _fields(operand)]
    return [node.field]


def check_rule(rule: Rule | str, schema: ibis.Schema) -> Rule:
    """The parsed rule, once every field exists in ``schema`` and every value fits its type."""
    parsed = parse_rule(rule) if isinstance(rule, str) else rule
    for test in _tests(parsed.root):
        _check_test(parsed.text, test, schema)
    return parsed


def compile_rule(rule: Rule | str, table: ir.Table) -> ir.BooleanValue:
    """The Ibis condition selecting the rows of ``table`` that satisfy ``rule``."""
    parsed = check_rule(rule, table.schema())
    return _compile(parsed.root, table, parsed.text)


def _tests(node: Node) -> list[Test]:
    if isinstance(node, Not):
        return _tests(node.operand)
    if isinstance(node, All | AnyOf):
        return [test for operand in node.operands for test in _tests(operand)]
    return [node]


def _check_test(text: str, test: Test, schema: ibis.Schema) -> None:
    if test.field not in schema:
        available = ", ".join(sorted(schema.names))
        raise RuleError(text, test.column, f"unknown field {test.field!r}; available: {available}")
    dtype = schema[test.field]
    if isinstance(test, Contains) and not dtype.is_string():
        raise RuleError(
            text, test.column, f"'contains' needs a text field; {test.field} is {_kind(dtype)}"
        )
    literals = (
        test.literals
        if isinstance(test, Member)
        else (test.literal,)
        if isinstance(test, Compare | Contains)
        else ()
    )
    for literal in literals:
        _literal_value(text, literal, dtype, test.field)


def _kind(dtype: dt.DataType) -> str:
    if dtype.is_numeric():
        return "a number"
    if dtype.is_string():
        return "text"
    if dtype.is_timestamp() or dtype.is_date():
        return "a time (write it as a quoted ISO date)"
    if dtype.is_boolean():
        return "true or false"
    return str(dtype)


def _literal_value(
    text: str, literal: Literal, dtype: dt.DataType, field: str
) -> Scalar | datetime:
    """The literal as the field's type expects it, or RuleError pointing at the literal."""
    value = literal.value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if dtype.is_numeric() and numeric:
        return value
    if dtype.is_string() and isinstance(value, str):
        return value
    if dtype.is_boolean() and isinstance(value, bool):
        return value
    if (dtype.is_timestamp() or dtype.is_date()) and isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise RuleError(text, literal.column, f"{value!r} is not an ISO date") from None
    shown = f"{value!r}" if isinstance(value, str) else str(value).lower()
    raise RuleError(text, literal.column, f"{field} is {_kind(dtype)}; {shown} does not fit")


def _compile(node: Node, table: ir.Table, text: str) -> ir.BooleanValue:
    if isinstance(node, Not):
        return ~_compile(node.operand, table, text)
    if isinstance(node, All | AnyOf):
        parts = [_compile(operand, table, text) for operand in node.operands]
        combined = parts[0]
        for part in parts[1:]:
            combined = combined & part if isinstance(node, All) else combined | part
        return combined
    # Null tests are total already; every other test is false on a missing value.
    if isinstance(node, IsNull):
        column = table[node.field]
        return column.notnull() if node.negated else column.isnull()
    return _compile_test(node, table, text).fill_null(False)


def _compile_test(test: Compare | Member | Contains, table: ir.Table, text: str) -> ir.BooleanValue:
    column = table[test.field]
    dtype = table.schema()[test.field]

    def value(literal: Literal) -> Scalar | datetime:
        return _literal_value(text, literal, dtype, test.field)

    if isinstance(test, Member):
        if not test.literals:
            return ibis.literal(test.negated)
        found = column.isin([value(literal) for literal in test.literals])
        return ~found if test.negated else found
    if isinstance(test, Contains):
        found = column.contains(str(test.literal.value))
        return ~found if test.negated else found
    compare = _OPERATORS[test.operator]
    return compare(column, ibis.literal(value(test.literal)))  # type: ignore[no-any-return]
