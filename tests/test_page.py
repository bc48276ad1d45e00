"""The search page at /, in a real browser (Debian's headless Chromium driven by Playwright)
against a real `debate-search serve` over the session's small index. Screenshots of the main
states go to test-artifacts/ at the project root."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
STEP_TIMEOUT_MS = 30_000
HOSTILE = """<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">"'&"""

# A real server and a browser: slow. Each test is bounded; the session's index build (a
# fixture) is not part of that bound. (The page's files without a browser: test_app.py.)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180, func_only=True)]


# Browser fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("DEBATE_SEARCH_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open_page(browser, base_url: str, width: int = 1100, height: int = 1000):
    context = browser.new_context(base_url=base_url, viewport={"width": width, "height": height},
                                  locale="en-GB")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    page.problems = []  # uncaught script errors and dialogs (alert() from injected markup)
    page.on("pageerror", lambda exc: page.problems.append(f"page error: {exc}"))
    page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"),
                                      dialog.dismiss()))
    return page


@pytest.fixture
def page(browser, server_url):
    page = _open_page(browser, server_url)
    yield page
    problems = page.problems
    page.context.close()
    assert not problems


# The page's Content-Security-Policy forbids eval, so waits use selectors and the URL (never
# wait_for_function, which evaluates a string in the page).


def settled(page) -> None:
    """Wait until the page has shown everything it asked the server for."""
    page.locator("body[data-loading]").wait_for(state="detached")


def wait_for_url_state(page, /, **expected: str | None) -> None:
    """Wait until the URL's query has these values (None: absent), e.g. after typing."""
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while any(url_state(page).get(k) != v for k, v in expected.items()):
        if time.monotonic() > deadline:
            raise AssertionError(f"URL {page.url} never had {expected}")
        page.wait_for_timeout(50)


def url_state(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def result_ids(page) -> list[str]:
    return page.locator("#results .card").evaluate_all("cards => cards.map(c => c.dataset.id)")


def shoot(page, name: str, **options) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), **options)
    return path


def search(page, query: str) -> None:
    page.goto("/")
    settled(page)
    page.locator("#q").press_sequentially(query, delay=15)  # no Enter: results come as you type
    wait_for_url_state(page, q=query)
    settled(page)


def api_json(server_url: str, path: str) -> dict:
    return httpx.get(f"{server_url}{path}", timeout=60).json()


# Searching ---------------------------------------------------------------------------------


def test_typing_a_query_shows_attributed_results(page, server_url):
    from playwright.sync_api import expect

    search(page, "police use of Tasers")
    expect(page.locator("#status")).to_contain_text("Results 1–10")
    expect(page.locator("#results-title")).to_have_text("Results for “police use of Tasers”")
    cards = page.locator("#results .card")
    expect(cards).to_have_count(10)
    first = cards.first
    api = api_json(server_url, "/search?q=police+use+of+Tasers&k=10")["results"][0]
    assert first.get_attribute("data-id") == api["id"]
    speaker = api["speaker"]
    expect(first.locator("h3")).to_have_text(speaker["name"])
    role = first.locator(".role")
    for part in (speaker["party"], speaker["constituency"]):
        expect(role).to_contain_text(part)
    expect(first.locator(".meta")).to_contain_text("House of Commons")
    expect(first.locator(".meta")).to_contain_text("26 October 2009")
    expect(first.locator(".debate")).to_have_text("HOME DEPARTMENT — Tasers")
    expect(first.locator(".snippet mark")).to_have_text(api["snippet"]["sentence"])
    expect(first.locator("a.official")).to_have_attribute("href", api["source_url"])
    names = cards.locator("h3").all_inner_texts()
    assert {"David Hanson", "Norman Baker"} <= set(names)

    # The answer panel quotes what /answer quotes; each marker leads to the quoted contribution.
    answered = api_json(server_url, "/answer?q=police+use+of+Tasers")
    assert answered["answerable"]
    position = answered["speakers"][0]
    quoted = position["contributions"][0]
    answer = page.locator("#answer")
    expect(answer).to_be_visible()
    expect(answer.locator(".answer-speaker h3").first).to_have_text(position["speaker"]["name"])
    quote_item = answer.locator(".quotes li").first
    expect(quote_item.locator("q")).to_have_text(quoted["quotes"][0]["text"])
    link = quote_item.locator("a.marker")
    expect(link).to_have_text(f"[{quoted['marker']}]")
    cited = quoted["citation"]
    target = link.get_attribute("href")
    if cited["contribution_id"] in result_ids(page):  # a result on the page: its card opens
        card = page.locator(f'#results .card[data-id="{cited["contribution_id"]}"]')
        assert target == f"#{card.get_attribute('id')}"
        expect(link).to_have_attribute("aria-label", re.compile(
            rf"^Go to the result: {re.escape(cited['speaker'])}, {re.escape(cited['house'])}, "))
        link.click()
        expect(card.locator(".expand")).to_have_attribute("aria-expanded", "true")
    else:  # elsewhere in the record: the link opens it
        assert parse_qs(urlsplit(target).query)["id"] == [cited["contribution_id"]]
    shoot(page, "01-results.png", full_page=True)


