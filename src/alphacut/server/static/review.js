// alphacut review page: show an image's candidate cutouts side by side, vote with a click or a key.
// Review is blind on the server: until you vote on an image its candidates come as tokens, in an
// order shuffled for you, with no votes; your vote's answer names them and gives the tally.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const params = new URLSearchParams(location.search);
const reviewName = params.get("name");
const seen = []; // item ids this reviewer has seen, for "back"
let current = null;
let order = []; // candidate tokens in display order (key 1 = order[0])
let busy = false;

const keyInput = $("#api-key"), reviewerInput = $("#reviewer"), bgInput = $("#bg");
keyInput.value = localStorage.getItem("alphacut-api-key") || "";
reviewerInput.value = localStorage.getItem("alphacut-reviewer") || "";
bgInput.value = localStorage.getItem("alphacut-review-bg") || bgInput.value;
keyInput.addEventListener("change", () => { localStorage.setItem("alphacut-api-key", keyInput.value.trim()); start(); });
reviewerInput.addEventListener("change", () => { localStorage.setItem("alphacut-reviewer", reviewerInput.value.trim()); start(); });
bgInput.addEventListener("input", () => { localStorage.setItem("alphacut-review-bg", bgInput.value); paintColour(); });

const reviewer = () => reviewerInput.value.trim();
const headers = () => (keyInput.value.trim() ? { Authorization: `Bearer ${keyInput.value.trim()}` } : {});
const base = () => `/v1/reviews/${encodeURIComponent(reviewName)}`;

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...headers(), ...(options.headers || {}) } });
  if (response.status === 401) $(".key").open = true;
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new Error(detail);
  }
  return response;
}

async function blobURL(path) {
  return URL.createObjectURL(await (await api(path)).blob()); // fetched with the key, not put in the URL
}

// -- list of reviews ---------------------------------------------------------------------------

async function showList() {
  $("#list").hidden = false;
  const body = await (await api("/v1/reviews")).json();
  $("#reviews").replaceChildren(...body.reviews.map((review) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/review?name=${encodeURIComponent(review.name)}`;
    link.textContent = review.name;
    const p = review.progress;
    li.append(link, ` \u2014 ${p.voted_items}/${p.items} images voted, ${p.votes} votes, candidates: ${review.labels.join(", ")}`);
    return li;
  }));
}

// -- voting ------------------------------------------------------------------------------------

async function start() {
  if (!reviewName) return showList().catch(report);
  $("#title").textContent = `\u2014 ${reviewName}`;
  $("#voting").hidden = false;
  if (!reviewer()) { reviewerInput.focus(); reviewerInput.placeholder = "enter your name to vote"; return; }
  await loadNext();
}

async function loadNext(after) {
  const query = new URLSearchParams({ reviewer: reviewer() });
  if (after !== undefined) query.set("after", after);
  try {
    const body = await (await api(`${base()}/next?${query}`)).json();
    updateProgress(body.voted_by_you, body.total);
    $("#done").hidden = !body.done;
    $("#item").hidden = body.done;
    if (!body.done) await show(body.item);
  } catch (error) { report(error); }
}

async function loadItem(id) {
  const query = new URLSearchParams({ reviewer: reviewer() });
  await show(await (await api(`${base()}/items/${id}?${query}`)).json());
}

function updateProgress(mine, total) {
  $("#progress").max = total;
  $("#progress").value = mine;
  $("#progress-text").textContent = `${mine} of ${total} images voted by you`;
}

async function show(item) {
  // Fetch everything first, then swap the page at once: a key pressed meanwhile cannot hit
  // the previous image's candidates.
  $("#item").dataset.ready = "false";
  const tokens = item.candidates; // already in this reviewer's order
  const original = await blobURL(`${base()}/items/${item.id}/image`);
  const urls = await Promise.all(tokens.map((token) => blobURL(`${base()}/items/${item.id}/candidates/${encodeURIComponent(token)}`)));
  const cards = tokens.map((token, index) => {
    const card = $("#candidate").content.firstElementChild.cloneNode(true);
    card.dataset.choice = token;
    $(".key-number", card).textContent = index + 1;
    card.querySelectorAll("img").forEach((img) => { img.src = urls[index]; });
    card.addEventListener("click", () => vote(token));
    return card;
  });
  document.querySelectorAll("#item img").forEach((img) => { if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src); });
  current = item;
  order = tokens;
  if (seen[seen.length - 1] !== item.id) seen.push(item.id);
  $("#item-name").textContent = item.name;
  $("#original").src = original;
  $("#candidates").replaceChildren(...cards);
  paintColour();
  render(item);
  $("#item").dataset.ready = "true";
}

function render(item) {
  for (const card of document.querySelectorAll(".candidate")) {
    const token = card.dataset.choice;
    $(".label", card).textContent = item.blind ? `candidate ${order.indexOf(token) + 1}` : item.labels[token];
    card.classList.toggle("chosen", item.your_vote === token);
  }
  $("#none").classList.toggle("active", item.your_vote === "none");
  if (item.blind) {
    $("#tally").textContent = "names and votes are shown once you have voted";
  } else {
    const counts = Object.entries(item.counts).map(([label, count]) => `${label}: ${count}`).join(", ");
    const agreement = item.agreement === null ? "" : `, agreement ${Math.round(item.agreement * 100)}%`;
    $("#tally").textContent = `${item.total} vote(s) so far \u2014 ${counts}${agreement}`;
  }
}

function paintColour() {
  document.querySelectorAll(".view.coloured").forEach((view) => { view.style.background = bgInput.value; });
}

async function vote(choice) {
  if (!current || busy || !reviewer()) { if (!reviewer()) reviewerInput.focus(); return; }
  busy = true;
  try {
    const body = JSON.stringify({ reviewer: reviewer(), choice });
    const updated = await (await api(`${base()}/items/${current.id}/vote`, {
      method: "POST", body, headers: { "Content-Type": "application/json" },
    })).json();
    render(updated);
    await loadNext(current.id);
  } catch (error) {
    report(error);
  } finally {
    busy = false;
  }
}

function report(error) {
  $("#tally").textContent = `error: ${error.message}`;
}

$("#none").addEventListener("click", () => vote("none"));
$("#skip").addEventListener("click", () => current && loadNext(current.id));
$("#back").addEventListener("click", () => {
  if (seen.length > 1) { seen.pop(); loadItem(seen[seen.length - 1]).catch(report); }
});
$("#again").addEventListener("click", () => loadNext());
$("#show-table").addEventListener("click", async () => {
  const table = $("#table");
  table.hidden = !table.hidden;
  if (table.hidden) return;
  const summary = await (await api(`${base()}?${new URLSearchParams({ reviewer: reviewer() })}`)).json();
  $("tbody", table).replaceChildren(...summary.items.map((entry) => {
    const row = document.createElement("tr");
    const agreement = entry.agreement === null || entry.blind ? "" : `${Math.round(entry.agreement * 100)}%`;
    const cells = entry.blind ? [entry.name, "vote to see", "", ""] : [entry.name, entry.total, entry.winner || "", agreement];
    for (const text of cells) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    return row;
  }));
});

document.addEventListener("keydown", (event) => {
  if (event.target instanceof HTMLInputElement || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "0" || event.key === "n") vote("none");
  else if (/^[1-9]$/.test(event.key) && Number(event.key) <= order.length) vote(order[Number(event.key) - 1]);
  else if (event.key === "s" || event.key === "ArrowRight") $("#skip").click();
  else if (event.key === "ArrowLeft") $("#back").click();
  else return;
  event.preventDefault();
});

start();
