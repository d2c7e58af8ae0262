"""Adapt the model to a collection: build a training set, augment, fine-tune, export; and train
the hole filler that ``alphacut erase --fill onnx:FILE`` runs.

``dataset``, ``matching``, ``backgrounds`` and ``augment`` need no PyTorch; ``train``, ``data``,
``losses``, ``export``, ``onnx_export``, ``filler_train`` and ``networks`` need PyTorch
(``pip install 'alphacut[train]'``).
"""
