"""Sphinx extension for the book's API page (book/api.md): keep plain-prose docstrings clean under -W -n.

The package's docstrings are prose with a little maths in them, written for ``help()`` as much as for
Sphinx. Two things in such prose upset reStructuredText or napoleon:

* ``|x|`` (absolute values, set sizes) reads as a reST substitution reference, an error. Bars outside
  inline literals are escaped.
* napoleon reads the first line of a constant's ``#:`` comment as ``type: description``, so
  "Colours used consistently: ..." became a type to cross-reference. For module constants and
  attributes, that split is undone.

Loaded through ``sphinx: local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import re

_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")


def _escape_bars(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith(("|", "+-", "+=")):  # a reST line block or table: leave it alone
        return line
    parts = _LITERAL.split(line)
    return "".join(p if i % 2 else re.sub(r"(?<!\\)\|", r"\\|", p) for i, p in enumerate(parts))


def _before_napoleon(app, what, name, obj, options, lines):
    lines[:] = [_escape_bars(line) for line in lines]


def _after_napoleon(app, what, name, obj, options, lines):
    if what not in ("data", "attribute"):
        return
    # napoleon may split more than once ("a: b: c" -> description "c", types "a" then "b")
    heads = [line[len(":type: ") :] for line in lines if line.startswith(":type: ")]
    if not heads:
        return
    kept = [line for line in lines if not line.startswith(":type: ")]
    while kept and not kept[-1].strip():
        kept.pop()
    prefix = ": ".join(heads)
    for j, text in enumerate(kept):
        if text.strip():
            kept[j] = f"{prefix}: {text.lstrip()}"
            break
    else:
        kept.insert(0, prefix)
    lines[:] = kept


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.connect("autodoc-process-docstring", _before_napoleon, priority=400)  # napoleon runs at 500
    app.connect("autodoc-process-docstring", _after_napoleon, priority=600)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
