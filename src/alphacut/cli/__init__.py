"""The ``alphacut`` command line."""
