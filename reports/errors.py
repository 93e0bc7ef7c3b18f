"""What can go wrong while drawing a paper, as messages a user can act on."""


class ReportError(Exception):
    """A paper could not be drawn; the message says why and what to do."""
