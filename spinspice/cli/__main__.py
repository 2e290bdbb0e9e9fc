"""``python -m spinspice.cli``: the console script."""

from spinspice.cli import main

if __name__ == "__main__":
    main()
