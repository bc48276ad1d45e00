// The debate-search page. The URL holds the whole state (query, mode, filters, page, or one
// contribution's id); every value from the corpus or the query reaches the DOM as text only.
"use strict";

const PAGE_SIZE = 10;
const TYPING_DELAY_MS = 300;
const FILTERS = ["speaker", "parliament", "party", "house", "kind", "date_from", "date_to"];
const STATE_KEYS = ["q", "mode", ...FILTERS, "understand", "page", "id"];
const FILTER_NAMES = {
  speaker: "speaker", parliament: "parliament", party: "party", house: "house", kind: "kind",
  date_from: "start date", date_to: "end date",
};
const KIND_LABELS = {
  speech: "Debate speech", question: "Question", answer: "Answer", statement: "Statement",
};
const MODE_LABELS = { hybrid: "words and meaning", dense: "meaning", keyword: "exact words" };
const EXAMPLES = ["police use of Tasers", "prisoners who absconded", "support for carers"];

const $ = (id) => document.getElementById(id);
const contributions = new Map(); // id -> promise of GET /contributions/{id}
let inFlight = null; // AbortController of the search being shown
let indexProblem = null; // what /stats said was wrong with the index, shown until a search says
let rendered = null; // URL of the state on screen
let typingTimer = 0;
let speakerTimer = 0;

// DOM and formatting ----------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node; // append() turns strings into text nodes: nothing is parsed as HTML
}

function formatDate(iso) {
  const date = new Date(`${iso}T00:00:00Z`);
  if (!iso || Number.isNaN(date.getTime())) return iso || "";
  return date.toLocaleDateString("en-GB", {
    day: "numeric", month: "long", year: "numeric", timeZone: "UTC",
  });
}

const kindLabel = (kind) => KIND_LABELS[kind] || kind;
const number = (n) => Number(n).toLocaleString("en-GB");
const safeUrl = (url) => (typeof url === "string" && /^https?:\/\//i.test(url) ? url : null);
// A contribution's speaker is an object (name as printed, else the members data's name); an
// /answer citation names the speaker as a string, or null: where the record names no one, the
// words the API's citations use (search_api/answering/citations.py, NO_SPEAKER).
const NO_SPEAKER = "Speaker not recorded in the source";
const speakerName = (s) => (s && typeof s === "object" ? s.name || s.member_name : s)
  || NO_SPEAKER;
const roleLine = (s) => [s.office, s.party, s.constituency || s.peerage].filter(Boolean)
  .join(" · ");

// Text with the code points [start, end) marked (offsets from the API count code points).
function marked(text, start, end) {
  const chars = Array.from(text);
  if (!(start >= 0 && end > start && end <= chars.length)) return [text];
  return [chars.slice(0, start).join(""), el("mark", {}, chars.slice(start, end).join("")),
    chars.slice(end).join("")];
}

function paragraphs(text, sentence) {
  let done = !sentence;
  return text.split(/\n{2,}/).map((para) => {
    const at = done ? -1 : para.indexOf(sentence);
    if (at < 0) return el("p", {}, para);
    done = true;
    return el("p", {}, para.slice(0, at), el("mark", {}, sentence),
      para.slice(at + sentence.length));
  });
}

// URL state ----------------------------------------------------------------------------------

function readState(search = location.search) {
  const params = new URLSearchParams(search);
  const state = {};
  for (const key of STATE_KEYS) {
    const value = (params.get(key) || "").trim();
    if (value) state[key] = value;
  }
  return state;
}

function stateUrl(state) {
  const params = new URLSearchParams();
  for (const key of STATE_KEYS) {
    const value = state[key];
    if (!value || (key === "mode" && value === "hybrid") || (key === "page" && value === "1")) {
      continue;
    }
    params.set(key, value);
  }
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

const without = (state, ...keys) => {
  const copy = { ...state };
  for (const key of keys) delete copy[key];
  return copy;
};
const pageOf = (state) => Math.max(1, Number.parseInt(state.page, 10) || 1);
const contributionUrl = (id, state = {}) => stateUrl({ ...without(state, "page"), id });

function navigate(state, { replace = false, focus = false, fill = false, force = false } = {}) {
  const url = stateUrl(state);
  if (url !== location.pathname + location.search) {
    history[replace ? "replaceState" : "pushState"](null, "", url);
  }
  if (fill) fillForm(readState());
  if (force || url !== rendered) render(readState(), focus);
}

function formState() {
  const state = {};
  const q = $("q").value.trim();
  if (q) state.q = q;
  const mode = $("search-form").elements.mode.value;
  if (mode && mode !== "hybrid") state.mode = mode;
  for (const name of FILTERS) {
    const value = $(name).value.trim();
    if (value) state[name] = value;
  }
  return state;
}

function fillForm(state) {
  $("q").value = state.q || "";
  $("search-form").elements.mode.value = state.mode || "hybrid";
  fillFilters(state);
}

function fillFilters(state) {
  for (const name of FILTERS) {
    const control = $(name);
    if (control.tagName === "SELECT") addOption(control, state[name]);
    control.value = state[name] || "";
  }
  if (FILTERS.some((name) => state[name])) $("filters").open = true;
}

function addOption(select, value, label) {
  if (!value || [...select.options].some((o) => o.value === value)) return;
  select.append(el("option", { value, "data-extra": true }, label || value));
}

// Show what the form says. Typing refines one search: one history entry, not one per pause.
// A submit after an error tries again even if nothing changed.
// "Search the words only" holds for this query, not the next one.
function commit({ typing = false, force = false } = {}) {
  clearTimeout(typingTimer);
  const state = formState();
  const shown = readState();
  if (shown.understand && shown.q === state.q) state.understand = shown.understand;
  navigate(state, { replace: typing && Boolean(shown.q), force });
}

// The server ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, field = null, status = 0) {
    super(message);
    this.field = field;
    this.status = status;
  }
}

