"""Text analysis before anything is stored: chunks for the embedder, sentences, token counts,
and which replies answer which questions."""
