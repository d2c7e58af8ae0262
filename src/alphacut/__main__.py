"""``python -m alphacut``: the same as the ``alphacut`` command."""
from alphacut.cli.app import main

main()
