"""Builds debate-search indexes: parse sources into Contributions, chunk, embed, store.

    contribution.py, corpus.py, errors.py   the data model, corpus manifests, errors
    sources/     one module per source format -> Contributions
    text/        chunks, sentences, tokens, question/answer links
    embedding/   the Embedder protocol and its backends (torch, OpenVINO)
    pipeline/    the build: plan, parse, embed, write, publish
    store/       the only code that knows how an index sits on disk
"""
