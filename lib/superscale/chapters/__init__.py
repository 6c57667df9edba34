"""The code behind each chapter of the book: one module per chapter (load → compute → figures → claims)."""
