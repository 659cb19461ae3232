"""The one base of every refusal the domain raises, so each edge can answer it the same way."""

from __future__ import annotations


class DomainError(Exception):
    """An operation was refused; `message` says why, in the reader's language.

    Views show it next to the form (`unit_of_work.refusal`), the API answers it in the contract's
    error shape, the CLI prints it. Raised before anything is committed: the edge rolls the unit back.
    """

    @property
    def message(self) -> str:
        """The reason, translated at the moment it is read (messages are often lazy strings)."""
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return self.message
