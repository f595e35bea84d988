"""Text for language models: a tokenizer, a vocabulary, cosine similarity and perplexity."""

import re

import keras
import numpy as np
from keras import ops

from kerastoolkit.losses import sparse_categorical_crossentropy

__all__ = ["Perplexity", "Vocabulary", "cosine_similarity", "tokenize"]

# Words (letters, digits, apostrophes, hyphens) or single punctuation marks.
_TOKEN = re.compile(r"[\w'-]+|[^\w\s]")


@keras.saving.register_keras_serializable(package="kerastoolkit", name="tokenize")
def tokenize(text):
    r"""Split text into lower-case words and punctuation marks.

    Args:
        text: a string.

    Returns:
        A list of tokens.

    Examples:
        >>> from kerastoolkit.models import tokenize
        >>> tokenize("You say goodbye and I say hello.")
        ['you', 'say', 'goodbye', 'and', 'i', 'say', 'hello', '.']
    """
    return _TOKEN.findall(text.lower())


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Vocabulary:
    r"""The table between words and integer ids, in order of first appearance.

    Args:
        words: the distinct words, the word of id $k$ at position $k$.

    Examples:
        >>> from kerastoolkit.models import Vocabulary
        >>> vocab = Vocabulary.from_text("you say goodbye and i say hello.")
        >>> vocab.encode("you say goodbye and i say hello.").tolist()
        [0, 1, 2, 3, 4, 1, 5, 6]
        >>> vocab.decode([4, 1, 5])
        ['i', 'say', 'hello']
    """

    def __init__(self, words):
        self.words = list(words)
        self.ids = {w: k for k, w in enumerate(self.words)}
        if len(self.ids) != len(self.words):
            raise ValueError(f"`words` must be distinct. Received: words={self.words!r}")

    @classmethod
    def from_text(cls, text):
        """Build the vocabulary of `tokenize(text)`."""
        return cls(dict.fromkeys(tokenize(text)))

    def __len__(self):
        return len(self.words)

    def encode(self, text):
        """Ids of a string (tokenized) or of a list of words, as an int32 array."""
        tokens = tokenize(text) if isinstance(text, str) else list(text)
        unknown = [w for w in tokens if w not in self.ids]
        if unknown:
            raise ValueError(f"Words not in the vocabulary. Received: {unknown!r}")
        return np.array([self.ids[w] for w in tokens], dtype="int32")

    def decode(self, ids):
        """Words of a sequence of ids."""
        return [self.words[int(k)] for k in ids]

    def get_config(self):
        return {"words": self.words}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerastoolkit", name="cosine_similarity")
def cosine_similarity(x, y, epsilon=1e-8):
    r"""Cosine of the angle between vectors: 1 for the same direction, 0 for orthogonal.

    $$\text{similarity}(x, y) = \frac{x \cdot y}{\|x\|\,\|y\| + \epsilon}$$

    over the last axis (batched), where $\epsilon$ = `epsilon` keeps a zero
    vector from dividing by zero. Unlike `keras.losses.cosine_similarity`
    (a loss) it is not negated.

    Args:
        x: an array of vectors along the last axis.
        y: an array broadcastable to `x`.
        epsilon: $\epsilon$. Defaults to `1e-8`.

    Examples:
        >>> import keras, numpy as np
        >>> from kerastoolkit.models import cosine_similarity
        >>> s = cosine_similarity(np.array([1.0, 1.0]), np.array([[2.0, 2.0], [1.0, -1.0]]))
        >>> np.round(keras.ops.convert_to_numpy(s), 4)
        array([1., 0.])
    """
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    norms = ops.sqrt(ops.sum(x * x, axis=-1)) * ops.sqrt(ops.sum(y * y, axis=-1))
    return ops.sum(x * y, axis=-1) / (norms + epsilon)


@keras.saving.register_keras_serializable(package="kerastoolkit")
class Perplexity(keras.metrics.Mean):
    r"""Perplexity of next-word predictions: the exponential of the mean cross-entropy.

    The average number of words the model hesitates between: 1 for a perfect
    model, the vocabulary size $V$ for uniform guessing. With $N$ predicted
    words $y_n$ and predicted probabilities $p$:

    $$\text{perplexity} = \exp\Big(-\frac{1}{N}\sum_n \log p(y_n)\Big)$$

    Args:
        from_logits: whether `y_pred` holds logits (else probabilities).
            Defaults to `True`.
        name: the metric's name. Defaults to `"perplexity"`.

    Examples:
        >>> import numpy as np
        >>> from kerastoolkit.models import Perplexity
        >>> m = Perplexity()
        >>> m.update_state(np.array([[0, 1]]), np.zeros((1, 2, 4), "float32"))
        >>> round(float(m.result()), 4)  # uniform over 4 words
        4.0
    """

    def __init__(self, from_logits=True, name="perplexity", **kwargs):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        ce = sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )
        super().update_state(ce, sample_weight=sample_weight)

    def result(self):
        return ops.exp(super().result())

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}
