"""The `debate-search` command: thin, calls the operations; errors are one line and exit 1."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import ValidationError

from indexer.embedding import BACKENDS, DEVICES
from indexer.errors import DebateSearchError
from indexer.store.records import SearchFilters
from indexer.text.tokens import ENCODINGS
from search_api.descriptions import descriptions
from search_api.engine import browsing
from search_api.engine.checks import MAX_K
from search_api.engine.ranking import MODES
from search_api.evaluation.sets import NAMED_SETS
from search_api.operations import service
from search_api.operations.answers import AnswerRequest, answer
from search_api.operations.context import (
    DEFAULT_ENCODING,
    DEFAULT_MAX_TOKENS,
    ContextRequest,
    context,
)
from search_api.operations.search import SearchRequest, search, search_each
from search_api.settings import Settings

if TYPE_CHECKING:
    from indexer.pipeline.background import BackgroundBuild


class _Group(click.Group):
    """Turns library errors and invalid requests into one line on stderr and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except DebateSearchError as exc:
            raise click.ClickException(str(exc)) from exc
        except ValidationError as exc:  # a request model refused an option's value
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise click.ClickException(f"{where}: {first['msg']}") from exc


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj


def _open_index(ctx: click.Context):
    """The SearchIndex at --index (or the settings' index folder)."""
    from search_api.engine.search_index import SearchIndex

    settings = _settings(ctx)
    return SearchIndex(settings.index_dir, spec=settings.embedder_spec())


def _index_option(command):
    def remember(ctx: click.Context, _param, value: Path | None):
        if value:
            ctx.obj.index_dir = value
        return value

    return click.option(
        "--index", "index_dir", type=click.Path(path_type=Path), expose_value=False,
        callback=remember, help="Index folder [env DEBATE_SEARCH_INDEX_DIR; default: index in "
                                "the data folder, var/index in a checkout].",
    )(command)


