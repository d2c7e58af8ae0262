"""Adapt the model to a collection: build a training set, augment, fine-tune, export.

``dataset`` and ``matching`` need only NumPy/Pillow; ``train``, ``data``, ``losses`` and
``export`` need PyTorch (``pip install 'alphacut[train]'``).
"""
