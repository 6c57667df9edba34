"""A stand-in for Google Colab's ``google.colab`` package, used only by ``make colab``.

It is copied into the stand-in virtual environment (``.venv-colab``) and imported when the kernel
starts, as Colab does, so that ``"google.colab" in sys.modules`` is true and every chapter's
set-up cell takes its Colab branch. It provides nothing else of Colab's API beyond ``output``.
"""

STAND_IN = True
