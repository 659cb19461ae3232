"""How the contract's models answer: errors by dotted path, each a message that translates itself.

pydantic reports an error with its `loc` and type; the contract answers `{"household.members":
"an integer from 1 to 20"}`. A message is, in order: the one a validator raised (`refuse`), the
field's own `Says` (formatted with the field's declared limits, so a limit is written once), or
the message of the rule's type. Messages are English (the API's language) and `localized()` for
staff pages; `N_` marks them for the catalog.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, get_args, get_origin

from annotated_types import Ge, Le, MaxLen, MinLen
from flask_babel import gettext
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # PostgreSQL stores no NUL; UTF-8 has no lone surrogates
Model = TypeVar("Model", bound=BaseModel)


def N_(text: str) -> str:
    """Mark a message for translation; it is formatted in English for the API, translated for staff."""
    return text


class Message(str):
    """An error message: the English text (what the API answers) that knows how to translate itself."""

    template: str
    params: dict[str, Any]

    def __new__(cls, template: str, **params: Any) -> Message:
        """The message `template % params`."""
        message = super().__new__(cls, template % params if params else template)
        message.template, message.params = template, params
        return message

    def localized(self) -> str:
        """The message in the reader's language (for staff pages)."""
        return gettext(self.template, **self.params)


class Errors(dict[str, Message]):
    """Field path → message; empty when valid."""


@dataclass(frozen=True)
class Says:
    """A field's message for a value that breaks its rules; `%(ge)s`, `%(max_length)s`… are its own limits."""

    template: str


REQUIRED = N_("required")
UNKNOWN = N_("unknown field")
REQUIRED_TEXT = N_("required text")
NOT_AN_OBJECT = N_("must be an object")
# Messages of the rules a field declares, when the field has no `Says` of its own.
BY_TYPE = {
    "string_type": N_("must be a string"),
    "string_too_short": REQUIRED_TEXT,
    "string_pattern_mismatch": REQUIRED_TEXT,  # the only pattern without a `Says`: some non-space text
    "string_too_long": N_("at most %(max_length)s characters"),
    "model_type": NOT_AN_OBJECT,
    "model_attributes_type": NOT_AN_OBJECT,
}


def refuse(template: str, **params: Any) -> PydanticCustomError:
    """The error a contract validator raises; its message is taken as it is."""
    return PydanticCustomError("contract", template, params)


def check(model: type[Model], payload: Any, context: dict[str, Any] | None = None) -> tuple[Model | None, Errors]:
    """Validate a JSON value with one of the contract's models; the errors by dotted path.

    Text that cannot be stored is the caller's first check (`unstorable`, as contract.validate does);
    the batch envelope skips it, because it passes its items on unread and each is validated alone.
    """
    try:
        return model.model_validate(payload, context=context), Errors()
    except ValidationError as exc:
        errors = Errors()
        for error in exc.errors(include_url=False):
            path = ".".join(str(part) for part in error["loc"]) or "$"
            errors.setdefault(path, _message(model, error))
        return None, errors


def unstorable(errors: Errors, value: Any, path: str) -> None:
    """Refuse NUL characters and lone surrogates anywhere, keys included, by the path where they are."""
    if isinstance(value, str):
        found = UNSTORABLE.search(value)
        if found and found.group() == "\x00":
            errors[path or "$"] = Message(N_("must not contain NUL characters"))
        elif found:
            errors[path or "$"] = Message(N_("must be valid Unicode text (no lone surrogates)"))
    elif isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            unstorable(errors, key, inner)
            unstorable(errors, item, inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            unstorable(errors, item, f"{path}.{index}" if path else str(index))


def _message(model: type[BaseModel], error: Any) -> Message:
    """The message of one pydantic error: ours as raised, else the field's `Says`, else by type."""
    kind, loc = error["type"], error["loc"]
    if kind == "missing":
        return Message(REQUIRED)
    if kind == "extra_forbidden":
        return Message(UNKNOWN)
    if kind == "contract":  # the template is ours (%-style: pydantic leaves it as it is)
        return Message(error["msg"], **(error.get("ctx") or {}))
    if error.get("input") is None:
        return Message(REQUIRED)  # null where a value is required
    if not loc and kind in ("model_type", "model_attributes_type"):
        return Message(N_("must be a JSON object"))
    declared = _field(model, loc)
    says = next((m for m in declared.metadata if isinstance(m, Says)), None) if declared else None
    if says is not None:
        return Message(says.template, **_limits(declared))
    if kind in BY_TYPE:
        return Message(BY_TYPE[kind], **(error.get("ctx") or {}))
    return Message(N_("not a valid value"))


def _field(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    """The declaration of the field at `loc`, following nested models; None when there is none."""
    declared = None
    for part in loc:
        if declared is not None:
            model = declared.annotation
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                return None
        declared = model.model_fields.get(part) if isinstance(part, str) else None
        if declared is None:
            return None
    return declared


def limits(model: type[BaseModel], name: str) -> dict[str, Any]:
    """A field's declared limits (ge, le, min_length, max_length; choices) and whether it is required."""
    declared = model.model_fields[name]
    return {**_limits(declared), "required": declared.is_required()}


def _limits(declared: Any) -> dict[str, Any]:
    """The field's own limits and choices, for its message."""
    found: dict[str, Any] = {}
    for item in declared.metadata:
        for kind, name in ((Ge, "ge"), (Le, "le"), (MinLen, "min_length"), (MaxLen, "max_length")):
            if isinstance(item, kind):
                found[name] = getattr(item, name)
    if get_origin(declared.annotation) is Literal:
        found["choices"] = ", ".join(get_args(declared.annotation))
    return found
