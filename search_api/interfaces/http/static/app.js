// The debate-search page. The URL holds the whole state (query, mode, order, grouping,
// filters, page, or one contribution's id); every value from the corpus or the query reaches
// the DOM as text only.
"use strict";

const PAGE_SIZE = 10;
const DEBATES_PER_PAGE = 5; // grouped, each with its best 3 matches
const TYPING_DELAY_MS = 300;
const BUILD_POLL_MS = 2000; // how often /health is asked while the index is being built
const FILTERS = ["speaker", "parliament", "party", "house", "kind", "date_from", "date_to",
  "debate"];
const STATE_KEYS = ["q", "mode", "sort", "group", ...FILTERS, "understand", "page", "id",
  "debate_id", "at", "from"]; // a debate: its id, the contribution marked, or where to start
const DEBATE_PAGE = 50; // contributions a page of a debate lists
const FILTER_NAMES = {
  speaker: "speaker", parliament: "parliament", party: "party", house: "house", kind: "kind",
  date_from: "start date", date_to: "end date", debate: "debate title",
};
// Filters whose options show how many of the query's matches have each value (facets).
const COUNTED = ["party", "house", "kind", "parliament"];
const FACETS = [...COUNTED, "date", "speaker"].join(",");
const TOP_SPEAKERS_SHOWN = 10; // of the speaker facet's (up to 20)
const SORT_LABELS = { relevance: "best first", newest: "newest first", oldest: "oldest first" };
const KIND_LABELS = {
  speech: "Debate speech", question: "Question", answer: "Answer", statement: "Statement",
};
const MODE_LABELS = { hybrid: "words and meaning", dense: "meaning", keyword: "exact words" };
const EXAMPLES = ["police use of Tasers", "prisoners who absconded", "support for carers"];

const $ = (id) => document.getElementById(id);
const contributions = new Map(); // id -> promise of GET /contributions/{id}
let inFlight = null; // AbortController of the search being shown
let indexProblem = null; // what /stats said was wrong with the index, shown until a search says
let buildFollowed = false; // "waiting" for the index's first files, "building" the rest, or not
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
    if (!value || (key === "mode" && value === "hybrid") || (key === "page" && value === "1")
        || (key === "sort" && value === "relevance")) {
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
const debateUrl = (debateId, at, state = {}) => stateUrl({
  ...without(state, "page", "id", "from"), debate_id: debateId, at });
const apiPath = (base, id) => `${base}/${id.split("/").map(encodeURIComponent).join("/")}`;

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
  const { mode, sort } = $("search-form").elements;
  if (mode.value && mode.value !== "hybrid") state.mode = mode.value;
  if (sort.value && sort.value !== "relevance") state.sort = sort.value;
  if ($("group").checked) state.group = "debate";
  for (const name of FILTERS) {
    const value = $(name).value.trim();
    if (value) state[name] = value;
  }
  return state;
}

