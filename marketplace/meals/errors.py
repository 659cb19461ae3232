"""The one error meal operations raise when a rule refuses something; its message is for the reader."""


class MealError(ValueError):
    """Refused: the message says why, in the reader's language."""
