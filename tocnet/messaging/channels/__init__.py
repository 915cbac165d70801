"""Channels behind one interface: each turns a delivery into a provider call.

A channel raises :class:`ChannelError` (from ``tocnet.line.client``) with ``permanent`` set when
retrying cannot help; ``ambiguous`` marks a failure after which the provider may have sent the
message anyway (a read timeout): SMS and e-mail then end "unknown" instead of being resent.
"""

from tocnet.line.client import ChannelError, SendResult

__all__ = ["ChannelError", "SendResult"]
