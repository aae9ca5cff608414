"""The launch recipes (``run_*.sh``) and their memory and disk estimates (``python -m recipes.srpo.memory``)."""
