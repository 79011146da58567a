"""Labelled examples (``text,intent``) read from a CSV file or a CLINC150-style JSON file."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

# CLINC150's own file layout: in-scope and out-of-scope lists per split.
CLINC_SPLITS = {
    "train": ("train", "oos_train"),
    "validation": ("val", "oos_val"),
    "test": ("test", "oos_test"),
}
CLINC_OUT_OF_SCOPE = "oos"


class ExamplesError(ValueError):
    """The examples file cannot be used; the message names the file, row and field."""


@dataclass(frozen=True)
class Examples:
    texts: list[str]
    intents: list[str]

    def __len__(self) -> int:
        return len(self.texts)

    def without(self, intent: str) -> Examples:
        """The examples whose intent is not ``intent``."""
        kept = [(t, i) for t, i in zip(self.texts, self.intents, strict=True) if i != intent]
        return Examples([t for t, _ in kept], [i for _, i in kept])

    def only(self, intent: str) -> Examples:
        """The examples whose intent is ``intent``."""
        kept = [(t, i) for t, i in zip(self.texts, self.intents, strict=True) if i == intent]
        return Examples([t for t, _ in kept], [i for _, i in kept])


def read_examples(
    path: Path, *, text_column: str = "text", intent_column: str = "intent", split: str = "train"
) -> Examples:
    """Examples from a CSV with a text and an intent column, or one split of a CLINC150 JSON."""
    if not path.exists():
        raise ExamplesError(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        return _read_clinc(path, split)
    return _read_csv(path, text_column, intent_column)


def _read_csv(path: Path, text_column: str, intent_column: str) -> Examples:
    texts: list[str] = []
    intents: list[str] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        for column in (text_column, intent_column):
            if column not in header:
                found = ", ".join(header) or "no header"
                raise ExamplesError(f"{path}: column {column!r} missing (found: {found})")
        for row in reader:
            line = reader.line_num
            text = (row.get(text_column) or "").strip()
            intent = (row.get(intent_column) or "").strip()
            if not text:
                raise ExamplesError(f"{path}: row {line}: field {text_column!r} is empty")
            if not intent:
                raise ExamplesError(f"{path}: row {line}: field {intent_column!r} is empty")
            texts.append(text)
            intents.append(intent)
    if not texts:
        raise ExamplesError(f"{path}: no examples")
    return Examples(texts, intents)


def _read_clinc(path: Path, split: str) -> Examples:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ExamplesError(f"{path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    in_scope, out_of_scope = CLINC_SPLITS[split]
    if not isinstance(data, dict) or in_scope not in data:
        raise ExamplesError(f"{path}: expected a CLINC150 file with a {in_scope!r} list")
    texts: list[str] = []
    intents: list[str] = []
    for key in (in_scope, out_of_scope):
        for index, pair in enumerate(data.get(key, [])):
            if not (isinstance(pair, list) and len(pair) == 2 and str(pair[0]).strip()):
                raise ExamplesError(f"{path}: {key}[{index}]: expected [text, intent]")
            texts.append(str(pair[0]).strip())
            intents.append(str(pair[1]))
    return Examples(texts, intents)