async function fetchJson(path, params, { signal } = {}) {
  const query = params ? `?${new URLSearchParams(params)}` : "";
  let response;
  try {
    response = await fetch(path + query, { signal, headers: { Accept: "application/json" } });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("The server did not answer; is it still running?");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: reported below
  }
  if (!response.ok) {
    const error = body && body.error;
    const message = error && error.message
      ? error.message : `The server answered ${response.status} ${response.statusText}.`;
    throw new ApiError(message, error && error.field, response.status);
  }
  if (body === null) throw new ApiError("The server's answer was not JSON.");
  return body;
}

function loadContribution(id) {
  if (!contributions.has(id)) {
    const path = `/contributions/${id.split("/").map(encodeURIComponent).join("/")}`;
    const promise = fetchJson(path);
    promise.catch(() => contributions.delete(id)); // retry next time
    contributions.set(id, promise);
  }
  return contributions.get(id);
}

// Search -------------------------------------------------------------------------------------

// Shows `state`; body[data-loading] is set until everything it asked the server for is shown.
async function render(state, focus) {
  rendered = stateUrl(state);
  if (inFlight) inFlight.abort();
  inFlight = new AbortController();
  const signal = inFlight.signal;
  document.body.dataset.loading = "true";
  document.title = state.q ? `${state.q} – debate-search` : "debate-search";
  const active = FILTERS.filter((name) => state[name]).length;
  $("filter-count").textContent = active ? `(${active} active)` : "";
  showError(indexProblem);
  $("results").removeAttribute("aria-busy");
  for (const id of ["answer", "pager", "empty", "crumbs", "understood"]) $(id).hidden = true;
  try {
    if (state.id) {
      await showContribution(state, focus, signal);
    } else if (state.q) {
      await runSearch(state, focus, signal);
    } else {
      $("results-title").textContent = "Results";
      $("results").replaceChildren();
      setStatus("");
      showIntro();
    }
  } finally {
    if (!signal.aborted) delete document.body.dataset.loading;
  }
}

