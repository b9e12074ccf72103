"""`python -m advisor`: the same command line as the installed `advisor` script."""

from .start import main

main()
