"""Retrieval over one built index: SearchIndex ranks contributions for a query (dense,
keyword or fused), filtered, one result per contribution, with a snippet."""