async function runSearch(state, focus, signal) {
  const page = pageOf(state);
  const filters = {};
  for (const name of FILTERS) if (state[name]) filters[name] = state[name];
  setStatus("Searching…");
  $("results").setAttribute("aria-busy", "true");
  // /answer takes the question and the filters only (it refuses other parameters).
  const answer = page === 1
    ? fetchJson("/answer", { q: state.q, ...filters }, { signal }).catch(() => null)
    : null;
  const params = { q: state.q, ...filters, mode: state.mode || "hybrid", k: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE };
  if (state.understand) params.understand = state.understand;
  try {
    const data = await fetchJson("/search", params, { signal });
    showResults(data, state);
    if (focus) $("results-title").focus();
  } catch (err) {
    if (err.name !== "AbortError") showFailure(err, state);
    return;
  } finally {
    if (!signal.aborted) $("results").removeAttribute("aria-busy");
  }
  const answered = answer && (await answer);
  if (!signal.aborted) showAnswer(answered);
}

function showResults(data, state) {
  $("results-title").textContent = `Results for “${data.query}”`;
  const results = data.results;
  $("results").replaceChildren(
    ...results.map((item, n) => el("li", {}, card(item, data.offset + n + 1, state))));
  if (!results.length) {
    setStatus("No results.");
    showEmpty(data, state);
    return;
  }
  const first = data.offset + 1;
  const last = data.offset + results.length;
  const filtered = Object.keys(data.filters).length ? " that pass the filters" : "";
  setStatus(`Results ${number(first)}–${number(last)}, best first, by ${
    MODE_LABELS[data.mode] || data.mode}, among ${number(data.total)} contributions${filtered}.`);
  showUnderstood(data.understood, state);
  showPager(state, results.length === PAGE_SIZE && last < data.total);
}

// Members and parties the server read in the query act as filters: say so, and offer to undo.
function showUnderstood(understood, state) {
  const u = understood || {}; // null where the query was taken as words only
  const read = [
    u.speaker_name && `only contributions by ${u.speaker_name}`,
    u.party && `only members of the ${u.party} party`,
    u.government && "office-holders ranked first",
  ].filter(Boolean);
  if (!read.length) return;
  $("understood").replaceChildren(`Read from your query: ${read.join("; ")}. `,
    el("a", { href: stateUrl({ ...without(state, "page"), understand: "false" }),
      "data-internal": true }, "Search the words only"));
  $("understood").hidden = false;
}

function showPager(state, hasNext) {
  const page = pageOf(state);
  const link = (p, text, rel) => el("a", {
    href: stateUrl({ ...state, page: String(p) }), rel, "data-internal": true, "data-focus": true,
  }, text);
  const pager = $("pager");
  pager.replaceChildren(
    page > 1 ? link(page - 1, "← Previous results", "prev") : el("span"),
    el("span", { class: "page-number" }, `Page ${page}`),
    hasNext ? link(page + 1, "More results →", "next") : el("span"));
  pager.hidden = page === 1 && !hasNext;
}

function suggestion(text, state) {
  return el("li", {}, el("a", { href: stateUrl(state), "data-internal": true }, text));
}

function showEmpty(data, state) {
  const active = FILTERS.filter((name) => state[name]);
  const tips = active.map((name) => suggestion(
    `remove the ${FILTER_NAMES[name]} filter (${state[name]})`, without(state, name, "page")));
  if (active.length > 1) {
    tips.push(suggestion("remove every filter", without(state, ...FILTERS, "page")));
  }
  if (state.mode === "keyword") {
    tips.push(suggestion("match by words and meaning instead", without(state, "mode", "page")));
  }
  let title = "No results.";
  if (data.offset > 0) {
    title = "No more results.";
    tips.unshift(suggestion("go back to the first page", without(state, "page")));
  } else if (data.total === 0) {
    title = "No contribution passes these filters.";
  } else if (state.mode === "keyword") {
    title = `No contribution contains the words “${data.query}”.`;
  }
  if (!tips.length) tips.push(el("li", {}, "use fewer or other words"));
  $("empty").replaceChildren(el("p", { class: "empty-title" }, title),
    el("p", {}, "Try:"), el("ul", {}, tips));
  $("empty").hidden = false;
}

function showIntro() {
  $("empty").replaceChildren(
    el("p", { class: "empty-title" }, "Type a question or some words to search the debates."),
    el("p", {}, "For example:"),
    el("ul", {}, EXAMPLES.map((q) => suggestion(q, { q }))));
  $("empty").hidden = false;
}

