"""The public operations (search, contribution, answer, context, speakers, stats): each takes
a SearchIndex and a request model and returns a response model. HTTP routes, CLI commands and
MCP tools all call these, so the three cannot drift apart."""
