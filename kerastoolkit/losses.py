"""Loss functions (filled in by the activations and losses issue)."""
