"""The one base of every refusal the domain raises, so each edge can answer it the same way."""

from __future__ import annotations


class DomainError(Exception):
    """An operation was refused; `message` says why, in the reader's language.

    Views show it next to the form (`unit_of_work.refusal`), the API answers it in the contract's
    error shape, the CLI prints it. Raised before anything is committed: the edge rolls the unit back.
    """

    _message: object = None
    # The name of the form field the refusal is about, when it is about one (a leaking story).
    field: str | None = None

    @property
    def message(self) -> str:
        """The reason, translated at the moment it is read (messages are often lazy strings)."""
        if self._message is not None:
            return str(self._message)
        return str(self.args[0]) if self.args else ""

    @message.setter
    def message(self, value: object) -> None:
        """A subclass whose first argument is not the message (a code, say) sets it here."""
        self._message = value

    def __str__(self) -> str:
        return self.message
