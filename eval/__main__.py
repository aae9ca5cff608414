"""``python -m eval`` (in the checkout) and ``python -m verl_srpo.eval``: the one CLI, ``verl_srpo.eval.cli``.

The code is imported under its one name, ``verl_srpo.eval``: this file only hands over.
"""

import sys

from verl_srpo.eval.cli import main

if __name__ == "__main__":  # spawned workers (vLLM, data parallel) re-import this module
    sys.exit(main())
