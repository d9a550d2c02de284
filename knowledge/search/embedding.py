"""The embedding model: WordLlama's 256-dimension English model, shipped inside its wheel (16 MB of
token vectors, average-pooled; about 0.1 ms a sentence on one CPU core, no network, no GPU).

Loaded once per process on first use. `WordLlama.load()` would reach for the network to fetch its
tokenizer (it looks in the wrong folder first), so it is pointed at the wheel's own folder with
downloads disabled. Vectors are stored as float32 bytes, L2-normalised, beside MODEL_NAME; a row
whose model differs is embedded again (knowledge/search/vectors.py does it in memory on load).
"""

import pathlib
import threading
import time

import numpy as np
import wordllama
from wordllama import WordLlama

MODEL_NAME = "wordllama-l2-supercat-256"
DIMENSIONS = 256
DTYPE = np.float32

_lock = threading.Lock()
_model = None
load_seconds: float | None = None  # how long the one load took (the benchmark reports it)


def model():
    """The process's one model instance, loaded on first call (thread-safe)."""
    global _model, load_seconds
    if _model is None:
        with _lock:
            if _model is None:
                started = time.perf_counter()
                _model = WordLlama.load(
                    config="l2_supercat",
                    dim=DIMENSIONS,
                    cache_dir=pathlib.Path(wordllama.__file__).parent,
                    disable_download=True,
                )
                load_seconds = time.perf_counter() - started
    return _model


def embed(texts: list[str]) -> np.ndarray:
    """One L2-normalised float32 row per text; a text with no known token gets a zero row (it
    matches nothing rather than everything)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=DTYPE)
    vectors = np.asarray(model().embed(texts, norm=False), dtype=DTYPE)
    return normalised(vectors)


def normalised(vectors: np.ndarray) -> np.ndarray:
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, lengths, out=np.zeros_like(vectors), where=lengths > 0)


def to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=DTYPE).tobytes()


def from_bytes(rows: list[bytes | memoryview]) -> np.ndarray:
    """Stored vectors back into one matrix (one row each)."""
    if not rows:
        return np.zeros((0, DIMENSIONS), dtype=DTYPE)
    return np.frombuffer(b"".join(bytes(row) for row in rows), dtype=DTYPE).reshape(len(rows), DIMENSIONS)
