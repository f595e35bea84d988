"""Models from the course: the perceptron, the hand-written CNN, regression, the language model."""

from kerastoolkit.models.bptt import clip_by_global_norm, truncated_bptt_batches
from kerastoolkit.models.convnet import ConvolutionNetwork
from kerastoolkit.models.language_model import LanguageModel
from kerastoolkit.models.perceptron import Perceptron
from kerastoolkit.models.regression import LinearRegression, LogisticRegression
from kerastoolkit.models.text import Perplexity, Vocabulary, cosine_similarity, tokenize
from kerastoolkit.models.three_layer import three_layer_network

__all__ = [
    "Perceptron",
    "ConvolutionNetwork",
    "LinearRegression",
    "LogisticRegression",
    "three_layer_network",
    "LanguageModel",
    "Perplexity",
    "Vocabulary",
    "tokenize",
    "truncated_bptt_batches",
    "clip_by_global_norm",
    "cosine_similarity",
]
