"""Activation functions (filled in by the activations issue)."""
