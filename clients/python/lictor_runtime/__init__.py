"""Python client of the Lictor Runtime (``lictor runtime serve``): checks, sessions and floating
seats over the runtime's Unix socket or loopback HTTP, every grant verified with the vendor public
key the application embeds; and license files opened offline (:mod:`lictor_runtime.license`)."""

from .client import Client, Event, EventStream, Grant, Seat, Session
from .errors import LictorError
from .license import VendorKey, open_license

__all__ = ["Client", "Grant", "Session", "Seat", "Event", "EventStream", "LictorError", "VendorKey", "open_license"]
__version__ = "0.1.0"
