"""Models from the course: the hand-written CNN, regression models, the language model."""

# --- convnet.py, regression.py, three_layer.py ---
from kerastoolkit.models.convnet import ConvolutionNetwork as ConvolutionNetwork
from kerastoolkit.models.regression import LinearRegression as LinearRegression
from kerastoolkit.models.regression import LogisticRegression as LogisticRegression
from kerastoolkit.models.three_layer import three_layer_network as three_layer_network

# --- language_model.py ---
# isort: split
from kerastoolkit.models.language_model import LanguageModel as LanguageModel
from kerastoolkit.models.language_model import Perplexity as Perplexity
from kerastoolkit.models.language_model import Vocabulary as Vocabulary
from kerastoolkit.models.language_model import clip_by_global_norm as clip_by_global_norm
from kerastoolkit.models.language_model import cosine_similarity as cosine_similarity
from kerastoolkit.models.language_model import tokenize as tokenize
from kerastoolkit.models.language_model import truncated_bptt_batches as truncated_bptt_batches
