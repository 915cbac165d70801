"""A name for JSON whose shape is someone else's: webhook events and API bodies from LINE, Flex
messages and request bodies to LINE, the fake servers' bodies, identity-token claims.

Our own data (rows, plans, previews, results, report figures, export records) has TypedDicts or
dataclasses where it is built; this alias is only for what LINE (or a stand-in for it) defines.
"""

from typing import Any, TypeAlias

JSONObject: TypeAlias = dict[str, Any]