function showFailure(err, state) {
  $("results").replaceChildren();
  setStatus("");
  const control = err.field && FILTERS.concat("q").includes(err.field) ? $(err.field) : null;
  const fix = control && err.field !== "q" && state[err.field]
    ? el("a", { href: stateUrl(without(state, err.field, "page")), "data-internal": true },
      `Remove the ${FILTER_NAMES[err.field]} filter`)
    : null;
  showError(el("p", {}, el("strong", {}, "The search failed. "), err.message, " ", fix));
  if (control) control.setAttribute("aria-invalid", "true");
}

function showError(content) {
  const box = $("error");
  document.querySelectorAll("[aria-invalid]").forEach((c) => c.removeAttribute("aria-invalid"));
  box.replaceChildren(...(content ? [content] : []));
  box.hidden = !content;
}

function setStatus(text) {
  $("status").textContent = text;
}

// One contribution -------------------------------------------------------------------------

async function showContribution(state, focus, signal) {
  $("results-title").textContent = "From the record";
  setStatus("Loading…");
  if (state.q) {
    const back = stateUrl(without(state, "id"));
    $("crumbs").replaceChildren(
      el("a", { href: back, "data-internal": true }, `← Results for “${state.q}”`));
    $("crumbs").hidden = false;
  }
  try {
    const c = await loadContribution(state.id);
    if (signal.aborted) return;
    const article = card(c, 0, state, { expanded: true });
    $("results").replaceChildren(el("li", {}, article));
    await fillFull(article.querySelector(".full"), c.id, null, state);
    setStatus(`${kindLabel(c.kind)} by ${speakerName(c.speaker)}, ${formatDate(c.date)}.`);
    if (focus) article.querySelector("h3").focus();
  } catch (err) {
    if (signal.aborted) return;
    $("results").replaceChildren();
    setStatus("");
    showError(el("p", {}, el("strong", {}, "This contribution could not be shown. "), err.message));
  }
}

// Cards -------------------------------------------------------------------------------------

function card(item, n, state, { expanded = false } = {}) {
  const id = `card-${n}`;
  const house = (/lords|commons/i.exec(item.house) || ["other"])[0].toLowerCase();
  const s = item.speaker;
  const official = safeUrl(item.source_url);
  const full = el("div", { class: "full", id: `${id}-full`, hidden: !expanded });
  const snippet = item.snippet && el("blockquote", { class: "snippet", hidden: expanded },
    marked(item.snippet.text, item.snippet.highlight_start, item.snippet.highlight_end));
  const kind = kindLabel(item.kind);
  const closed = `Read the full ${kind.toLowerCase()} and its context`;
  const toggle = expanded ? null : el("button", {
    type: "button", class: "expand", "aria-expanded": "false", "aria-controls": full.id,
  }, closed);
  const article = el("article", {
    class: `card ${house}`, id, "aria-labelledby": `${id}-name`, "data-id": item.id,
  },
  el("header", { class: "card-head" },
    el("h3", { id: `${id}-name`, class: "speaker", tabindex: "-1" }, speakerName(s)),
    roleLine(s) ? el("p", { class: "role" }, roleLine(s)) : null,
    el("p", { class: "meta" },
      el("span", { class: `house-tag ${house}` }, item.house), " ",
      el("time", { datetime: item.date }, formatDate(item.date)), " · ", kind,
      item.column ? ` · col. ${item.column}` : ""),
    item.debate.title ? el("p", { class: "debate" }, item.debate.title) : null),
  snippet,
  el("div", { class: "actions" }, toggle,
    official ? el("a", { href: official, class: "official", rel: "noopener noreferrer" },
      "Official record") : null,
    expanded ? null : el("a", { href: contributionUrl(item.id, state), "data-internal": true,
      class: "permalink" }, "Link to this ", kind.toLowerCase())),
  full);
  const sentence = item.snippet && item.snippet.sentence;
  if (toggle) {
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? "Show less" : closed;
      full.hidden = !open;
      if (snippet) snippet.hidden = open;
      if (open && !full.dataset.loaded) fillFull(full, item.id, sentence, state);
    });
  }
  return article;
}

