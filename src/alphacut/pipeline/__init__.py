"""The remove pipeline: :class:`RemoveOptions` (what to make of an image, validated once) and
:class:`Remover` (predict -> refine -> compose for every frame of a decoded image)."""
from alphacut.pipeline.options import RemoveOptions
from alphacut.pipeline.remover import Matte, Remover

__all__ = ["Matte", "RemoveOptions", "Remover"]
