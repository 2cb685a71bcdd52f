"""The one exception type of the client: a refusal with a stable Lictor code."""

from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = ["LictorError"]


class LictorError(Exception):
    """A refusal, with the stable code of Lictor's error registry (``LICTOR_E_…``, see
    ``docs/errors.md``), a message for a person and optional details.

    The runtime's error answers (``{ code, message, details? }``) are raised as this type with
    their code and message; so are what the client refuses itself (an answer without a valid
    proof is ``LICTOR_E_ANSWER_UNPROVEN`` with ``details["reason"]``, a license file that does
    not open is one of the file codes of ``docs/spec/license-file.md``).
    """

    def __init__(self, code: str, message: str, details: Optional[Dict[str, Any]] = None, status: Optional[int] = None):
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.details: Dict[str, Any] = dict(details) if details else {}
        #: The HTTP status of the runtime's error answer, ``None`` for refusals made here.
        self.status = status

    @property
    def reason(self) -> Optional[str]:
        """``details["reason"]`` when there is one (the fault of ``LICTOR_E_ANSWER_UNPROVEN``)."""
        r = self.details.get("reason")
        return r if isinstance(r, str) else None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"LictorError({self.code!r}, {self.message!r}, {self.details!r})"
