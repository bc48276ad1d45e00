"""Answers built from retrieved passages: verbatim quotes by speaker, context blocks in a token
budget."""