async function fillFull(full, id, sentence, state) {
  full.dataset.loaded = "1";
  full.replaceChildren(el("p", { class: "loading" }, "Loading the full text…"));
  try {
    const c = await loadContribution(id);
    const [before, after] = await Promise.all([c.previous, c.next].map(
      (n) => (n ? loadContribution(n.id).catch(() => n) : null)));
    full.replaceChildren(...[
      el("div", { class: "full-text" }, paragraphs(c.text, sentence)),
      ...exchange(c, state),
      context(before, after, state),
      citationBlock(c)].filter(Boolean));
  } catch (err) {
    delete full.dataset.loaded;
    full.replaceChildren(
      el("p", { class: "error" }, `The full text could not be loaded: ${err.message}`));
  }
}

// The replies a question received and the question a reply answers, as the API links them.
function exchange(c, state) {
  const list = (title, items, cls) => el("section", { class: `exchange ${cls}` },
    el("h4", {}, title),
    el("ul", {}, items.map((a) => el("li", {},
      el("a", { href: contributionUrl(a.id, state), "data-internal": true, "data-focus": true,
        class: `${cls}-link` }, `${kindLabel(a.kind)} by ${speakerName(a.speaker)}`),
      roleLine(a.speaker) ? ` (${roleLine(a.speaker)})` : "", `, ${formatDate(a.date)}`))));
  const plural = (items, one, many) => (items.length > 1 ? many : one);
  const { answers, answers_to: questions } = c;
  return [
    answers.length ? list(plural(answers, "The answer it received", "The answers it received"),
      answers, "answer") : null,
    questions.length ? list(plural(questions, "The question it answers",
      "The questions it answers"), questions, "question") : null,
  ];
}

function context(before, after, state) {
  if (!before && !after) return null;
  const neighbour = (label, c) => c && el("div", { class: "neighbour" },
    el("p", { class: "neighbour-head" }, `${label}: `,
      el("a", { href: contributionUrl(c.id, state), "data-internal": true, "data-focus": true },
        speakerName(c.speaker)),
      roleLine(c.speaker) ? ` · ${roleLine(c.speaker)}` : ""),
    c.text ? el("p", { class: "neighbour-text" }, c.text) : null);
  return el("section", { class: "context" }, el("h4", {}, "In the debate"),
    neighbour("Before", before), neighbour("After", after));
}

// The citation as the API writes it, so the page, the CLI and /answer cite alike.
function citationBlock(c) {
  const text = c.citation;
  const quote = el("p", { class: "citation-text" }, text);
  const said = el("span", { class: "copy-status", role: "status" });
  const button = el("button", { type: "button", class: "quiet" }, "Copy citation");
  button.addEventListener("click", async () => {
    const copied = await copyText(text, quote);
    said.textContent = copied ? "Citation copied." : "Select the text to copy it.";
    setTimeout(() => { said.textContent = ""; }, 4000);
  });
  return el("section", { class: "citation" }, el("h4", {}, "Cite"), quote,
    el("div", { class: "actions" }, button, said));
}

async function copyText(text, node) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    return document.execCommand("copy");
  }
}

// The answer panel ---------------------------------------------------------------------------

// `data`: the /answer response, or null where /answer failed (the results still stand).
function showAnswer(data) {
  const panel = $("answer");
  const positions = data && data.answerable ? data.speakers : [];
  const shown = [...document.querySelectorAll("#results .card")];
  const cards = new Map(shown.map((article) => [article.dataset.id, article]));
  const groups = positions.map((position) => {
    const { speaker } = position;
    const quotes = [];
    for (const c of position.contributions) {
      for (const quote of c.quotes) {
        quotes.push(el("li", {}, el("q", {}, quote.text), " ",
          quoteLink(c.citation, c.marker, cards)));
      }
    }
    return quotes.length && el("div", { class: "answer-speaker" },
      el("h3", {}, speakerName(speaker)),
      roleLine(speaker) ? el("p", { class: "role" }, roleLine(speaker)) : null,
      el("ul", { class: "quotes" }, quotes));
  }).filter(Boolean);
  $("answer-body").replaceChildren(...groups);
  panel.hidden = !groups.length;
}

