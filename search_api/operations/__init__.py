"""The public operations, one module per resource (search, contributions, speakers, answers,
context, service), each with its request and response models: an operation takes a
SearchIndex and a request model and returns a response model. HTTP routes, CLI commands and
MCP tools (tools.py) all call these, so the three cannot drift apart."""