@click.group(cls=_Group)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Semantic search over parliamentary debates, every passage attributed."""
    # The command owns its process: models load from local folders only, never a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    ctx.obj = Settings()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path),
              help="Index folder to build [default: --index, or the default index folder].")
@click.option("--model", "model_path", type=click.Path(path_type=Path),
              help="A local sentence-transformers model folder [default: packaged MiniLM].")
@click.option("--backend", type=click.Choice(BACKENDS),
              help="What runs the model: OpenVINO (CPU), torch, or auto, the faster one for "
                   "the device [env DEBATE_SEARCH_BACKEND; default auto].")
@click.option("--device", type=click.Choice(DEVICES),
              help="Embed on the CPU or a CUDA GPU [env DEBATE_SEARCH_DEVICE; default cpu].")
@click.option("--ray", "ray_address", metavar="ADDRESS",
              help="Parse, chunk and embed on a Ray cluster's workers (ADDRESS of its head, "
                   "or 'auto' to start one here); needs the [distributed] extra.")
@click.option("--context/--no-context", default=None,
              help="Embed chunks after their debate title and speaker [default: on].")
@click.option("--question-context", is_flag=True,
              help="Embed a reply after the question it answers too (measured in "
                   "docs/quality.md; off by default).")
@click.option("--opening-context", is_flag=True,
              help="Embed a speech after the opening sentence of its debate too (measured in "
                   "docs/quality.md; off by default).")
@click.option("--format", "plain_format", metavar="FORMAT",
              help="Source format of plain PATHS, as manifests name it, e.g. ca-hansard-xml, "
                   "or text for .txt files [default: twfy-xml, or beir-jsonl for a folder "
                   "with corpus.jsonl].")
@click.option("--force", is_flag=True, help="Rebuild even if the index is up to date.")
@click.option("--add", is_flag=True,
              help="Add (or replace) PATHS' files and keep the rest of the index, instead of "
                   "making the index hold PATHS only.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the build report as JSON (and no progress bars).")
@click.pass_context
def index(ctx, paths, out, model_path, backend, device, ray_address, context, question_context,
          opening_context, plain_format, force, add, quiet, as_json):
    """Build or update an index from corpus manifests (*.toml) or source files/folders.

    With no PATHS, indexes the default corpus (DEBATE_SEARCH_CORPUS; in a checkout,
    corpora/uk-twfy-parlparse-2009-10.toml). Only files new or changed since the last build
    are parsed and embedded; files no longer given are removed (kept, with --add). No text
    embedded before on this machine (the vector cache under DEBATE_SEARCH_CACHE_DIR) is
    embedded again.
    """
    from indexer.pipeline.build import build_index
    from indexer.sources import resolve_inputs
    from indexer.text.chunking import ChunkingParams

    settings = _settings(ctx)
    settings.backend, settings.device = backend or settings.backend, device or settings.device
    progress = not (quiet or as_json)
    if not paths and settings.corpus is None:  # installed, not run from a checkout
        raise click.ClickException(
            "no default corpus outside a checkout: give a corpus manifest (*.toml) or source "
            "files or folders to index (or set DEBATE_SEARCH_CORPUS)")
    inputs = resolve_inputs(paths or [settings.corpus], settings.cache_dir, progress=progress,
                            plain_format=plain_format)
    spec = settings.embedder_spec(model_path)
    params = ChunkingParams(context=True if context is None else context,
                            question_context=question_context, opening_context=opening_context)
    with contextlib.ExitStack() as stack:
        workers = None
        if ray_address:
            from indexer.pipeline.distributed import RayWorkers

            workers = stack.enter_context(RayWorkers(ray_address, spec, params))
        report = build_index(inputs, out or settings.index_dir, spec.open(), params,
                             force=force, add=add, progress=progress,
                             cache_dir=settings.cache_dir, workers=workers)
    click.echo(json.dumps(report.as_json(), indent=2) if as_json else report.summary())


@main.command(name="sync")
@_index_option
@click.argument("url")
@click.option("--into", "into", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder to keep the files in, inside a TheyWorkForYou tree (a members/ "
                   "folder at or above it), e.g. twfy/debates.")
@click.option("--from", "since", type=click.DateTime(["%Y-%m-%d"]),
              help="Only days from this date on (YYYY-MM-DD) [default: every day listed].")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--json", "as_json", is_flag=True,
              help="Print the sync's report as JSON (and no progress bars).")
@click.pass_context
def sync_command(ctx, url, into, since, quiet, as_json):
    """Fetch a TheyWorkForYou scrape folder's new and re-scraped days into a folder, then
    update the index with them (as index --add does).

    URL is the folder's listing, e.g.
    https://www.theyworkforyou.com/pwdata/scrapedxml/debates/. A later version of a day
    (...26b.xml) replaces the earlier (...26a.xml) in the folder and the index. A download cut
    off, or a file that does not parse, is refused and replaces nothing; the rest is synced,
    and the exit status is 1.
    """
    from indexer.sync import sync

    settings = _settings(ctx)
    progress = not (quiet or as_json)
    report = sync(url, into, settings.index_dir, settings.embedder_spec().open(),
                  cache_dir=settings.cache_dir, since=since.date().isoformat() if since else None,
                  progress=progress)
    click.echo(json.dumps(report.as_json(), indent=2) if as_json else report.summary())
    for refusal in report.refused:
        click.echo(f"refused {refusal}", err=True)
    if report.refused:
        ctx.exit(1)


def _filter_options(command):
    """SearchFilters' fields (the filters of /search), as options collected in **filters."""
    for name, help_text in reversed(descriptions(SearchFilters).items()):
        command = click.option(_OPTION_NAMES.get(name, f"--{name.replace('_', '-')}"), name,
                               help=help_text)(command)
    return command


# Options named more briefly than the filters they set.
_OPTION_NAMES = {"date_from": "--from", "date_to": "--to"}


