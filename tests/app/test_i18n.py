"""Every user-visible string is translated into Simplified Chinese, and the pages switch language."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "marketplace" / "translations"
# The same keywords as `make messages` (pybabel's defaults plus `-k _l -k lazy_gettext`).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
HINT = "run `make messages` and translate"


def catalog(locale: str) -> Catalog:
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    assert path.is_file(), f"missing catalog {path.relative_to(ROOT)}: {HINT}"
    with path.open("rb") as f:
        return read_po(f, locale=locale)


def extracted() -> list[tuple[str | tuple[str, ...], str | None, str]]:
    """(msgid, context, where) for every message in the code and templates, as `make messages` finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = tuple(message) if isinstance(message, (list, tuple)) else message
        if msgid:
            found.append((msgid, context, f"{filename}:{lineno}"))
    return found


def strings(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def placeholders(text: str) -> Counter[str]:
    return Counter(p for p in PLACEHOLDER.findall(text) if p != "%%")


def entries(cat: Catalog) -> list[Message]:
    return [m for m in cat if m.id]


def test_extraction_finds_python_and_template_strings():
    where = [w for _id, _ctx, w in extracted()]
    assert any(w.startswith("marketplace/") for w in where), "no message extracted from marketplace/**.py"
    assert any(w.startswith("templates/") for w in where), "no message extracted from templates/**.html"


def test_every_extracted_message_is_in_the_chinese_catalog():
    zh = catalog("zh_Hans")
    missing = sorted(
        {f"{msgid!r} ({where})" for msgid, ctx, where in extracted() if zh.get(msgid, ctx) is None}
    )
    assert not missing, f"{len(missing)} msgid(s) missing from zh_Hans, {HINT}:\n" + "\n".join(missing)


def test_every_chinese_entry_is_translated_and_keeps_its_placeholders():
    problems = []
    for m in entries(catalog("zh_Hans")):
        ids, texts = strings(m.id), strings(m.string)
        if m.fuzzy:
            problems.append(f"fuzzy: {m.id!r}")
        if not all(t.strip() for t in texts):
            problems.append(f"untranslated: {m.id!r}")
            continue
        for text in texts:
            if placeholders(text) != placeholders(ids[0]) and placeholders(text) != placeholders(ids[-1]):
                problems.append(f"placeholders differ: {m.id!r} -> {text!r}")
    assert not problems, f"{len(problems)} problem(s) in zh_Hans, {HINT}:\n" + "\n".join(problems)


def test_english_catalog_exists_and_any_translation_keeps_its_placeholders():
    en = entries(catalog("en"))
    assert en, "the en catalog is empty"
    bad = [
        f"{m.id!r} -> {text!r}"
        for m in en
        for text in strings(m.string)
        if text and placeholders(text) != placeholders(strings(m.id)[0])
    ]
    assert not bad, "placeholders differ in en:\n" + "\n".join(bad)


def page(client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def switch(client, code: str) -> None:
    response = client.get(f"/lang/{code}")
    assert response.status_code == 302


def test_login_page_is_chinese_by_default_and_switches_to_english_and_back(client):
    html = page(client, "/login")
    assert "登录" in html and "Sign in" not in html
    assert '<html lang="zh-Hans">' in html

    switch(client, "en")
    html = page(client, "/login")
    assert "Sign in" in html and "登录" not in html
    assert '<html lang="en">' in html

    switch(client, "zh_Hans")
    html = page(client, "/login")
    assert "登录" in html and "Sign in" not in html


def test_not_found_page_is_chinese_by_default_and_english_after_switching(client):
    path = "/no-such-page"
    html = page(client, path, 404)
    assert "页面不存在" in html and "返回首页" in html
    assert "Page not found" not in html

    switch(client, "en")
    html = page(client, path, 404)
    assert "Page not found" in html and "Back to the home page" in html
    assert "页面不存在" not in html
