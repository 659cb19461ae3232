"""A taxonomy label in both languages the app speaks, for indexing (a reader may type either)."""

from __future__ import annotations

from typing import Any

from flask_babel import force_locale

LOCALES = ("zh_Hans", "en")
_cache: dict[str, tuple[str, ...]] = {}


def in_every_language(label: Any) -> tuple[str, ...]:
    """The label as each locale shows it (translations are fixed while the app runs: cached)."""
    if label is None:
        return ()
    args = getattr(label, "_args", None)  # a lazy label's msgid; a plain string is its own key
    key = args[0] if args else str(label)
    if key not in _cache:
        texts = []
        for locale in LOCALES:
            with force_locale(locale):
                texts.append(str(label))
        _cache[key] = tuple(dict.fromkeys(texts))
    return _cache[key]
