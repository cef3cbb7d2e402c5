"""The one error type the library raises for bad input.

Every check in ``constructs_pkg`` that rejects user input raises
:class:`ConfigurationError`. The message always names the argument, the value
that was given and what is allowed; when the check runs inside a construct,
the construct path comes first so the offending construct is easy to find.
"""

from __future__ import annotations

from typing import Any

from constructs_pkg._tokens import is_token

__all__ = ["ConfigurationError"]


class ConfigurationError(ValueError):
    """Bad input to a construct or a configuration object, found at synth time.

    Parameters
    ----------
    argument
        The name of the argument (or context key) that is wrong, as the user wrote it.
    value
        The value that was given.
    allowed
        What would have been accepted, in words ("a whole number from 1 to 99").
    path
        The construct path (``Stack/Orders``) when the check ran inside a construct.
    reason
        Optional extra sentence that says why the rule exists or how to fix it.

    Examples
    --------
    >>> err = ConfigurationError("percent", 150, "a whole number from 1 to 99",
    ...                          path="Stack/Orders")
    >>> print(err)
    [Stack/Orders] percent=150 is not allowed: expected a whole number from 1 to 99.
    """

    def __init__(
        self,
        argument: str,
        value: Any,
        allowed: str,
        *,
        path: str | None = None,
        reason: str | None = None,
    ) -> None:
        self.argument = argument
        self.value = value
        self.allowed = allowed
        self.path = path
        self.reason = reason
        super().__init__(self._render())

    def _render(self) -> str:
        prefix = f"[{self.path}] " if self.path else ""
        message = (
            f"{prefix}{self.argument}={_show(self.value)} is not allowed: expected {self.allowed}."
        )
        if self.reason:
            message += f" {self.reason}"
        return message

    def at(self, path: str) -> ConfigurationError:
        """Return a copy of this error that names the construct path ``path``."""
        return ConfigurationError(
            self.argument, self.value, self.allowed, path=path, reason=self.reason
        )


def _show(value: Any) -> str:
    """Render a value the way a user would recognise it in their own code."""
    if is_token(value):
        return f"<token {value!r}>" if isinstance(value, str) else "<a number token>"
    to_human = getattr(value, "to_human_string", None)
    if callable(to_human):  # aws_cdk.Duration / Size
        try:
            return f"<{to_human()}>"
        except Exception:  # pragma: no cover - unresolved durations are never rendered
            return repr(value)
    return repr(value)
