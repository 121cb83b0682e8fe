"""Reference solutions: the single source of every exercise's signature, docstring and behaviour."""
