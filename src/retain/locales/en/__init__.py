"""English (``en``): all the words Retain shows."""

from __future__ import annotations

from retain.locales.en import dashboard, messages, public
from retain.locales.en.vocabulary import VOCABULARY

TEXT: dict[str, dict[str, str]] = {**dashboard.TEXT, **public.TEXT, **messages.TEXT}

__all__ = ["TEXT", "VOCABULARY"]
