"""Builds debate-search indexes: parse sources into Contributions, chunk, embed, store."""
