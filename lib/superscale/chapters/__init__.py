"""One module per chapter of the book: each owns its chapter's load -> compute -> figures -> claims."""
