"""Retrieval over one built index: SearchIndex ranks contributions for a query (dense,
keyword or fused), filtered, one result per contribution, with a snippet; browsing.py sorts,
groups and counts a query's matches."""