def _batch_options(command):
    """search's batch mode: `--queries FILE` searches each of its queries, the way Pyserini's
    `search --topics --output` does, and writes a TREC run or JSON lines."""

    @functools.wraps(command)
    def search_or_batch(queries_path, output_format, out, tag, config_spec, **options):
        if queries_path is None:
            given = [flag for flag, value in (("--format", output_format), ("--out", out),
                                              ("--tag", tag), ("--config", config_spec)) if value]
            if given:
                raise click.UsageError(f"{', '.join(given)}: only with --queries FILE")
            if options["query"] is None:
                raise click.UsageError("give a QUERY, or --queries FILE")
            return command(**options)
        if options["query"] is not None:
            raise click.UsageError("give a QUERY or --queries FILE, not both")
        return _search_queries(click.get_current_context(), queries_path, output_format, out,
                               tag, config_spec, **options)

    for option in reversed((
        click.option("--queries", "queries_path", type=click.Path(path_type=Path, exists=True,
                                                                  dir_okay=False),
                     help="Search each query of this file instead of QUERY: id<TAB>text lines, "
                          "BEIR JSONL ({\"_id\", \"text\"}) or TREC topics (<top>, the title)."),
        click.option("--format", "output_format", type=click.Choice(["trec", "jsonl"]),
                     help="With --queries: a TREC run (qid Q0 docid rank score tag; the "
                          "default) or a JSON line per query ({\"query_id\", ...the API's "
                          "/search response}; also --json)."),
        click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
                     help="With --queries: write here [default: stdout]."),
        click.option("--tag", help="With --queries: the TREC run's tag [default: the "
                                   "--config name, else the mode]."),
        click.option("--config", "config_spec",
                     help="With --queries: a named pipeline, as eval --config takes it "
                          "(dense, keyword, hybrid, rrf, or name:key=value,...)."),
    )):
        search_or_batch = option(search_or_batch)
    return search_or_batch


@main.command(name="search")
@_index_option
@click.argument("query", required=False)
@click.option("-k", "k", default=10, show_default=True, help=f"Number of results (1-{MAX_K}).")
@click.option("--offset", default=0, show_default=True, help="Results to skip.")
@_filter_options
@click.option("--mode", type=click.Choice(MODES),
              help="Ranking: words and meaning (hybrid, the default), meaning, or words.")
@click.option("--literal", is_flag=True,
              help="Do not read members, parties or 'the Government' in QUERY as filters.")
@click.option("--sort", type=click.Choice(browsing.SORTS),
              help=f"Best first (the default), or the matches (the contributions scoring at least "
                   f"{browsing.MATCH_SHARE:g} of the best) by sitting date, newest or oldest "
                   "first.")
@click.option("--group", type=click.Choice(browsing.GROUPS),
              help="The matches by debate; -k and --offset then count debates.")
@click.option("--per-group", default=browsing.PER_GROUP, show_default=True,
              help=f"Contributions shown per debate (1-{browsing.MAX_PER_GROUP}).")
@click.option("--facets", metavar="NAMES",
              help=f"Count the matches by these fields, comma-separated: "
                   f"{', '.join(browsing.FACETS)}.")
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON response.")
@_batch_options
@click.pass_context
def search_command(ctx, query, k, offset, mode, literal, sort, group, per_group, facets,
                   as_json, **filters):
    """Search the index for QUERY, or for each query of a file (--queries)."""
    request = SearchRequest(q=query, k=k, offset=offset, mode=mode, understand=not literal,
                            sort=sort, group=group, per_group=per_group,
                            facets=[facets] if facets else None, **filters)
    response = search(_open_index(ctx), request)
    if as_json:
        click.echo(response.model_dump_json(indent=2))
        return
    if not (response.results or response.groups):
        click.echo("No results.")
    for rank, debate_group in enumerate(response.groups or (), start=offset + 1):
        debate = debate_group.debate
        click.secho(f"{rank}. {debate.title} ({debate.house}, {debate.date}): "
                    f"{debate_group.count} matching", bold=True)
        _print_results(debate_group.results, indent="   ")
    _print_results(response.results, start=offset + 1)
    if response.facets:
        click.echo(f"Counts of the {response.matches} contributions that match closely:")
    for name, counts in (response.facets or {}).items():
        unit = f" by {response.facet_date_unit}" if name == "date" else ""
        click.echo(textwrap.fill(f"{name}{unit}: " + ", ".join(
            f"{getattr(c, 'name', c.value) or '(none)'} {c.count}" for c in counts), width=88,
            subsequent_indent="   "))


