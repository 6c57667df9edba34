"""superscale: the companion package of the book on superposition and neural scaling."""

__version__ = "0.1.0"
