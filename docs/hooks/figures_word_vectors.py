"""Figures of the word-vectors guide: cosine similarities of a trained LanguageModel's rows."""

import keras
import matplotlib.figure
import numpy as np
from figure_library import figure

from kerastoolkit import plotting
from kerastoolkit.models import LanguageModel, Vocabulary, cosine_similarity, truncated_bptt_batches

# A toy corpus with interchangeable words in each slot: "the <animal> <verb> <food> ."
SENTENCES, SEED = 200, 0
ANIMALS, VERBS, FOODS = ("cat", "dog"), ("eats", "likes"), ("fish", "meat")
BATCH, TIME, EPOCHS, LEARNING_RATE = 4, 10, 10, 0.02


def corpus():
    rng = np.random.default_rng(SEED)
    return " ".join(
        f"the {rng.choice(ANIMALS)} {rng.choice(VERBS)} {rng.choice(FOODS)} ."
        for _ in range(SENTENCES)
    )


def trained_model():
    text = corpus()
    vocab = Vocabulary.from_text(text)
    keras.utils.set_random_seed(SEED)
    x, y = truncated_bptt_batches(vocab.encode(text), batch_size=BATCH, time_size=TIME)
    lm = LanguageModel(vocab, embedding_dim=8, units=16, num_layers=1, dropout=0.0)
    lm.compile(keras.optimizers.Adam(LEARNING_RATE))
    lm.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    return lm


@figure("word-vectors-similarity")
def similarity_matrix():
    lm = trained_model()
    words = sorted(lm.vocabulary.words, key=lambda w: (w not in ANIMALS, w not in VERBS,
                                                        w not in FOODS, w))
    ids = lm.vocabulary.encode(words)
    e = lm.word_vectors[ids]
    sims = keras.ops.convert_to_numpy(cosine_similarity(e[:, None, :], e[None, :, :]))
    fig = matplotlib.figure.Figure(figsize=(5.5, 4.5), dpi=plotting.FIGURE_DPI)
    ax = fig.subplots()
    image = ax.imshow(sims, cmap="coolwarm", vmin=-1, vmax=1)
    fig.colorbar(image, ax=ax, label="cosine similarity")
    ax.set_xticks(range(len(words)), words, rotation=45)
    ax.set_yticks(range(len(words)), words)
    for i in range(len(words)):
        for j in range(len(words)):
            ax.text(j, i, f"{sims[i, j]:.2f}", ha="center", va="center", fontsize="x-small")
    ax.set_title(f"Embeddings after {EPOCHS} epochs on the toy corpus")
    fig.tight_layout()
    return fig
