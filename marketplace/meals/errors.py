"""The one error meal operations raise when a rule refuses something; its message is for the reader."""

from marketplace.errors import DomainError


class MealError(DomainError):
    """Refused: the message says why, in the reader's language."""


class AlreadyBooked(MealError):
    """The number has a meal on that day already: the resident is shown the way back to it."""
