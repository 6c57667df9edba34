"""One module per chapter of the book: each owns its chapter's load -> compute -> figures -> claims.

A reader looking for the code behind a figure or table of chapter N opens ``chN_<topic>.py``; its module
docstring lists the chapter's figures and tables and the function that makes each.
"""
