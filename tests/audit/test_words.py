"""Every action the code records has words, and every object type it names has a noun and a page.

The walker reads the source: a new `audit.record("x.y", …)` without a line in `audit/words.py`
fails here, naming the file and line, so the log never shows a future action as a bare code.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

from marketplace.audit import words
from tests.conftest import ROOT

RECORDERS = {"record", "record_now"}  # audit.service's writers, however imported
NAME = re.compile(r"^[a-z][a-z_]*\.[a-z][a-z_]*$")


def _callee(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def _helpers(tree: ast.Module) -> set[str]:
    """Functions of a module that pass their first parameter on as the action (`_record(action, …)`)."""
    found = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or not fn.args.args:
            continue
        first = fn.args.args[0].arg
        for call in ast.walk(fn):
            if (isinstance(call, ast.Call) and _callee(call) in RECORDERS and call.args
                    and isinstance(call.args[0], ast.Name) and call.args[0].id == first):
                found.add(fn.name)
    return found


def recorded_calls(source: str) -> Iterator[tuple[int, ast.expr, bool]]:
    """(line, the action argument, whether it is a helper's own parameter) of each recording call."""
    tree = ast.parse(source)
    helpers = _helpers(tree)
    params = {fn.args.args[0].arg for fn in ast.walk(tree)
              if isinstance(fn, ast.FunctionDef) and fn.name in helpers}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _callee(call) in RECORDERS | helpers and call.args:
            first = call.args[0]
            yield call.lineno, first, isinstance(first, ast.Name) and first.id in params


def literal_actions(expr: ast.expr) -> list[str] | None:
    """The action names an argument can be: a string, or a choice between strings; None if not literal."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.IfExp):
        body, orelse = literal_actions(expr.body), literal_actions(expr.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def recorded_actions(root: Path) -> tuple[dict[str, str], list[str]]:
    """{action: where first recorded} over a source tree, and the calls whose action is not a literal."""
    actions: dict[str, str] = {}
    unreadable = []
    for path in sorted(root.rglob("*.py")):
        for line, expr, passes_on in recorded_calls(path.read_text(encoding="utf-8")):
            where = f"{path.relative_to(root.parent)}:{line}"
            names = literal_actions(expr)
            if names is None:
                if not passes_on:
                    unreadable.append(where)
                continue
            for name in names:
                actions.setdefault(name, where)
    return actions, unreadable


def test_the_walker_finds_actions_in_every_shape_the_code_writes_them(tmp_path):
    (tmp_path / "feature.py").write_text(textwrap.dedent('''
        from marketplace.audit import service as audit
        from marketplace.audit.service import record

        def _record(action, thing, **after):
            audit.record(action, obj=thing, after=after)

        def move(thing, approve):
            audit.record("thing.create", obj=thing)
            audit.record(
                "thing.approve" if approve else "thing.reject",
                obj=thing,
            )
            _record("thing.move", thing, to=1)
            audit.record_now("thing.redeem", actor_id=1)
            record("thing.bare")
            audit.record(f"thing.{approve}")
    '''), encoding="utf-8")
    found, unreadable = recorded_actions(tmp_path)
    assert set(found) == {"thing.create", "thing.approve", "thing.reject", "thing.move", "thing.redeem", "thing.bare"}
    assert len(unreadable) == 1 and unreadable[0].endswith(":17")  # the f-string: a name no test can read


def test_every_action_recorded_in_the_code_has_words():
    found, unreadable = recorded_actions(ROOT / "marketplace")
    assert not unreadable, f"write each action name as a literal string, so this test can read it: {unreadable}"
    assert len(found) >= 64 and {"need.claim", "auth.login", "meal.redeem", "organisation.reject"} <= set(found)
    bad = sorted(name for name in found if not NAME.match(name))
    assert not bad, f"action names are `thing.verb` in lower case: {bad}"
    missing = sorted(f"{name} ({where})" for name, where in found.items() if name not in words.ACTIONS)
    assert not missing, "add a line to ACTIONS in marketplace/audit/words.py for:\n" + "\n".join(missing)


def test_every_object_type_named_in_the_code_has_a_noun(app):
    from marketplace.extensions import db

    named = set()
    for path in (ROOT / "marketplace").rglob("*.py"):
        for call in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(call, ast.Call) and _callee(call) in RECORDERS | {"_record"}:
                named |= {k.value.value for k in call.keywords
                          if k.arg == "object_type" and isinstance(k.value, ast.Constant)}
    tables = {"needs", "households", "referrals", "users", "organisations", "projects", "meal_pledges", "outlets",
              "eligibility_codes", "donations", "api_keys", "api_sources"}  # the tables passed as `obj=`
    assert tables <= set(db.metadata.tables)
    missing = sorted((named | tables) - set(words.OBJECTS))
    assert not missing, f"add a Noun to OBJECTS in marketplace/audit/words.py for: {missing}"


def test_each_nouns_page_is_a_route_of_the_app(app):
    endpoints = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    for object_type, noun in words.OBJECTS.items():
        if noun.endpoint is None:
            continue
        assert noun.endpoint in endpoints, object_type
        assert set(endpoints[noun.endpoint].arguments) == ({noun.arg} if noun.arg else set()), object_type


def test_an_action_without_words_reads_as_its_raw_name(app):
    assert words.action_words("legacy.renamed_long_ago") == "legacy.renamed_long_ago"
    assert words.noun("gadgets") == "gadgets"
    assert words.field("odd_key").label == "odd_key"
