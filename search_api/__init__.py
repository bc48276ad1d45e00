"""Answers questions from a built index. Layers, each importing only those below it
(docs/architecture.md; `make lint` checks it):

    interfaces/   HTTP API and page, CLI, MCP: thin, they call operations
    operations/   the public operations, their request and response models, the tool list
    answering/    quoted answers, context packing, question/answer exchanges, citations
    evaluation/   batch retrieval evaluation: query sets, runs, metrics, comparisons
    engine/       retrieval over one index: dense, keyword, fused, filtered, snippets
"""
