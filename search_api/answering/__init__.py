"""Answers built from retrieved passages: verbatim quotes by speaker, context blocks in a token
budget, the question/answer exchanges between contributions, and how a citation reads."""
