"""Writes of the LINE app: webhook events, groups, member linking, LINE Login."""
