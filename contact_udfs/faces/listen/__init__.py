"""faces/listen: vendor webhooks (Dropcontact, FullContact) received into the store.

``contact-udfs listen`` and :func:`listen` serve a :class:`Listener`; see docs/webhooks.md.
"""

from .server import Listener, listen

__all__ = ["Listener", "listen"]
