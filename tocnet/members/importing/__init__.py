"""Member and representative import: read, check and normalise spreadsheets, then commit.

Pure modules (safety, readers, headers, normalize, parse) know nothing of the database;
services.py turns a parse result into rows in one transaction.
"""