def test_speaker_filter_date_range_and_the_empty_state(page, server_url):
    from playwright.sync_api import expect

    search(page, "Tasers")
    speaker = page.locator("#speaker")
    speaker.press_sequentially("Hans", delay=30)  # suggestions come from /speakers
    expect(page.locator('#speaker-options option[value="David Hanson"]')).to_have_count(1)
    speaker.fill("David Hanson")
    speaker.press("Enter")
    wait_for_url_state(page, speaker="David Hanson")
    settled(page)
    expect(page.locator("#filter-count")).to_have_text("(1 active)")
    names = page.locator("#results .card h3").all_inner_texts()
    assert len(names) == 10 and set(names) == {"David Hanson"}
    expect(page.locator("#status")).to_contain_text("27 contributions that pass the filters")
    shoot(page, "02-speaker-filter.png", full_page=True)

    page.fill("#date_from", "2009-10-27")  # David Hanson made no statement on the 27th
    wait_for_url_state(page, date_from="2009-10-27")
    settled(page)
    expect(page.locator("#results .card")).to_have_count(0)
    empty = page.locator("#empty")
    expect(empty).to_contain_text("No contribution passes these filters.")
    remove_speaker = empty.get_by_role("link", name="remove the speaker filter (David Hanson)")
    expect(remove_speaker).to_be_visible()
    shoot(page, "03-empty-state.png", full_page=True)

    remove_speaker.click()
    wait_for_url_state(page, speaker=None)
    settled(page)
    expect(page.locator("#speaker")).to_have_value("")
    expect(page.locator("#date_from")).to_have_value("2009-10-27")
    page.fill("#date_to", "2009-10-27")
    wait_for_url_state(page, date_to="2009-10-27")
    settled(page)
    dates = page.locator("#results .card time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert dates and set(dates) == {"2009-10-27"}
    assert url_state(page) == {"q": "Tasers", "date_from": "2009-10-27", "date_to": "2009-10-27"}

    page.go_back()  # before date_to
    wait_for_url_state(page, date_to=None)
    settled(page)
    expect(page.locator("#date_to")).to_have_value("")
    page.go_back()  # before the speaker filter was removed
    settled(page)
    expect(page.locator("#speaker")).to_have_value("David Hanson")
    expect(page.locator("#empty")).to_be_visible()


def test_a_result_expands_in_place_with_context_and_citation(page, server_url):
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    search(page, "police use of Tasers")
    card = page.locator("#results .card").first
    card_id = card.get_attribute("data-id")
    record = api_json(server_url, f"/contributions/{card_id}")
    toggle = card.locator("button.expand")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    full = card.locator(".full")
    expect(full.locator(".full-text")).to_be_visible()
    expect(card.locator(".snippet")).to_be_hidden()
    text = full.locator(".full-text").inner_text()
    assert " ".join(text.split()) == " ".join(record["text"].split())
    expect(full.locator(".full-text mark")).to_have_count(1)

    neighbours = full.locator(".context .neighbour")  # the speeches before and after
    before, after = record["previous"], record["next"]
    assert before and after
    expect(neighbours).to_have_count(2)
    expect(neighbours.first).to_contain_text(f"Before: {before['speaker']['name']}")
    expect(neighbours.last).to_contain_text(f"After: {after['speaker']['name']}")

    citation = full.locator(".citation-text")  # exactly as the API writes it
    expect(citation).to_have_text(record["citation"])
    for part in (record["speaker"]["name"], record["house"], record["id"], record["source_url"]):
        assert part in record["citation"]
    full.get_by_role("button", name="Copy citation").click()
    expect(full.locator(".copy-status")).to_have_text("Citation copied.")
    assert page.evaluate("navigator.clipboard.readText()") == record["citation"]

    shoot(page, "04-expanded-result.png", full_page=True)
    shoot(page, "04-expanded-result-top.png", full_page=True,
          clip={"x": 0, "y": 0, "width": 1100, "height": 2000})
    card.screenshot(path=str(ARTIFACTS / "05-expanded-card.png"))

    toggle.press("Enter")  # the keyboard folds it again
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(full).to_be_hidden()


def test_a_question_links_to_its_answer_and_back(page, server_url):
    from playwright.sync_api import expect

    page.goto("/?q=prisoners+unlawfully+at+large+after+escaping&kind=question")
    settled(page)
    question = page.locator("#results .card").first
    question_id = question.get_attribute("data-id")
    record = api_json(server_url, f"/contributions/{question_id}")
    expected = record["answers"][0]
    assert expected["kind"] == "answer"
    expect(question.locator(".meta")).to_contain_text("Question")

    question.locator("button.expand").click()
    link = question.locator("a.answer-link").first
    expect(link).to_have_text(f"Answer by {expected['speaker']['name']}")
    link.click()
    wait_for_url_state(page, id=expected["id"])
    settled(page)
    answer = page.locator("#results .card")
    expect(answer).to_have_count(1)
    expect(answer).to_have_attribute("data-id", expected["id"])
    expect(answer.locator("h3")).to_have_text(expected["speaker"]["name"])
    expect(answer.locator("h3")).to_be_focused()
    answer_record = api_json(server_url, f"/contributions/{expected['id']}")
    answer_text = answer_record["text"]
    assert answer_text.split("\n")[0].strip() in answer.locator(".full-text").inner_text()
    assert question_id in [q["id"] for q in answer_record["answers_to"]]
    expect(answer.locator(".citation-text")).to_have_text(answer_record["citation"])
    back_link = answer.locator("a.question-link")
    expect(page.locator("#crumbs")).to_contain_text("Results for “prisoners unlawfully")
    shoot(page, "06-answer.png", full_page=True)

    hrefs = back_link.evaluate_all("links => links.map(a => a.href)")
    assert question_id in {parse_qs(urlsplit(href).query)["id"][0] for href in hrefs}
    page.go_back()
    settled(page)
    expect(page.locator("#results .card").first).to_have_attribute("data-id", question_id)


def test_a_shared_url_shows_the_same_results(page, browser, server_url):
    from playwright.sync_api import expect

    search(page, "police")
    page.locator("#house").select_option("House of Commons")
    page.get_by_label("Exact words").check()
    wait_for_url_state(page, mode="keyword")
    settled(page)
    page.get_by_role("link", name="More results →").click()
    wait_for_url_state(page, page="2")
    settled(page)
    expect(page.locator("#status")).to_contain_text("Results 11–")
    expect(page.locator("#results-title")).to_be_focused()
    shared, ids = page.url, result_ids(page)
    assert ids and url_state(page) == {"q": "police", "mode": "keyword",
                                       "house": "House of Commons", "page": "2"}

    other = _open_page(browser, server_url)  # someone else opens the link
    try:
        other.goto(shared)
        settled(other)
        assert result_ids(other) == ids
        expect(other.locator("#q")).to_have_value("police")
        expect(other.locator("#house")).to_have_value("House of Commons")
        expect(other.get_by_label("Exact words")).to_be_checked()
        other.reload()
        settled(other)
        assert result_ids(other) == ids
        assert not other.problems
    finally:
        other.context.close()

    page.go_back()  # back to page 1
    wait_for_url_state(page, page=None)
    settled(page)
    expect(page.locator("#status")).to_contain_text("Results 1–10")
    assert result_ids(page)[0] not in ids


def test_a_member_named_in_the_query_is_reported_and_can_be_ignored(page):
    from playwright.sync_api import expect

    query = "what did David Hanson say about Tasers"
    page.goto(f"/?q={quote(query)}")
    settled(page)
    note = page.locator("#understood")
    expect(note).to_contain_text("only contributions by David Hanson")
    assert set(page.locator("#results .card h3").all_inner_texts()) == {"David Hanson"}
    note.get_by_role("link", name="Search the words only").click()
    wait_for_url_state(page, understand="false")
    settled(page)
    expect(note).to_be_hidden()
    assert len(set(page.locator("#results .card h3").all_inner_texts())) > 1


# Browsing: order, debates, counts, a timeline --------------------------------------------

# Matches on both sitting days of the small index, in several debates, and in both houses.
PRISONS = "prisons and the courts"
INQUESTS = "deaths of service personnel overseas and inquests"
FACETS = "party,house,kind,parliament,date"


def api_search(server_url: str, query: str, **params) -> dict:
    return httpx.get(f"{server_url}/search", params={"q": query, "facets": FACETS, **params},
                     timeout=60).json()


def card_dates(cards) -> list[str]:
    return cards.locator("time").evaluate_all("ts => ts.map(t => t.dateTime)")


def test_order_and_grouping_switches_follow_the_api_and_the_url(page, browser, server_url):
    from playwright.sync_api import expect

    search(page, PRISONS)
    page.get_by_label("Newest first").check()
    wait_for_url_state(page, q=PRISONS, sort="newest")
    settled(page)
    newest = api_search(server_url, PRISONS, sort="newest", k=10)
    assert result_ids(page) == [r["id"] for r in newest["results"]]
    dates = card_dates(page.locator("#results .card"))
    assert dates == sorted(dates, reverse=True) and len(set(dates)) == 2
    expect(page.locator("#status")).to_contain_text(
        f"newest first, of the {newest['total']} contributions that match closely")
    expect(page.locator("#view-help")).to_be_visible()

    switch = page.get_by_role("switch", name="Group by debate")
    switch.check()
    wait_for_url_state(page, sort="newest", group="debate")
    settled(page)
    grouped = api_search(server_url, PRISONS, sort="newest", group="debate", k=5)
    groups = page.locator("#results .debate-group")
    expect(groups).to_have_count(len(grouped["groups"]))
    titles = [g["debate"]["title"] for g in grouped["groups"]]
    assert groups.locator(".debate-title").all_inner_texts() == titles
    for shown, expected in zip(groups.all(), grouped["groups"], strict=True):
        expect(shown.locator(".meta").first).to_contain_text(
            f"{expected['count']} matching contribution")
        assert shown.locator(".card").evaluate_all("cs => cs.map(c => c.dataset.id)") == [
            r["id"] for r in expected["results"]]
        expect(shown.locator(".card h4").first).to_have_text(
            expected["results"][0]["speaker"]["name"])
    expect(page.locator("#status")).to_contain_text(
        f"Debates 1–{len(titles)} of {grouped['total_groups']}, newest first")
    shoot(page, "10-grouped.png", full_page=True)

    page.reload()  # the URL holds the view
    settled(page)
    expect(switch).to_be_checked()
    expect(page.get_by_label("Newest first")).to_be_checked()
    assert page.locator("#results .debate-title").all_inner_texts() == titles

    # A debate with more matches than it shows links to all of them, ungrouped.
    fuller = next(g for g in grouped["groups"] if g["count"] > len(g["results"]))
    debate = fuller["debate"]
    page.get_by_role("link", name=f"All {fuller['count']} matches in this debate").first.click()
    wait_for_url_state(page, group=None, debate=debate["title"], date_from=debate["date"],
                       date_to=debate["date"], house=debate["house"])
    settled(page)
    expect(switch).not_to_be_checked()
    cards = page.locator("#results .card")
    expect(cards).to_have_count(fuller["count"])
    assert set(cards.locator(".debate").all_inner_texts()) == {debate["title"]}
    expect(page.locator("#debate")).to_have_value(debate["title"])

    page.go_back()
    wait_for_url_state(page, group="debate", debate=None)
    settled(page)
    expect(switch).to_be_checked()
    page.go_back()
    wait_for_url_state(page, group=None, sort="newest")
    settled(page)
    assert result_ids(page) == [r["id"] for r in newest["results"]]
    page.get_by_label("Best match first").check()
    wait_for_url_state(page, sort=None)
    settled(page)
    plain = api_json(server_url, f"/search?q={quote(PRISONS)}&k=10")
    assert result_ids(page) == [r["id"] for r in plain["results"]]  # facets change nothing


def test_filter_options_count_the_matches_and_follow_the_query(page, server_url):
    from playwright.sync_api import expect

    def counts_shown(name: str) -> dict[str, str]:
        options = page.locator(f"#{name} option").evaluate_all(
            "os => os.filter(o => o.value).map(o => [o.value, o.textContent])")
        return dict(options)

    search(page, INQUESTS)
    faceted = api_search(server_url, INQUESTS, k=10)
    houses = {c["value"]: c["count"] for c in faceted["facets"]["house"]}
    assert {"House of Commons", "House of Lords"} <= set(houses)
    for value, text in counts_shown("house").items():
        assert text == f"{value} ({houses.get(value, 0)})"
    parties = {c["value"]: c["count"] for c in faceted["facets"]["party"]}
    for value, text in counts_shown("party").items():
        assert text == f"{value} ({parties.get(value, 0)})"
    expect(page.locator("#counts-help")).to_be_visible()
    expect(page.locator("#status")).to_contain_text(f"{faceted['matches']} match closely")

    lords = houses["House of Lords"]
    page.locator("#house").select_option(label=f"House of Lords ({lords})")
    wait_for_url_state(page, house="House of Lords")
    settled(page)
    houses_shown = page.locator("#results .card .house-tag").all_inner_texts()
    assert houses_shown and set(houses_shown) == {"House of Lords"}
    assert counts_shown("house") == {  # the other houses are not counted under the filter
        h: f"{h} ({lords})" if h == "House of Lords" else h for h in counts_shown("house")}
    in_lords = api_search(server_url, INQUESTS, k=10, house="House of Lords")
    assert in_lords["matches"] == lords
    shoot(page, "11-counted-filters.png", full_page=True)

    page.locator("#q").fill(PRISONS)  # another query: other counts
    page.locator("#q").press("Enter")
    wait_for_url_state(page, q=PRISONS)
    settled(page)
    other = api_search(server_url, PRISONS, k=10, house="House of Lords")
    kinds = {c["value"]: c["count"] for c in other["facets"]["kind"]}
    shown = counts_shown("kind")
    assert shown and all(text.endswith(f"({kinds.get(v, 0)})") for v, text in shown.items())
    assert kinds != {c["value"]: c["count"] for c in in_lords["facets"]["kind"]}

    page.goto("/")  # no query: the index's own counts again
    settled(page)
    expect(page.locator("#counts-help")).to_be_hidden()
    stats = api_json(server_url, "/stats")["by_house"]
    assert counts_shown("house") == {h: f"{h} ({n:,})" for h, n in stats.items()}


def test_the_timeline_counts_by_day_and_a_bar_filters_to_its_day(page, server_url):
    from playwright.sync_api import expect

    search(page, PRISONS)
    faceted = api_search(server_url, PRISONS, k=10)
    assert faceted["facet_date_unit"] == "day"
    days = {c["value"]: c["count"] for c in faceted["facets"]["date"]}
    assert set(days) == {"2009-10-26", "2009-10-27"}
    timeline = page.locator("#timeline")
    expect(timeline).to_be_visible()
    expect(page.locator("#timeline-help")).to_contain_text(
        f"The {faceted['matches']} contributions that match closely, by day")
    bars = timeline.locator("a.bar")
    expect(bars).to_have_count(2)
    labels = bars.evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    counted = [days[f"2009-10-{d}"] for d in (26, 27)]
    assert labels == [f"{d} October 2009: {n} matching contribution{'' if n == 1 else 's'}; "
                      "show only that day" for d, n in zip((26, 27), counted, strict=True)]
    # The README's docs/screenshot-search.png is a copy of this one, made by hand: tests
    # never write into the repository's tracked files.
    shoot(page, "12-timeline.png", full_page=True,
          clip={"x": 0, "y": 0, "width": 1100, "height": 1700})
    timeline.locator("summary").click()  # the table behind it
    rows = timeline.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert [r.locator("th").inner_text() + " " + r.locator("td").inner_text()
            for r in rows.all()] == [f"{d} October 2009 {days[f'2009-10-{d}']}"
                                     for d in (26, 27)]

    bars.last.click()
    wait_for_url_state(page, q=PRISONS, date_from="2009-10-27", date_to="2009-10-27")
    settled(page)
    expect(page.locator("#date_from")).to_have_value("2009-10-27")
    assert set(card_dates(page.locator("#results .card"))) == {"2009-10-27"}
    expect(timeline.locator("a.bar")).to_have_count(1)
    expect(timeline.locator("a.bar")).to_have_attribute("aria-current", "true")
    that_day = api_search(server_url, PRISONS, k=10, date_from="2009-10-27",
                          date_to="2009-10-27")
    assert that_day["facets"]["date"] == [{"value": "2009-10-27",
                                           "count": that_day["matches"]}]
    page.locator("#timeline-help").get_by_role("link", name="Every date").click()
    wait_for_url_state(page, date_from=None, date_to=None)
    settled(page)
    expect(timeline.locator("a.bar")).to_have_count(2)


def test_who_spoke_most_lists_the_speaker_facet_and_a_name_filters_to_them(page, server_url):
    from playwright.sync_api import expect

    search(page, PRISONS)
    counted = httpx.get(f"{server_url}/search", params={"q": PRISONS, "facets": "speaker"},
                        timeout=60).json()
    speakers = [s for s in counted["facets"]["speaker"] if s["value"]][:10]
    assert len(speakers) > 2
    box = page.locator("#top-speakers")
    expect(box).to_be_visible()
    expect(page.locator("#top-speakers-help")).to_contain_text(
        f"Speakers of the {counted['matches']} contributions that match closely")
    links = box.locator("li a")
    expect(links).to_have_count(len(speakers))
    assert links.all_inner_texts() == [s["name"] for s in speakers]
    assert box.locator(".speaker-count").all_inner_texts() == [f"({s['count']})"
                                                                for s in speakers]
    shoot(page, "13-who-spoke-most.png", full_page=True)

    chosen = speakers[1]
    links.nth(1).click()
    wait_for_url_state(page, q=PRISONS, speaker=chosen["value"])
    settled(page)
    expect(page.locator("#speaker")).to_have_value(chosen["value"])
    expect(box).to_be_hidden()  # one speaker chosen: nothing to choose between
    cards = page.locator("#results .card")
    expect(cards.first).to_be_visible()
    for text in cards.all_inner_texts():
        assert chosen["name"].split()[-1] in text
    theirs = httpx.get(f"{server_url}/search", params={
        "q": PRISONS, "speaker": chosen["value"], "sort": "newest", "k": 100}, timeout=60).json()
    assert theirs["matches"] == chosen["count"] == len(theirs["results"])
    assert chosen["best"] in {r["id"] for r in theirs["results"]}


# Hostile input and errors -------------------------------------------------------------------


def test_hostile_query_is_shown_as_text_and_never_runs(page, server_url):
    from playwright.sync_api import expect

    search(page, HOSTILE)
    expect(page.locator("#results-title")).to_have_text(f"Results for “{HOSTILE}”")
    assert page.title() == f"{HOSTILE} – debate-search"
    page.goto(f"/?q={quote(HOSTILE)}&mode=keyword")  # and from a shared link
    settled(page)
    expect(page.locator("#q")).to_have_value(HOSTILE)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main img, main script").count() == 0
    assert page.locator("script").count() == 1  # app.js only

    page.goto(f"/?q=Tasers&party={quote('<b>Labor</b><img src=x onerror=alert(1)>')}")
    settled(page)
    error = page.locator("#error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("unknown party '<b>Labor</b><img src=x onerror=alert(1)>'")
    expect(error).to_contain_text("Labour")  # the API names the valid choices
    assert error.locator("b, img").count() == 0
    expect(page.locator("#party")).to_have_attribute("aria-invalid", "true")
    shoot(page, "07-error.png", full_page=True)
    error.get_by_role("link", name="Remove the party filter").click()
    settled(page)
    expect(error).to_be_hidden()
    expect(page.locator("#results .card")).to_have_count(10)


def test_an_unreadable_index_is_reported_in_words(browser, start_server, tmp_path):
    from playwright.sync_api import expect

    missing = tmp_path / "no-index"
    with start_server(missing, tmp_path / "server.log") as url:
        message = httpx.get(f"{url}/stats", timeout=10).json()["error"]["message"]
        page = _open_page(browser, url)
        try:
            page.goto("/")
            settled(page)
            expect(page.locator("#error")).to_have_text(f"The index is not available. {message}")
            page.goto("/?q=Tasers")
            settled(page)
            expect(page.locator("#error")).to_have_text(f"The search failed. {message}")
            expect(page.locator("#q")).to_have_value("Tasers")
            assert not page.problems
        finally:
            page.context.close()


# An index being built (`serve --build`, what `make serve` runs) -----------------------------

BUILD_MS = 480_000  # a bound for the build of a Commons debate on a busy machine, not a measure


@pytest.mark.timeout(600, func_only=True)
def test_the_page_says_how_far_indexing_has_got(browser, start_server, embedder, session_cache,
                                                tmp_path, monkeypatch):
    from building import copy_corpus, empty_vector_cache
    from playwright.sync_api import expect

    # The statements of the 27th first, then the Commons debate of the 26th (a while: its
    # vectors are not in this cache).
    corpus = copy_corpus(tmp_path / "corpus", ("wms/ministerial2009-10-27a.xml",
                                               "debates/debates2009-10-26b.xml"))
    monkeypatch.setenv("DEBATE_SEARCH_CORPUS", str(corpus))
    monkeypatch.setenv("DEBATE_SEARCH_CACHE_DIR",
                       str(empty_vector_cache(tmp_path / "cache", session_cache)))
    with start_server(tmp_path / "index", tmp_path / "server.log", args=("--build",)) as url:
        page = _open_page(browser, url)
        try:
            page.goto("/?q=police+use+of+Tasers")
            notice = page.locator("#indexing")
            expect(notice).to_have_text("Indexing 1 of 2 files: searches cover the files "
                                        "indexed so far; the rest are added as they are ready.",
                                        timeout=BUILD_MS)
            shoot(page, "14-indexing.png")
            # Once the last file is in, the notice goes and the search is shown again, whole.
            expect(notice).to_be_hidden(timeout=BUILD_MS)
            settled(page)
            expect(page.locator("#results .card").first).to_contain_text("Tasers")
            assert not page.problems
        finally:
            page.context.close()


# Phones, keyboards, screen readers ----------------------------------------------------------


def test_phone_layout_has_no_sideways_scrolling(browser, server_url):
    from playwright.sync_api import expect

    page = _open_page(browser, server_url, width=390, height=844)
    try:
        page.goto("/?q=police+use+of+Tasers")
        settled(page)
        expect(page.locator("#filters")).not_to_have_attribute("open", "")
        shoot(page, "08-phone.png")
        card = page.locator("#results .card").first
        card.locator(".expand").click()
        expect(card.locator(".full-text")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        card.screenshot(path=str(ARTIFACTS / "09-phone-expanded-card.png"))
        assert not page.problems
    finally:
        page.context.close()


def test_landmarks_labels_and_keyboard(page):
    from playwright.sync_api import expect

    page.goto("/")
    settled(page)
    for role in ("banner", "main", "search", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    for label in ("Search the debates", "Speaker", "Party", "House or body", "Kind",
                  "From date", "To date", "Debate title", "Words and meaning", "Meaning",
                  "Exact words", "Best match first", "Newest first", "Oldest first",
                  "Group by debate"):
        expect(page.get_by_label(label, exact=True)).to_have_count(1)
    expect(page.locator("#empty")).to_contain_text("For example:")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.locator("#q").focus()
    page.keyboard.type("Tasers")
    page.keyboard.press("Enter")
    wait_for_url_state(page, q="Tasers")
    settled(page)
    expect(page.get_by_role("status").first).to_contain_text("Results 1–10")
    expand = page.locator("#results .card .expand").first
    expand.focus()
    page.keyboard.press("Enter")
    expect(expand).to_have_attribute("aria-expanded", "true")
    controls = expand.get_attribute("aria-controls")
    expect(page.locator(f"#{controls} .full-text")).to_be_visible()
    assert re.fullmatch(r"card-\d+-full", controls)


def test_follow_this_search_is_the_feed_of_the_search_shown(page, server_url):
    from playwright.sync_api import expect

    search(page, "police use of Tasers")
    link = page.locator("#follow-link")
    expect(link).to_be_visible()
    alternate = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    expect(alternate).to_have_count(1)
    assert link.get_attribute("type") == "application/atom+xml"
    assert link.get_attribute("href") == alternate.get_attribute("href") == \
        "/feeds/search.atom?q=police+use+of+Tasers"
    # A filter set changes the feed with the search; the feed is the server's Atom.
    page.select_option("#house", "House of Commons")
    wait_for_url_state(page, house="House of Commons")
    settled(page)
    href = link.get_attribute("href")
    assert href == alternate.get_attribute("href") == \
        "/feeds/search.atom?q=police+use+of+Tasers&house=House+of+Commons"
    feed = httpx.get(f"{server_url}{href}", timeout=60)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    # Without a query there is nothing to follow.
    page.goto("/")
    settled(page)
    expect(link).to_be_hidden()
    expect(alternate).to_have_count(0)


def test_a_contributions_debate_opens_at_the_contribution(page, server_url):
    """The debate title of a contribution opens the whole debate, in the record's order, with
    that contribution marked and in view; its speaker's name opens it again."""
    from playwright.sync_api import expect

    opened = "uk.org.publicwhip/debate/2009-10-26b.3.3"  # Hanson on Tasers
    page.goto(f"/?id={quote(opened)}")
    settled(page)
    record = api_json(server_url, f"/contributions/{opened}")
    page.locator("#results .card a.debate-link").click()
    wait_for_url_state(page, debate_id=record["debate"]["id"], at=opened, id=None)
    settled(page)
    debate = api_json(server_url, f"/debates/{record['debate']['id']}?around={quote(opened)}")
    entries = page.locator("#results .debate-entry")
    expect(entries).to_have_count(len(debate["contributions"]))
    assert [e.get_attribute("data-id") for e in entries.all()] == [
        c["id"] for c in debate["contributions"]]
    expect(page.locator(".debate-view-title")).to_have_text(record["debate"]["title"])
    current = page.locator("#results .debate-entry.current")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("data-id", opened)
    expect(current).to_have_attribute("aria-current", "true")
    expect(current).to_be_in_viewport()
    expect(current).to_contain_text(record["speaker"]["name"])
    shoot(page, "14-debate-view.png", full_page=True)
    current.get_by_role("link", name=record["speaker"]["name"]).click()
    wait_for_url_state(page, id=opened, debate_id=None)
    settled(page)
    expect(page.locator("#results .card")).to_have_attribute("data-id", opened)
