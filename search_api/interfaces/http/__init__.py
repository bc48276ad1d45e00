"""The HTTP API (FastAPI) and the search page it serves."""
