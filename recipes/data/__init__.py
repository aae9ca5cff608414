"""SRPO's training data: ``verl-srpo prepare`` (``python -m recipes.data.prepare`` in the checkout); README.md."""
