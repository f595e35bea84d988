"""Models from the course: the hand-written CNN, regression models, the language model."""

# --- convnet.py, regression.py, three_layer.py ---

# --- language_model.py ---
