"""User-facing input errors.

Every mistake a user can make in a config, an override or a scenario file ends in one
`InputError`, whose message is a single line naming the file, the field, the offending
value and what is allowed. The command-line entry point prints that line and exits
non-zero without a traceback. Other problems the user must resolve (a sweep folder held by
another sweep, or one that is not a sweep store) are a `UserError`, printed the same way.
"""

from __future__ import annotations

from typing import Any


class UserError(ValueError):
    """A problem the user must resolve; the message is one self-contained line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(UserError):
    """A user-supplied value is invalid; the message is one self-contained line."""

    def __init__(self, source: str, field: str, value: Any, allowed: str) -> None:
        self.source = source
        self.field = field
        self.value = value
        self.allowed = allowed
        shown = repr(value) if not isinstance(value, str) else f"'{value}'"
        message = f"{source}: {field} = {shown} is invalid; allowed: {allowed}"
        super().__init__(message)
