"""Where the remove pipeline runs: this process (:mod:`alphacut.batch`) or a Ray cluster."""
