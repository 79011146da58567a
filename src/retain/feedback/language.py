"""Language of a text by its script: Han characters mean Chinese, Latin letters English.

Only zh and en are analysed, so counting scripts is enough and needs no model; a text with
neither (emoji, digits) is ``und``. Mixed texts go to whichever script has more characters,
with Han counted double because one Han character carries about a word.
"""

from __future__ import annotations

import re

LANGUAGES = ("zh", "en")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> str:
    """``zh``, ``en`` or ``und`` (undetermined) for ``text``."""
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    if han == 0 and latin == 0:
        return "und"
    return "zh" if 2 * han >= latin else "en"
