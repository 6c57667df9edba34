"""One module per chapter: load -> compute -> figures -> claims (see each module's docstring)."""
