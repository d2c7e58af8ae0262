"""Editing: pick an object (click, box or mask), fill holes, repaint backgrounds."""
