"""``python -m release`` (in the checkout) and ``python -m verl_srpo.release``: ``verl_srpo.release.cli``.

The code is imported under its one name, ``verl_srpo.release``: this file only hands over.
"""

import sys

from verl_srpo.release.cli import main

if __name__ == "__main__":
    sys.exit(main())