function fillForm(state) {
  $("q").value = state.q || "";
  $("search-form").elements.mode.value = state.mode || "hybrid";
  $("search-form").elements.sort.value = state.sort || "relevance";
  $("group").checked = state.group === "debate";
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
  select.append(el("option", { value, "data-extra": true, "data-name": label || value },
    label || value));
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

// The Atom feed of the search shown: its query, mode and filters, as /feeds/search.atom takes
// them. Offered as a link and, in the head, as the page's alternate, where browsers and feed
// readers look for a feed; both follow the search as it changes.
function feedUrl(state) {
  const params = new URLSearchParams({ q: state.q });
  for (const name of FILTERS) if (state[name]) params.set(name, state[name]);
  if (state.mode && state.mode !== "hybrid") params.set("mode", state.mode);
  return `/feeds/search.atom?${params}`;
}

function showFeed(state) {
  const following = Boolean(state.q) && !state.id;
  let alternate = document.querySelector('link[rel="alternate"][type="application/atom+xml"]');
  $("follow").hidden = !following;
  if (!following) {
    if (alternate) alternate.remove();
    $("follow-link").removeAttribute("href");
    return;
  }
  if (!alternate) {
    alternate = el("link", { rel: "alternate", type: "application/atom+xml" });
    document.head.append(alternate);
  }
  const url = feedUrl(state);
  alternate.href = url;
  alternate.title = `“${state.q}” in debate-search`;
  $("follow-link").href = url;
}

// The server ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, field = null, status = 0, code = null) {
    super(message);
    this.field = field;
    this.status = status;
    this.code = code;
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
    throw new ApiError(message, error && error.field, response.status, error && error.code);
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
  for (const id of ["answer", "pager", "empty", "crumbs", "understood", "timeline",
    "top-speakers"]) {
    $(id).hidden = true;
  }
  $("view-help").hidden = !(state.sort || state.group);
  showFeed(state);
  try {
    if (state.debate_id) {
      showCounts(null, state);
      await showDebate(state, focus, signal);
    } else if (state.id) {
      showCounts(null, state);
      await showContribution(state, focus, signal);
    } else if (state.q) {
      await runSearch(state, focus, signal);
    } else {
      showCounts(null, state);
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
  const size = state.group ? DEBATES_PER_PAGE : PAGE_SIZE;
  const params = { q: state.q, ...filters, mode: state.mode || "hybrid", k: size,
    offset: (page - 1) * size, facets: FACETS };
  for (const key of ["understand", "sort", "group"]) if (state[key]) params[key] = state[key];
  try {
    const data = await fetchJson("/search", params, { signal });
    showResults(data, state);
    showCounts(data.facets, state);
    showTimeline(data, state);
    showTopSpeakers(data, state);
    if (focus) $("results-title").focus();
  } catch (err) {
    if (err.name !== "AbortError") {
      showCounts(null, state); // not the last query's
      showFailure(err, state);
    }
    return;
  } finally {
    if (!signal.aborted) $("results").removeAttribute("aria-busy");
  }
  const answered = answer && (await answer);
  if (!signal.aborted) showAnswer(answered);
}

// `data`: a /search response, a page of results or (grouped) of debates.
function showResults(data, state) {
  $("results-title").textContent = `Results for “${data.query}”`;
  const shown = data.groups || data.results;
  $("results").replaceChildren(...shown.map((item, n) => el("li", {}, data.groups
    ? debateGroup(item, data.offset + n + 1, state) : card(item, data.offset + n + 1, state))));
  if (!shown.length) {
    setStatus("No results.");
    showEmpty(data, state);
    return;
  }
  const span = `${number(data.offset + 1)}–${number(data.offset + shown.length)}`;
  const order = SORT_LABELS[data.sort] || data.sort;
  const by = `by ${MODE_LABELS[data.mode] || data.mode}`;
  const filtered = Object.keys(data.filters).length ? " that pass the filters" : "";
  const matching = `${number(data.total)} ${plural(data.total, "contribution")
  } that match closely${filtered}`;
  if (data.groups) {
    setStatus(`Debates ${span} of ${number(data.total_groups)}, ${order}, holding the ${
      matching}, ${by}.`);
  } else if (data.sort !== "relevance") {
    setStatus(`Results ${span}, ${order}, of the ${matching}, ${by}.`);
  } else {
    setStatus(`Results ${span}, best first, ${by}, among ${number(data.total)} contributions${
      filtered}; ${number(data.matches)} match closely.`);
  }
  showUnderstood(data.understood, state);
  showPager(state, data.offset + shown.length < (data.groups ? data.total_groups : data.total));
}

const plural = (n, word) => (n === 1 ? word : `${word}s`);

// One debate of grouped results: its heading, its best matches, a way to see all of them.
function debateGroup(group, n, state) {
  const { debate } = group;
  const house = houseClass(debate.house);
  const more = group.count > group.results.length;
  const everyOne = { ...without(state, "group", "page"), debate: debate.title,
    house: debate.house, date_from: debate.date, date_to: debate.date };
  return el("section", { class: `debate-group ${house}`, "aria-labelledby": `debate-${n}` },
    el("h3", { id: `debate-${n}`, class: "debate-title" }, debate.title || "Untitled debate"),
    el("p", { class: "meta" }, el("span", { class: `house-tag ${house}` }, debate.house), " ",
      el("time", { datetime: debate.date }, formatDate(debate.date)),
      ` · ${number(group.count)} matching ${plural(group.count, "contribution")}`),
    el("ol", { class: "results group-results" }, group.results.map((item, i) => el("li", {},
      card(item, `${n}-${i + 1}`, state, { level: 4 })))),
    more ? el("p", { class: "group-more" }, el("a", { href: stateUrl(everyOne),
      "data-internal": true }, `All ${number(group.count)} matches in this debate`)) : null);
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
  const browsing = state.sort || state.group; // the close matches only
  if (browsing) {
    tips.push(suggestion("list every contribution that passes, best match first",
      without(state, "sort", "group", "page")));
  }
  let title = "No results.";
  if (data.offset > 0) {
    title = "No more results.";
    tips.unshift(suggestion("go back to the first page", without(state, "page")));
  } else if (browsing) {
    title = "No contribution that passes these filters matches the search closely.";
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

// Who spoke most: the speaker facet; a name filters to that speaker (by person id) -----------

function showTopSpeakers(data, state) {
  const listed = ((data.facets && data.facets.speaker) || [])
    .filter((s) => s.value).slice(0, TOP_SPEAKERS_SHOWN);
  if (!listed.length || state.speaker) return;
  $("top-speakers-list").replaceChildren(...listed.map((s) => {
    const said = `${number(s.count)} matching ${plural(s.count, "contribution")}`;
    const about = [s.office, s.party].filter(Boolean).join("; ");
    return el("li", {}, el("a", {
      href: stateUrl({ ...without(state, "page"), speaker: s.value }), "data-internal": true,
      "aria-label": `${s.name}: ${said}; show only theirs`,
    }, s.name), " ", el("span", { class: "speaker-count" }, `(${number(s.count)})`),
    about ? el("span", { class: "speaker-about" }, ` ${about}`) : "");
  }));
  $("top-speakers-help").textContent = `Speakers of the ${number(data.matches)} `
    + "contributions that match closely, most first (office: at their best match). "
    + "Choose a name to see only theirs.";
  $("top-speakers").hidden = false;
}

// The timeline ----------------------------------------------------------------------------

// A period of the date facet: "2009-10-26" (day), "2009-10" (month) or "2009" (year).
function period(value, unit) {
  const [y, m = 1, d = 1] = value.split("-").map(Number);
  const start = new Date(Date.UTC(y, m - 1, d));
  const end = unit === "day" ? start
    : new Date(Date.UTC(unit === "month" ? y : y + 1, unit === "month" ? m : 0, 0));
  const after = new Date(end.getTime() + 86_400_000);
  const iso = (date) => date.toISOString().slice(0, 10);
  const format = (options) => start.toLocaleDateString("en-GB", { timeZone: "UTC", ...options });
  return {
    value, from: iso(start), to: iso(end),
    next: iso(after).slice(0, value.length),
    label: unit === "day" ? formatDate(value)
      : format(unit === "month" ? { month: "long", year: "numeric" } : { year: "numeric" }),
    short: unit === "day" ? format({ day: "numeric", month: "short" })
      : format(unit === "month" ? { month: "short", year: "2-digit" } : { year: "numeric" }),
  };
}

// Every period from the first match's to the last's, those without matches included, so the
// bars stand on a true time axis.
function periods(counts, unit) {
  const byValue = new Map(counts.filter((c) => c.value).map((c) => [c.value, c.count]));
  const values = [...byValue.keys()];
  if (!values.length) return [];
  const last = values[values.length - 1];
  const all = [];
  for (let p = period(values[0], unit); all.length <= 400; p = period(p.next, unit)) {
    all.push({ ...p, count: byValue.get(p.value) || 0 });
    if (p.value >= last) break;
  }
  return all;
}

function showTimeline(data, state) {
  const unit = data.facet_date_unit;
  const all = unit ? periods(data.facets.date, unit) : [];
  if (!all.length) return;
  const most = Math.max(...all.map((p) => p.count));
  const labelEvery = Math.ceil(all.length / 12);
  const bars = all.map((p, i) => {
    const fill = el("span", { class: "fill" });
    fill.style.setProperty("--share", String(p.count / most)); // CSSOM: allowed by the CSP
    const shown = el("span", { class: "bar-label", hidden: i % labelEvery !== 0 }, p.short);
    const count = el("span", { class: "bar-count", hidden: labelEvery > 1 || !p.count },
      number(p.count));
    const said = `${p.label}: ${number(p.count)} matching ${plural(p.count, "contribution")}`;
    if (!p.count) {
      return el("li", { class: "none", title: said }, fill, shown,
        el("span", { class: "visually-hidden" }, said));
    }
    const current = state.date_from === p.from && state.date_to === p.to;
    return el("li", {}, el("a", {
      class: "bar", href: stateUrl({ ...without(state, "page"), date_from: p.from,
        date_to: p.to }), "data-internal": true, title: said, "aria-current": current && "true",
      "aria-label": `${said}; show only ${unit === "day" ? "that day" : `that ${unit}`}`,
    }, count, fill, shown));
  });
  $("timeline-bars").replaceChildren(...bars);
  const span = `${all[0].label} to ${all[all.length - 1].label}`;
  const dated = state.date_from || state.date_to;
  $("timeline-help").replaceChildren(`The ${number(data.matches)} contributions that match `
    + `closely, by ${unit}, ${span}. Choose a bar to see only that ${unit}. `,
  dated ? el("a", { href: stateUrl(without(state, "date_from", "date_to", "page")),
    "data-internal": true }, "Every date") : "");
  $("timeline-caption").textContent = `Contributions that match closely, by ${unit}, ${span}`;
  $("timeline-rows").replaceChildren(...all.map((p) => el("tr", {},
    el("th", { scope: "row" }, p.label), el("td", {}, number(p.count)))));
  $("timeline").hidden = false;
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
    if (focus) article.querySelector(".speaker").focus();
  } catch (err) {
    if (signal.aborted) return;
    $("results").replaceChildren();
    setStatus("");
    showError(el("p", {}, el("strong", {}, "This contribution could not be shown. "), err.message));
  }
}

// A whole debate: its contributions in the record's order, the page holding `at` marked.
async function showDebate(state, focus, signal) {
  $("results-title").textContent = "The debate";
  setStatus("Loading the debate…");
  if (state.q) {
    $("crumbs").replaceChildren(el("a", { href: stateUrl(without(state, "debate_id", "at",
      "from")), "data-internal": true }, `← Results for “${state.q}”`));
    $("crumbs").hidden = false;
  }
  const params = { limit: String(DEBATE_PAGE) };
  if (state.at) params.around = state.at;
  else if (state.from) params.offset = state.from;
  try {
    const d = await fetchJson(apiPath("/debates", state.debate_id), params, { signal });
    if (signal.aborted) return;
    const h = d.debate;
    const house = houseClass(h.house);
    const official = safeUrl(h.source_url);
    const head = el("li", { class: `debate-view-head ${house}` },
      el("h3", { class: "debate-view-title", tabindex: "-1" }, h.title || "Untitled debate"),
      el("p", { class: "meta" }, el("span", { class: `house-tag ${house}` }, h.house), " ",
        el("time", { datetime: h.date }, formatDate(h.date)),
        ` · ${number(h.contributions)} contributions`,
        official ? [" · ", el("a", { href: official, class: "official",
          rel: "noopener noreferrer" }, "Official record")] : null));
    const entries = d.contributions.map((c) => {
      const current = c.id === state.at;
      return el("li", { class: `debate-entry${current ? " current" : ""}`, "data-id": c.id,
        "aria-current": current ? "true" : null },
      el("p", { class: "debate-entry-head" },
        el("a", { href: contributionUrl(c.id, without(state, "debate_id", "at", "from")),
          "data-internal": true, "data-focus": true }, speakerName(c.speaker) || "Unattributed"),
        roleLine(c.speaker) ? ` · ${roleLine(c.speaker)}` : "",
        ` · ${kindLabel(c.kind)}`, c.time ? ` · ${c.time.slice(0, 5)}` : ""),
      el("p", { class: "debate-entry-text" }, c.first_sentence));
    });
    $("results").replaceChildren(head, ...entries);
    const link = (offset, text, rel) => el("a", { href: stateUrl({ ...without(state, "at"),
      from: String(offset) }), rel, "data-internal": true }, text);
    $("pager").replaceChildren(
      d.offset > 0 ? link(Math.max(0, d.offset - d.limit), "← Earlier", "prev") : el("span"),
      el("span", { class: "page-number" }, `${number(d.offset + 1)}–${number(
        d.offset + d.contributions.length)} of ${number(h.contributions)}`),
      d.next_offset !== null ? link(d.next_offset, "Later →", "next") : el("span"));
    $("pager").hidden = d.offset === 0 && d.next_offset === null;
    setStatus(`${h.title}: ${number(h.contributions)} contributions.`);
    const marked = $("results").querySelector(".debate-entry.current");
    if (marked) marked.scrollIntoView({ block: "center" });
    if (focus) head.querySelector("h3").focus();
  } catch (err) {
    if (signal.aborted) return;
    $("results").replaceChildren();
    setStatus("");
    showError(el("p", {}, el("strong", {}, "This debate could not be shown. "), err.message));
  }
}

// Cards -------------------------------------------------------------------------------------

const houseClass = (house) => (/lords|commons/i.exec(house) || ["other"])[0].toLowerCase();

// `level`: of the speaker's heading (4 inside a debate's group).
function card(item, n, state, { expanded = false, level = 3 } = {}) {
  const id = `card-${n}`;
  const house = houseClass(item.house);
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
    el(`h${level}`, { id: `${id}-name`, class: "speaker", tabindex: "-1" }, speakerName(s)),
    roleLine(s) ? el("p", { class: "role" }, roleLine(s)) : null,
    el("p", { class: "meta" },
      el("span", { class: `house-tag ${house}` }, item.house), " ",
      el("time", { datetime: item.date }, formatDate(item.date)), " · ", kind,
      item.column ? ` · col. ${item.column}` : ""),
    item.debate.title ? el("p", { class: "debate" }, item.debate.id
      ? el("a", { href: debateUrl(item.debate.id, item.id, state), "data-internal": true,
        class: "debate-link", title: "The whole debate" }, item.debate.title)
      : item.debate.title) : null),
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
      target.querySelector(".speaker").focus({ preventScroll: true });
    },
  }, text);
}

