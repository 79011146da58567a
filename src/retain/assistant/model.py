"""The intent model: which intent a customer's message is, and whether to answer it at all.

Features are TF-IDF word unigrams/bigrams and character n-grams (2-5, within word bounds, so
Chinese needs no word segmentation), joined — when the optional encoder is installed — by the
all-MiniLM-L6-v2 sentence embedding. One multinomial logistic regression reads them all. Its
probabilities are calibrated by temperature scaling on the validation split (Guo et al. 2017,
"On Calibration of Modern Neural Networks"); the answer threshold on the calibrated maximum
probability is the validation quantile that escalates the target share of messages. Labelled
out-of-scope examples, when the business provides some, train an extra "out of scope" class
whose predictions are always escalated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from retain.assistant.examples import Examples

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion

Embed = Callable[[Sequence[str]], NDArray[np.float32]]

# Weight of the embedding block against the TF-IDF blocks (each row of each block has unit
# length); chosen on CLINC150's validation split.
EMBEDDING_WEIGHT = 2.0
REGULARISATION_C = 20.0
VALIDATION_SHARE = 0.2


class IntentModelError(ValueError):
    """The examples cannot train a model (too few intents or examples)."""


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    answered: bool


@dataclass
class IntentModel:
    """A fitted intent classifier with its calibration and its answer threshold."""

    vectorizer: FeatureUnion
    classifier: LogisticRegression
    uses_encoder: bool
    out_of_scope_label: str
    temperature: float = 1.0
    threshold: float = 0.0
    target_escalation: float = 0.05

    @property
    def intents(self) -> list[str]:
        """The in-scope intents the model can answer."""
        return [str(c) for c in self.classifier.classes_ if c != self.out_of_scope_label]

    def probabilities(self, texts: Sequence[str], embed: Embed | None) -> NDArray[np.float64]:
        """Calibrated class probabilities, one row per text, columns in classifier order."""
        from scipy.special import softmax

        scores = self.classifier.decision_function(self._features(texts, embed))
        return softmax(np.asarray(scores) / self.temperature, axis=1)  # type: ignore[no-any-return]

    def predict(self, texts: Sequence[str], embed: Embed | None) -> list[Prediction]:
        """The intent of each text, its calibrated confidence and whether it clears the bar."""
        probabilities = self.probabilities(texts, embed)
        classes = self.classifier.classes_
        predictions = []
        for row in probabilities:
            best = int(row.argmax())
            intent = str(classes[best])
            confidence = float(row[best])
            in_scope = intent != self.out_of_scope_label
            answered = in_scope and confidence >= self.threshold
            predictions.append(Prediction(intent, confidence if in_scope else 0.0, answered))
        return predictions

    def _features(self, texts: Sequence[str], embed: Embed | None) -> sparse.csr_matrix:
        from scipy import sparse

        words = self.vectorizer.transform(list(texts))
        if not self.uses_encoder:
            return sparse.csr_matrix(words)
        if embed is None:
            raise IntentModelError("this model was trained with the sentence encoder; load it")
        vectors = embed(texts) * EMBEDDING_WEIGHT
        return sparse.hstack([words, sparse.csr_matrix(vectors)], format="csr")


def _new_vectorizer() -> FeatureUnion:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            (
                "characters",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
            ),
        ]
    )


def split_validation(examples: Examples, *, seed: int = 0) -> tuple[Examples, Examples]:
    """A stratified hold-out of ``VALIDATION_SHARE`` for calibration and the threshold."""
    from sklearn.model_selection import train_test_split

    train_texts, validation_texts, train_intents, validation_intents = train_test_split(
        examples.texts,
        examples.intents,
        test_size=VALIDATION_SHARE,
        random_state=seed,
        stratify=examples.intents,
    )
    return Examples(train_texts, train_intents), Examples(validation_texts, validation_intents)


def check_examples(examples: Examples, *, out_of_scope_label: str) -> None:
    """Refuse examples that cannot train a classifier."""
    counts: dict[str, int] = {}
    for intent in examples.intents:
        counts[intent] = counts.get(intent, 0) + 1
    in_scope = {intent: n for intent, n in counts.items() if intent != out_of_scope_label}
    if len(in_scope) < 2:
        found = ", ".join(in_scope) or "none"
        raise IntentModelError(f"at least two intents are needed to train (found: {found})")
    scarce = sorted(intent for intent, n in counts.items() if n < 2)
    if scarce:
        raise IntentModelError(f"each intent needs at least two examples: {', '.join(scarce)}")


def train_intent_model(
    train: Examples,
    validation: Examples,
    *,
    embed: Embed | None,
    out_of_scope_label: str = "oos",
    target_escalation: float = 0.05,
) -> IntentModel:
    """Fit the classifier on ``train``; calibrate it and set its threshold on ``validation``."""
    from sklearn.linear_model import LogisticRegression

    check_examples(train, out_of_scope_label=out_of_scope_label)
    vectorizer = _new_vectorizer().fit(train.texts)
    model = IntentModel(
        vectorizer=vectorizer,
        classifier=LogisticRegression(C=REGULARISATION_C, max_iter=3000),
        uses_encoder=embed is not None,
        out_of_scope_label=out_of_scope_label,
        target_escalation=target_escalation,
    )
    model.classifier.fit(model._features(train.texts, embed), train.intents)
    known = set(model.classifier.classes_)
    # Validation intents the classifier never saw can only be escalated: they count as out of scope.
    truth = [i if i in known else out_of_scope_label for i in validation.intents]
    scores = np.asarray(
        model.classifier.decision_function(model._features(validation.texts, embed))
    )
    model.temperature = _fit_temperature(scores, truth, list(model.classifier.classes_))
    model.threshold = _threshold_for(model, scores, target_escalation)
    return model


def _fit_temperature(scores: NDArray[np.float64], truth: list[str], classes: list[Any]) -> float:
    """The temperature that minimises the validation log-loss of softmax(scores / T)."""
    from scipy.optimize import minimize_scalar
    from scipy.special import log_softmax

    index = {label: position for position, label in enumerate(classes)}
    rows = [(row, index[label]) for row, label in enumerate(truth) if label in index]
    if not rows:
        return 1.0
    row_ids = np.array([r for r, _ in rows])
    column_ids = np.array([c for _, c in rows])

    def loss(log_temperature: float) -> float:
        log_probabilities = log_softmax(scores[row_ids] / np.exp(log_temperature), axis=1)
        return float(-log_probabilities[np.arange(len(rows)), column_ids].mean())

    result = minimize_scalar(loss, bounds=(-4.0, 4.0), method="bounded")
    return float(np.exp(result.x))


def _threshold_for(model: IntentModel, scores: NDArray[np.float64], target: float) -> float:
    """The confidence below which ``target`` of the validation messages are escalated."""
    from scipy.special import softmax

    probabilities = softmax(scores / model.temperature, axis=1)
    classes = list(model.classifier.classes_)
    best = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    if model.out_of_scope_label in classes:
        # Messages predicted out of scope are escalated whatever the threshold.
        confidence = np.where(best == classes.index(model.out_of_scope_label), 0.0, confidence)
    already = float((confidence == 0.0).mean())
    if target <= already or len(confidence) == 0:
        return float(np.nextafter(0.0, 1.0))
    return float(np.quantile(confidence, target, method="higher"))


def save_model(model: IntentModel, path: Path) -> None:
    """Write the model with joblib (only load files you wrote: unpickling runs code)."""
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, path)


def load_model(path: Path) -> IntentModel:
    """A model written by :func:`save_model`."""
    import joblib

    model = joblib.load(path)
    if not isinstance(model, IntentModel):
        raise IntentModelError(f"{path} does not hold an assistant intent model")
    return model
