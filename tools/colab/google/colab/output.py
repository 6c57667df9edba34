"""Stand-in for ``google.colab.output``: the widget-manager switches are no-ops here."""


def enable_custom_widget_manager() -> None:
    """Colab needs this for third-party widgets; the stand-in's kernel has no front end to switch."""


def disable_custom_widget_manager() -> None:
    """See :func:`enable_custom_widget_manager`."""
