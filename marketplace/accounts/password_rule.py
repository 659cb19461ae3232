"""The password rule: at least 10 characters, and not guessable from common passwords or the account.

Strength is zxcvbn's estimate (Dropbox's, maintained as the `zxcvbn` package): it matches the
password against lists of common passwords, words and names, keyboard patterns, dates, repeats and
sequences, and against the account's own words (its email's parts and its name), then scores the
guesses an attacker needs from 0 to 4. We refuse a score below 3 ("safely unguessable", at least
10^8 guesses: enough against an online guesser and a slow-hash offline attack on the scrypt hashes
we keep). Two additions: the site's own words count as the account's, and a password made of a
famous published example ("correct horse battery staple", the old demo password) is refused
whatever its score, since every cracking list holds them.

The message names the reason in the reader's language; zxcvbn's own advice exists only in English,
so it is added when the reader reads English.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

from marketplace.errors import DomainError

MIN_LENGTH = 10
MAX_LENGTH = 200
MIN_SCORE = 3
# zxcvbn refuses longer input; the first 72 characters of a longer password are already strong or not.
ESTIMATE_LENGTH = 72
SITE_WORDS = ("shanlian", "善联", "minzheng", "民政", "guangzhou", "广州", "yuexiu", "越秀", "tianhe", "天河")
# Published example passwords, as letters: refused when a password's letters (with its digits left
# out, or read as the letters they imitate) are a piece of 8 letters or more of one, or one with
# something added.
EXAMPLES = ("correcthorsebatterystaple", "troubador", "shanliandemo")
_LEET = str.maketrans("013457@$", "oieastas")
_parts = re.compile(r"[\s@._+\-]+")
# zxcvbn keeps the account's words in a module-wide dictionary while it estimates: one at a time.
_zxcvbn_lock = threading.Lock()


class PasswordRefused(DomainError):
    """The password breaks the rule; the message says why, for the person choosing it."""


@dataclass(frozen=True)
class Verdict:
    """What the rule found: `reason` is empty when the password is acceptable."""

    reason: str
    advice: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return not self.reason

    @property
    def message(self) -> str:
        """The reason, followed by zxcvbn's English advice when the reader reads English."""
        if not self.advice or not _reads_english():
            return self.reason
        return " ".join([self.reason, *self.advice])


def account_words(email: str = "", name: str = "") -> list[str]:
    """The words a guesser tries first for this account: the email, its parts, the name and its parts."""
    local, _at, domain = (email or "").partition("@")
    words = [email, local, _parts.sub("", local), domain, *domain.split("."), *_parts.split(email or ""),
             name, _parts.sub("", name or ""), *_parts.split(name or "")]
    return [w.lower() for w in dict.fromkeys(words) if w and len(w) >= 2]


def judge(password: str, *, email: str = "", name: str = "") -> Verdict:
    """Whether `password` is acceptable for the account with this email and name, and why not."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return Verdict(str(_l("Use at least %(n)s characters.", n=MIN_LENGTH)))
    if len(password) > MAX_LENGTH:
        return Verdict(str(_l("Use at most %(n)s characters.", n=MAX_LENGTH)))
    if _is_published_example(password):
        return Verdict(str(_l("This is a published example password: everyone who guesses tries it.")))
    words = account_words(email, name)
    with _zxcvbn_lock:
        result = zxcvbn(password[:ESTIMATE_LENGTH], user_inputs=[*words, *SITE_WORDS])
    if result["score"] >= MIN_SCORE:
        return Verdict("")
    feedback = result["feedback"]
    advice = tuple(t for t in [feedback.get("warning"), *feedback.get("suggestions", [])] if t)
    return Verdict(_reason(result), advice)


def _is_published_example(password: str) -> bool:
    lower = password.lower()
    for letters in {re.sub(r"[^a-z]", "", lower), re.sub(r"[^a-z]", "", lower.translate(_LEET))}:
        if len(letters) >= 8 and any(letters in e or letters.startswith(e) for e in EXAMPLES):
            return True
    return False


def _reason(result: dict) -> str:
    """The one reason shown in every language, from what zxcvbn matched."""
    sequence = result.get("sequence", [])
    if any(m.get("dictionary_name") == "user_inputs" for m in sequence):
        return str(_l("This password is too close to your email, your name or this site's name."))
    if any(m.get("dictionary_name") == "passwords" for m in sequence):
        return str(_l("This password is too common: it is on the lists guessers try first."))
    return str(_l("This password is too easy to guess: add more words, or make it longer and less predictable."))


def check(password: str, *, email: str = "", name: str = "") -> None:
    """Refuse a password that breaks the rule (see `judge`)."""
    verdict = judge(password, email=email, name=name)
    if not verdict:
        raise PasswordRefused(verdict.message)


def _reads_english() -> bool:
    return has_request_context() and str(get_locale() or "").startswith("en")
