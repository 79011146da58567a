"""The rule language: what it reads, where it refuses, and that it never runs Python."""

from __future__ import annotations

import ibis
import pytest

from retain.segments.rules import (
    All,
    AnyOf,
    Compare,
    Contains,
    IsNull,
    Literal,
    Member,
    Not,
    RuleError,
    compile_rule,
    parse_rule,
    rule_fields,
)

TABLE = ibis.table(
    {"churn_risk": "float64", "clv": "float64", "country": "string", "signup_at": "timestamp"},
    name="attributes",
)


def test_the_example_rule_parses_into_its_tree() -> None:
    rule = parse_rule('churn_risk > 0.6 and clv > 500 and country in ["CN","SG"]')
    assert rule.root == All(
        (
            Compare("churn_risk", ">", Literal(0.6, 14), 1),
            Compare("clv", ">", Literal(500, 28), 22),
            Member("country", (Literal("CN", 48), Literal("SG", 53)), False, 36),
        )
    )


def test_and_binds_tighter_than_or_and_parentheses_group() -> None:
    loose = parse_rule("clv > 1 or clv < 0 and country = 'CN'").root
    grouped = parse_rule("(clv > 1 or clv < 0) and country = 'CN'").root
    assert isinstance(loose, AnyOf) and isinstance(loose.operands[1], All)
    assert isinstance(grouped, All) and isinstance(grouped.operands[0], AnyOf)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("country is null", IsNull("country", False, 1)),
        ("country IS NOT NULL", IsNull("country", True, 1)),
        ("country not in ['CN']", Member("country", (Literal("CN", 17),), True, 1)),
        ("country contains '中'", Contains("country", Literal("中", 18), False, 1)),
        ('country not contains "x"', Contains("country", Literal("x", 22), True, 1)),
        ("not clv >= -1.5e2", Not(Compare("clv", ">=", Literal(-150.0, 12), 5))),
        ("clv == 3", Compare("clv", "==", Literal(3, 8), 1)),
        ("country = 'it\\'s'", Compare("country", "=", Literal("it's", 11), 1)),
        ("country in []", Member("country", (), False, 1)),
    ],
)
def test_each_form_parses(text: str, expected: object) -> None:
    assert parse_rule(text).root == expected


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("__import__('os')", 11, "expected a comparison"),
        ("clv >", 6, "expected a number"),
        ("clv > 1 and", 12, "expected a field name"),
        ("country = 'CN", 11, "string not closed"),
        ("clv > 1 ; drop table x", 9, "unexpected character ';'"),
        ("clv = null", 7, "is null"),
        ("(clv > 1", 9, "expected ')'"),
        ("clv > 1 clv < 2", 9, "expected 'and', 'or' or the end"),
        ("country = CN", 11, "quote text values"),
        ("country in 'CN'", 12, "'['"),
        ("", 1, "empty"),
        ("country not = 'CN'", 13, "'in' or 'contains'"),
    ],
)
def test_bad_rules_say_where(text: str, column: int, words: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(text)
    assert raised.value.column == column
    assert words in raised.value.reason
    # The caret sits under the column at fault.
    _, shown, caret = str(raised.value).splitlines()
    assert caret.index("^") == shown.index(text) + column - 1 if text else caret.endswith("^")


def test_python_is_never_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the rule was evaluated as Python")

    monkeypatch.setattr("builtins.eval", refuse)
    monkeypatch.setattr("builtins.exec", refuse)
    for text in ("__import__('os').system('true')", "clv > (1).__class__", "clv > 1 or exit()"):
        with pytest.raises(RuleError):
            compile_rule(text, TABLE)


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("cuntry = 'CN'", 1, "unknown field 'cuntry'; available: churn_risk, clv, country"),
        ("clv > '500'", 7, "clv is a number; '500' does not fit"),
        ("country in ['CN', 1]", 19, "country is text; 1 does not fit"),
        ("clv = true", 7, "true does not fit"),
        ("clv contains '1'", 1, "'contains' needs a text field"),
        ("signup_at < 'yesterday'", 13, "not an ISO date"),
    ],
)
def test_rules_that_do_not_fit_the_table_are_refused(text: str, column: int, words: str) -> None:
    with pytest.raises(RuleError) as raised:
        compile_rule(text, TABLE)
    assert raised.value.column == column
    assert words in raised.value.reason


def test_rule_fields() -> None:
    text = "clv > 1 and (country is null or not churn_risk < 0.2)"
    assert rule_fields(text) == {"clv", "country", "churn_risk"}
    assert rule_fields(parse_rule(text)) == {"clv", "country", "churn_risk"}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("(" * 500 + "clv > 1" + ")" * 500, "nested deeper than 32 levels"),
        ("not " * 500 + "clv > 1", "nested deeper than 32 levels"),
        ("clv > 1" + " or clv > 1" * 2_000, "longer than 10,000"),
    ],
)
def test_a_hostile_rule_is_refused_not_a_recursion_error(text: str, words: str) -> None:
    with pytest.raises(RuleError) as raised:
        parse_rule(text)
    assert words in raised.value.reason


def test_a_rule_nested_within_the_bound_still_parses() -> None:
    root = parse_rule("(" * 30 + "clv > 1" + ")" * 30).root
    assert isinstance(root, Compare) and (root.field, root.operator) == ("clv", ">")