def _search_queries(ctx: click.Context, queries_path: Path, output_format: str | None,
                    out: Path | None, tag: str | None, config_spec: str | None, *, query,
                    k, offset, mode, literal, sort, group, per_group, facets, as_json,
                    **filters) -> None:
    """`search --queries`: every query searched as `search` searches one, in batches."""
    from tqdm import tqdm

    from search_api.evaluation import runs, sets

    output_format = output_format or ("jsonl" if as_json else "trec")
    if output_format == "trec" and (sort or group or facets):
        raise click.UsageError("a TREC run lists contributions best first: --sort, --group "
                               "and --facets go with --format jsonl")
    queries = sets.load_queries(queries_path)
    name, config = runs.parse_config(config_spec) if config_spec else (None, None)
    index = _open_index(ctx)
    tag = tag or name or index.searching(config, mode).mode
    requests = [SearchRequest(q=text, k=k, offset=offset, mode=mode, understand=not literal,
                              sort=sort, group=group, per_group=per_group,
                              facets=[facets] if facets else None, **filters)
                for text in queries.values()]
    ids = list(queries)
    responses = search_each(index, requests, lambda i: f"query {ids[i]!r}", config,
                            workers=_settings(ctx).search_workers)
    with (open(out, "w", encoding="utf-8") if out else contextlib.nullcontext(sys.stdout)
          ) as handle:
        for query_id, response in tqdm(zip(ids, responses, strict=True), total=len(ids),
                                       unit="query", desc="Searching", disable=None):
            if output_format == "jsonl":
                handle.write(json.dumps({"query_id": query_id,
                                         **response.model_dump(mode="json")}) + "\n")
            else:
                handle.writelines(runs.trec_lines(
                    query_id, [(r.id, r.score) for r in response.results], tag, offset + 1))
    if out:
        click.echo(f"{len(ids)} queries searched; {output_format} written to {out}", err=True)


def _print_results(results, start: int = 1, indent: str = "") -> None:
    for rank, r in enumerate(results, start=start):
        click.secho(f"{indent}{rank}. {r.citation}", bold=not indent)
        click.echo(textwrap.fill(f"{r.snippet.sentence}  [score {r.score:.3f}]", width=88,
                                 initial_indent=f"{indent}   ", subsequent_indent=f"{indent}   "))


@main.command(name="eval")
@_index_option
@click.option("--set", "set_name", type=click.Choice(list(NAMED_SETS)),
              help="A named set made from the index itself (docs/quality.md).")
@click.option("--beir", "beir_dir", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="A BEIR folder (queries.jsonl, qrels/test.tsv); --index holds its corpus.")
@click.option("--queries", "queries_path", type=click.Path(path_type=Path, exists=True),
              help="Queries (jsonl or TSV) against the debate index; with --qrels.")
@click.option("--qrels", "qrels_path", type=click.Path(path_type=Path, exists=True),
              help="Judgements naming contribution ids (BEIR TSV or TREC qrels).")
@click.option("--config", "configs", multiple=True,
              help="A named pipeline: a preset (dense, keyword, hybrid, rrf) or "
                   "name:key=value,... Repeat to compare; the first is the baseline. "
                   "[default: dense, keyword, rrf, hybrid]")
@click.option("--split", type=click.Choice(["all", "dev", "test"]), default="all",
              show_default=True, help="Evaluate on the dev part (a record-made set's first sitting "
                   "day, else a deterministic third) or the rest (test).")
@click.option("--keep-identical-ids", is_flag=True,
              help="Count a retrieved document whose id is the query's own (BEIR's protocol, "
                   "the default, drops it).")
