"""One module per chapter: each owns its chapter's load -> compute -> figures -> claims (see the issue
"Chapters as code units"). A reader looking for the code behind Figure N.k opens ``chN_*.py``."""