// `cited`: an /answer citation (contribution_id, speaker's name, house, date, ...).
function quoteLink(cited, marker, cards) {
  const label = [speakerName(cited.speaker), cited.house, formatDate(cited.date)].join(", ");
  const id = cited.contribution_id;
  const target = cards.get(id);
  const text = `[${marker}]`;
  if (!target) {
    return el("a", { href: contributionUrl(id, readState()), "data-internal": true,
      "data-focus": true, "aria-label": `Open the source: ${label}`, class: "marker" }, text);
  }
  return el("a", {
    href: `#${target.id}`, class: "marker", "aria-label": `Go to the result: ${label}`,
    onclick: (event) => {
      event.preventDefault();
      const toggle = target.querySelector(".expand");
      if (toggle && toggle.getAttribute("aria-expanded") !== "true") toggle.click();
      target.scrollIntoView({ block: "start" });
      target.querySelector("h3").focus({ preventScroll: true });
    },
  }, text);
}

// Filters and speakers -----------------------------------------------------------------------

async function loadChoices() {
  let stats;
  try {
    stats = await fetchJson("/stats");
  } catch (err) {
    indexProblem = el("p", {}, el("strong", {}, "The index is not available. "), err.message);
    return;
  }
  document.querySelectorAll("option[data-extra]").forEach((o) => o.remove()); // from the URL
  for (const [parliament, n] of Object.entries(stats.by_parliament)) {
    if (!parliament) continue; // benchmark collections have no parliament
    $("parliament").append(el("option", { value: parliament }, `${parliament} (${number(n)})`));
  }
  for (const [house, n] of Object.entries(stats.by_house)) {
    $("house").append(el("option", { value: house }, `${house} (${number(n)})`));
  }
  for (const [kind, n] of Object.entries(stats.by_kind)) {
    $("kind").append(el("option", { value: kind },
      `${kindLabel(kind)} (${number(n.contributions)})`));
  }
  for (const party of stats.parties) $("party").append(el("option", { value: party }, party));
  const { dates } = stats;
  for (const id of ["date_from", "date_to"]) {
    if (dates.from) $(id).min = dates.from;
    if (dates.to) $(id).max = dates.to;
  }
  if (dates.from) {
    const span = `from ${formatDate(dates.from)} to ${formatDate(dates.to)}`;
    $("index-info").textContent = `The index holds ${number(stats.contributions)} contributions `
      + `by ${number(stats.speakers)} speakers, ${span}.`;
  }
}

async function suggestSpeakers() {
  const q = $("speaker").value.trim();
  if (q.length < 2) return;
  try {
    const data = await fetchJson("/speakers", { q, limit: 12 });
    $("speaker-options").replaceChildren(...data.speakers.map((s) => el("option", {
      value: s.name, label: [s.party, s.constituency || s.peerage].filter(Boolean).join(", "),
    })));
  } catch {
    // suggestions are a convenience: the search itself reports errors
  }
}

// Start ---------------------------------------------------------------------------------------

async function start() {
  const form = $("search-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    commit({ force: !$("error").hidden });
  });
  $("q").addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => commit({ typing: true }), TYPING_DELAY_MS);
  });
  for (const name of ["parliament", "party", "house", "kind", "date_from", "date_to"]) {
    $(name).addEventListener("change", () => commit());
  }
  for (const radio of form.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", () => commit());
  }
  $("speaker").addEventListener("input", () => {
    clearTimeout(speakerTimer);
    speakerTimer = setTimeout(suggestSpeakers, 200);
  });
  $("speaker").addEventListener("change", () => commit());
  $("clear-filters").addEventListener("click", () => {
    for (const name of FILTERS) $(name).value = "";
    commit();
  });
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-internal]");
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    const focus = link.hasAttribute("data-focus");
    navigate(readState(new URL(link.href).search), { fill: true, focus });
  });
  window.addEventListener("popstate", () => {
    fillForm(readState());
    render(readState(), false);
  });

  const state = readState();
  fillForm(state);
  if (window.matchMedia("(min-width: 48rem)").matches) $("filters").open = true;
  await loadChoices();
  fillFilters(readState());
  render(readState(), false);
}

start();
