"""The recipes: training data (``data``: ``verl-srpo prepare``) and launch scripts with their estimates (``srpo``).

Shipped in the wheel as ``verl_srpo.recipes``, the one name its modules are imported by.
"""
