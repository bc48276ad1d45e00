"""The thin layers people and programs use: the HTTP API with its page, the CLI, MCP."""