// Filters and speakers -----------------------------------------------------------------------

async function loadChoices() {
  let stats;
  try {
    stats = await fetchJson("/stats");
  } catch (err) {
    // An index being built is not a problem: the notice above the form says how far it is.
    indexProblem = err.code === "index_building" ? null
      : el("p", {}, el("strong", {}, "The index is not available. "), err.message);
    return;
  }
  indexProblem = null;
  // Options from the URL (data-extra) and from /stats when the index was smaller.
  document.querySelectorAll("option[data-name]").forEach((o) => o.remove());
  // data-name: the option's name; data-total: its count in the whole index, where /stats has it.
  const option = (value, name, total) => el("option", { value, "data-name": name,
    "data-total": total }, total === undefined ? name : `${name} (${number(total)})`);
  for (const [parliament, n] of Object.entries(stats.by_parliament)) {
    if (!parliament) continue; // benchmark collections have no parliament
    $("parliament").append(option(parliament, parliament, n));
  }
  for (const [house, n] of Object.entries(stats.by_house)) {
    $("house").append(option(house, house, n));
  }
  for (const [kind, n] of Object.entries(stats.by_kind)) {
    $("kind").append(option(kind, kindLabel(kind), n.contributions));
  }
  for (const party of stats.parties) $("party").append(option(party, party));
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

// Beside each option of the counted filters, how many of the query's matches have that value
// (`facets` of /search); with no query (null), the index's own counts. A filter that is set
// counts only its own value: the others would count nothing under it, not what choosing them
// would find.
function showCounts(facets, state) {
  for (const name of COUNTED) {
    const counts = facets && new Map(facets[name].map((c) => [c.value, c.count]));
    for (const option of $(name).options) {
      if (!option.value) continue;
      let count = option.dataset.total;
      if (counts) count = state[name] && option.value !== state[name]
        ? undefined : counts.get(option.value) || 0;
      option.textContent = count === undefined
        ? option.dataset.name : `${option.dataset.name} (${number(count)})`;
    }
  }
  $("counts-help").hidden = !facets;
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

// The index being built ----------------------------------------------------------------------

// While the server builds its index (`serve --build`), say how far it has got (/health), and
// load the filters and the view again once the first files can be searched and once the last
// are in.
async function followBuild() {
  let health = null;
  let failure = null;
  try {
    health = await fetchJson("/health");
  } catch (err) {
    failure = err;
  }
  const waiting = failure !== null && failure.code === "index_building"; // nothing to search
  const building = health !== null && health.building !== null;
  let notice = "";
  if (building) {
    const { done, total } = health.building;
    notice = `Indexing ${number(done)} of ${number(total)} files: searches cover the files `
      + "indexed so far; the rest are added as they are ready.";
  } else if (waiting) {
    notice = `${failure.message.charAt(0).toUpperCase()}${failure.message.slice(1)}.`;
  } else if (health && health.build_error) {
    notice = `Indexing stopped: ${health.build_error}`;
  }
  $("indexing").textContent = notice;
  $("indexing").hidden = !notice;
  const grew = health !== null && (buildFollowed === "waiting"
    || (buildFollowed === "building" && !building));
  buildFollowed = building ? "building" : waiting && "waiting";
  if (grew) {
    await loadChoices();
    fillFilters(readState());
    render(readState(), false);
  }
  if (buildFollowed) setTimeout(followBuild, BUILD_POLL_MS);
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
  for (const name of ["parliament", "party", "house", "kind", "date_from", "date_to", "debate",
    "group"]) {
    $(name).addEventListener("change", () => commit());
  }
  for (const radio of form.querySelectorAll("input[name=mode], input[name=sort]")) {
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
  followBuild();
}

start();