@click.option("--run", "run_paths", multiple=True,
              type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Score this TREC run (ours or another system's) against --qrels instead of "
                   "searching; repeat to compare, the first is the baseline.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Write TREC runs, per-query and metrics JSON here.")
@click.pass_context
def evaluate(ctx, set_name, beir_dir, queries_path, qrels_path, configs, split,
             keep_identical_ids, run_paths, out):
    """Measure retrieval: nDCG@10, MRR@10, Recall@10/100 and MAP, side by side."""
    from search_api.evaluation import runs, sets

    if run_paths:
        if not qrels_path or set_name or beir_dir or queries_path or configs:
            raise click.UsageError("--run takes --qrels, and no --set, --beir, --queries or "
                                   "--config: the run has been searched already")
        evalset = sets.EvalSet(qrels_path.stem, {}, sets.load_qrels(qrels_path))
        evalset.ignore_identical_ids = not keep_identical_ids
        if split != "all":
            evalset = evalset.split(split)
        named: dict[str, runs.Run] = {}
        for path in run_paths:
            name = path.stem if path.stem not in named else f"{path.stem}#{len(named) + 1}"
            named[name] = runs.load_run(path)
        _report(evalset, runs.compare_runs(evalset, named), out)
        return
    index = _open_index(ctx)
    if set_name:
        evalset = sets.NAMED_SETS[set_name](index)
    elif beir_dir:
        evalset = sets.beir_set(beir_dir)
    elif queries_path and qrels_path:
        evalset = sets.query_set(queries_path, qrels_path)
    else:
        raise click.UsageError("give --set, --beir, or --queries with --qrels")
    evalset.ignore_identical_ids = not keep_identical_ids
    if split != "all":
        evalset = evalset.split(split)
    pipelines = dict(runs.parse_config(spec)
                     for spec in (configs or ("dense", "keyword", "rrf", "hybrid")))
    _report(evalset, runs.compare(index, evalset, pipelines), out)


def _report(evalset, results, out: Path | None) -> None:
    """eval's table, and its files in `out`."""
    from search_api.evaluation import runs

    click.echo(runs.format_table(evalset, results))
    if out:
        runs.write_outputs(out, evalset, results)
        click.echo(f"Runs and metrics written to {out}")


@main.command()
@_index_option
@click.option("--out", type=click.Path(path_type=Path),
              help="Folder to write the tuned model to (replaced whole) [default: models/tuned "
                   "in the data folder: var/ in a checkout, else the user's data folder, e.g. "
                   "~/.local/share/debate-search; env DEBATE_SEARCH_DATA_DIR].")
@click.option("--day", "days", multiple=True, metavar="YYYY-MM-DD",
              help="Train on pairs from this sitting day; repeat for more. Leave out the days "
                   "you evaluate on. [default: every day of the index's record]")
@click.option("--epochs", type=click.IntRange(1), default=1, show_default=True)
@click.option("--batch-size", type=click.IntRange(2), default=32, show_default=True,
              help="Pairs a step; the others in a batch are each pair's negatives.")
@click.option("--max-steps", type=click.IntRange(1),
              help="Stop after this many steps [default: when the epochs are done].")
@click.pass_context
def tune(ctx, out, days, epochs, batch_size, max_steps):
    """Fine-tune the index's model on its own record; `index --model OUT` uses the result.

    Pairs: written and oral questions with their answers, debate titles with their opening
    speeches, each with a BM25 hard negative (docs/quality.md)."""
    from search_api.evaluation import tuning

    index = _open_index(ctx)
    params = tuning.TuningParams(epochs=epochs, batch_size=batch_size, max_steps=max_steps)
    out = out or _settings(ctx).tuned_model_dir
    report = tuning.tune(index, out, days or tuning.record_days(index), params)
    click.echo(report.summary())


@main.command()
@_index_option
@click.argument("question")
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON response.")
@click.pass_context
def ask(ctx, question, as_json, **filters):
    """Answer QUESTION with verbatim, cited sentences from the record, by speaker."""
    response = answer(_open_index(ctx), AnswerRequest(q=question, **filters))
    click.echo(response.model_dump_json(indent=2) if as_json else response.text)


@main.command(name="context")
@_index_option
@click.argument("question")
@click.option("--max-tokens", default=DEFAULT_MAX_TOKENS, show_default=True,
              help="Token budget of the whole block, citations included.")
@click.option("--encoding", default=DEFAULT_ENCODING, show_default=True,
              help=f"tiktoken encoding of the budget: {', '.join(ENCODINGS)}.")
@_filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON response.")
@click.pass_context
def context_command(ctx, question, max_tokens, encoding, as_json, **filters):
    """Print the best passages for QUESTION, cited, within a token budget (for an LLM)."""
    request = ContextRequest(q=question, max_tokens=max_tokens, encoding=encoding, **filters)
    response = context(_open_index(ctx), request)
    click.echo(response.model_dump_json(indent=2) if as_json else response.context, nl=False)


@main.command()
@_index_option
@click.pass_context
def mcp(ctx):
    """Serve the chatbot tools over MCP on stdin/stdout (for MCP clients such as Claude)."""
    from search_api.engine.live_index import LiveIndex
    from search_api.interfaces.mcp import build_mcp_server

    settings = _settings(ctx)  # serves each build as it is published, as `serve` does
    live = LiveIndex(settings.index_dir, spec=settings.embedder_spec())
    live.get()  # no index: one line on stderr, exit 1
    build_mcp_server(live.get).run("stdio")


@main.command()
@_index_option
@click.pass_context
def stats(ctx):
    """Print what the index holds, as JSON."""
    click.echo(json.dumps(service.stats(_open_index(ctx)), indent=2))


@main.command()
@_index_option
@click.option("--json", "as_json", is_flag=True,
              help="Print what the check found as JSON (the exit status is the same).")
@click.pass_context
def check(ctx, as_json):
    """Verify the index: every file against its manifest's checksums, and that its counts
    (contributions, chunks, vectors, keyword documents) agree. Exit 1 if it is damaged."""
    from indexer.store.integrity import check_build

    result = check_build(_settings(ctx).index_dir)
    if as_json:
        click.echo(json.dumps(result.as_json(), indent=2))
        ctx.exit(0 if result.proven else 1)
    result.raise_if_damaged(require_checksums=True)  # one line per problem, exit 1
    click.echo(result.summary())


@main.command()
@_index_option
@click.option("--host", help="Interface to listen on [default 127.0.0.1].")
@click.option("--port", type=int, help="Port [default 8000].")
@click.option("--max-in-flight", type=click.IntRange(min=1),
              help="Searches taken at once (one per core runs, the rest wait); more get "
                   "503 + Retry-After [default 12; env DEBATE_SEARCH_MAX_IN_FLIGHT].")
@click.option("--build", is_flag=True,
              help="Build or update the index of the default corpus (DEBATE_SEARCH_CORPUS) "
                   "while serving, if it is missing or stale, in stages: the smallest files are "
                   "searched first, the rest as they are indexed (what `make serve` runs).")
@click.pass_context
def serve(ctx, host, port, max_in_flight, build):
    """Serve the HTTP API (and its docs at /docs) over the index."""
    settings = _settings(ctx)
    _refuse_a_damaged_index(settings.index_dir)
    background = _background_build(settings) if build else None

    import uvicorn

    from search_api.interfaces.http.app import create_server_app
    from search_api.interfaces.http.shedding import QuietRefusals

    settings.host = host or settings.host
    settings.port = port or settings.port
    settings.max_in_flight = max_in_flight or settings.max_in_flight
    _limit_torch_threads(settings.torch_threads)
    logging.getLogger("uvicorn.access").addFilter(QuietRefusals())
    # uvicorn[standard]'s parser and loop, named so that a missing one fails here rather
    # than falling back to the pure-Python ones (h11, asyncio), on which a refusal cost the
    # server more (docs/benchmarks.md, overload).
    with background or contextlib.nullcontext():  # the build ends when the server does
        uvicorn.run(create_server_app(settings, background), host=settings.host,
                    port=settings.port, http="httptools", loop="uvloop")


def _background_build(settings: Settings) -> BackgroundBuild:
    """`serve --build`'s build of the default corpus into the index served, not started."""
    from indexer.pipeline.background import BackgroundBuild

    if settings.corpus is None:  # installed, not run from a checkout
        raise click.ClickException("no default corpus outside a checkout: set "
                                   "DEBATE_SEARCH_CORPUS to the corpus `serve --build` indexes")
    return BackgroundBuild([settings.corpus], settings.index_dir, settings.embedder_spec(),
                           settings.cache_dir)


def _limit_torch_threads(threads: int) -> None:
    """torch's threads are the process's: set here, where the server owns its process (a
    query each on one thread serves concurrent requests best; settings.py says why)."""
    import torch

    torch.set_num_threads(threads)


def _refuse_a_damaged_index(index_dir: Path) -> None:
    """`serve` does not start on a damaged build: one line per problem, exit 1. A missing or
    unreadable index is served as every route's 503 until a build is published."""
    from indexer.errors import IndexDamaged, IndexFormatError, IndexNotFound
    from indexer.store.integrity import verify_build

    try:
        verify_build(index_dir)
    except IndexDamaged:
        raise
    except (IndexNotFound, IndexFormatError):
        return


if __name__ == "__main__":
    sys.exit(main())
