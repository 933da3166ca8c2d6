"""Training side of the risk model: data generator, training, evaluation, card.

Not part of any deployed package (setuptools ships ``orderflow`` and
``functions`` only); ``make train`` or ``orderflow train`` runs it from a
checkout with the ``ml`` extra installed.
"""
