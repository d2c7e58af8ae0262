// alphacut web page: upload images, watch progress, compare before/after, set a background,
// paint keep/remove strokes, download one PNG or a zip. Talks only to this server's /v1 API.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const MAX_PARALLEL = 2; // the server queues the rest; more in flight only earns 503s
const items = [];
const waiting = [];
let running = 0;
let backgroundImageURL = null;

// -- API key ---------------------------------------------------------------------------------

const keyInput = $("#api-key");
keyInput.value = localStorage.getItem("alphacut-api-key") || "";
keyInput.addEventListener("change", () => {
  localStorage.setItem("alphacut-api-key", keyInput.value.trim());
  loadModels();
});
function authHeaders() {
  const key = keyInput.value.trim();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

async function loadModels() {
  const select = $("#model");
  try {
    const response = await fetch("/v1/models", { headers: authHeaders() });
    if (response.status === 401) { $(".key").open = true; return; }
    const body = await response.json();
    select.replaceChildren(...body.models.map((model) => new Option(model.name, model.name, model.name === body.default)));
  } catch (error) {
    console.warn("models:", error);
  }
}

// -- options ---------------------------------------------------------------------------------

const bgKind = $("#bg-kind"), bgColor = $("#bg-color"), bgImage = $("#bg-image");
bgKind.addEventListener("change", () => {
  bgColor.hidden = bgKind.value !== "color";
  bgImage.hidden = bgKind.value !== "image";
  items.forEach(paintBackdrop);
});
bgColor.addEventListener("input", () => items.forEach(paintBackdrop));
bgImage.addEventListener("change", () => {
  if (backgroundImageURL) URL.revokeObjectURL(backgroundImageURL);
  backgroundImageURL = bgImage.files[0] ? URL.createObjectURL(bgImage.files[0]) : null;
  items.forEach(paintBackdrop);
});
for (const id of ["#crop", "#model", "#preset"]) {
  $(id).addEventListener("change", () => items.filter((item) => item.result).forEach(schedule));
}

function paintBackdrop(item) {
  const backdrop = $(".backdrop", item.card);
  backdrop.className = "backdrop";
  backdrop.style.background = "";
  if (bgKind.value === "color") backdrop.style.background = bgColor.value;
  else if (bgKind.value === "image" && backgroundImageURL) backdrop.style.background = `center / cover no-repeat url("${backgroundImageURL}")`;
  else backdrop.classList.add("checker");
}

// -- files -----------------------------------------------------------------------------------

const drop = $("#drop"), picker = $("#files");
picker.addEventListener("change", () => { addFiles(picker.files); picker.value = ""; });
drop.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") picker.click(); });
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add("over"); });
}
for (const type of ["dragleave", "drop"]) {
  drop.addEventListener(type, () => drop.classList.remove("over"));
}
drop.addEventListener("drop", (event) => { event.preventDefault(); addFiles(event.dataTransfer.files); });
window.addEventListener("dragover", (event) => event.preventDefault());
window.addEventListener("drop", (event) => event.preventDefault());

function addFiles(files) {
  for (const file of files) {
    if (!file.type.startsWith("image/") && !/\.(png|jpe?g|webp|gif|bmp|tiff?|avif|heic)$/i.test(file.name)) continue;
    const item = createItem(file);
    items.push(item);
    schedule(item);
  }
  updateBulk();
}

function createItem(file) {
  const card = $("#card").content.firstElementChild.cloneNode(true);
  const item = { file, card, result: null, resultURL: null, strokes: false, brushing: false };
  item.stem = file.name.replace(/\.[^.]*$/, "") || "image";
  $(".name", card).textContent = file.name;
  $(".before", card).src = URL.createObjectURL(file);
  $(".slider", card).addEventListener("input", (event) => {
    $(".before", card).style.clipPath = `inset(0 ${100 - event.target.value}% 0 0)`;
  });
  $(".download", card).addEventListener("click", () => download(item));
  setUpBrush(item);
  paintBackdrop(item);
  $("#results").prepend(card);
  return item;
}

// -- processing ------------------------------------------------------------------------------

function schedule(item) {
  if (!waiting.includes(item)) waiting.push(item);
  setStatus(item, "waiting", 0);
  pump();
}

function pump() {
  while (running < MAX_PARALLEL && waiting.length) {
    const item = waiting.shift();
    running += 1;
    process(item).finally(() => { running -= 1; pump(); updateBulk(); });
  }
}

function setStatus(item, text, percent, failed = false) {
  $(".status", item.card).textContent = text;
  const bar = $("progress", item.card);
  if (percent === null) bar.removeAttribute("value"); else bar.value = percent;
  item.card.classList.toggle("failed", failed);
  item.card.dataset.state = failed ? "failed" : text;
}

async function formFor(item) {
  const form = new FormData();
  form.append("file", item.file, item.file.name);
  form.append("preset", $("#preset").value);
  if ($("#model").value) form.append("model", $("#model").value);
  if ($("#crop").checked) form.append("crop", "true");
  if (item.strokes) {
    const blob = await new Promise((resolve) => $(".strokes", item.card).toBlob(resolve, "image/png"));
    form.append("hints", blob, "hints.png");
  }
  return form;
}

async function process(item) {
  const form = await formFor(item);
  for (;;) {
    const response = await send(item, form);
    if (response.status === 200) return showResult(item, response.response);
    if (response.status === 503) {
      const seconds = Number(response.getResponseHeader("Retry-After")) || 2;
      setStatus(item, `server busy, retrying in ${seconds} s`, null);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    let detail = `HTTP ${response.status}`;
    try { detail = JSON.parse(await response.response.text()).detail || detail; } catch (_) { /* not JSON */ }
    if (response.status === 401) $(".key").open = true;
    setStatus(item, detail, 0, true);
    return;
  }
}

function send(item, form) {
  return new Promise((resolve) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/v1/remove");
    request.responseType = "blob";
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) setStatus(item, "uploading", Math.round((event.loaded / event.total) * 50));
    };
    request.upload.onload = () => setStatus(item, "processing", null);
    request.onload = () => resolve(request);
    request.onerror = () => resolve({ status: 0, response: new Blob(["network error"]), getResponseHeader: () => null });
    setStatus(item, "uploading", 0);
    request.send(form);
  });
}

function showResult(item, blob) {
  if (item.resultURL) URL.revokeObjectURL(item.resultURL);
  item.result = blob;
  item.resultURL = URL.createObjectURL(blob);
  const after = $(".after", item.card);
  after.src = item.resultURL;
  const cropped = $("#crop").checked;
  $(".before", item.card).hidden = cropped; // a cropped result no longer lines up with the original
  $(".slider", item.card).hidden = cropped;
  $(".download", item.card).disabled = false;
  $(".brush-toggle", item.card).disabled = false;
  setStatus(item, "done", 100);
}

// -- brush hints -----------------------------------------------------------------------------

function setUpBrush(item) {
  const card = item.card, canvas = $(".strokes", card), compare = $(".compare", card), before = $(".before", card);
  const tools = $(".brush-tools", card), toggle = $(".brush-toggle", card);
  const radios = tools.querySelectorAll("input[type=radio]");
  const group = `mode-${Math.random().toString(36).slice(2)}`; // one radio group per card
  radios.forEach((radio) => { radio.name = group; });
  toggle.addEventListener("click", () => {
    item.brushing = !item.brushing;
    toggle.classList.toggle("active", item.brushing);
    compare.classList.toggle("brushing", item.brushing);
    tools.hidden = !item.brushing;
    canvas.hidden = !item.brushing;
    before.hidden = false;
    if (item.brushing && canvas.width !== before.naturalWidth) {
      canvas.width = before.naturalWidth;
      canvas.height = before.naturalHeight;
    }
  });
  let last = null;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  };
  const paint = (event) => {
    const context = canvas.getContext("2d");
    const keep = tools.querySelector("input[value=keep]").checked;
    const scale = canvas.width / canvas.getBoundingClientRect().width;
    context.strokeStyle = keep ? "rgb(255,0,0)" : "rgb(0,0,255)";
    context.lineWidth = Number($(".brush-size", card).value) * scale;
    context.lineCap = context.lineJoin = "round";
    const next = point(event);
    context.beginPath();
    context.moveTo(...(last || next));
    context.lineTo(...next);
    context.stroke();
    last = next;
  };
  canvas.addEventListener("pointerdown", (event) => { canvas.setPointerCapture(event.pointerId); last = null; paint(event); });
  canvas.addEventListener("pointermove", (event) => { if (last) paint(event); });
  canvas.addEventListener("pointerup", () => { last = null; });
  $(".brush-clear", card).addEventListener("click", () => {
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    item.strokes = false;
  });
  $(".brush-apply", card).addEventListener("click", () => {
    item.strokes = true;
    toggle.click();
    schedule(item);
  });
}

// -- downloads -------------------------------------------------------------------------------

async function composed(item) {
  if (bgKind.value === "none" || (bgKind.value === "image" && !backgroundImageURL)) return item.result;
  const cutout = await createImageBitmap(item.result);
  const canvas = document.createElement("canvas");
  canvas.width = cutout.width;
  canvas.height = cutout.height;
  const context = canvas.getContext("2d");
  if (bgKind.value === "color") {
    context.fillStyle = bgColor.value;
    context.fillRect(0, 0, canvas.width, canvas.height);
  } else {
    const background = await createImageBitmap(bgImage.files[0]);
    const scale = Math.max(canvas.width / background.width, canvas.height / background.height); // cover
    const width = background.width * scale, height = background.height * scale;
    context.drawImage(background, (canvas.width - width) / 2, (canvas.height - height) / 2, width, height);
  }
  context.drawImage(cutout, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
}

function save(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

async function download(item) {
  save(await composed(item), `${item.stem}.png`);
}

$("#download-all").addEventListener("click", async () => {
  const done = items.filter((item) => item.result);
  const files = [];
  for (const item of done) files.push({ name: `${item.stem}.png`, bytes: new Uint8Array(await (await composed(item)).arrayBuffer()) });
  save(window.makeZip(files), "alphacut-cutouts.zip");
});

function updateBulk() {
  const done = items.filter((item) => item.result).length;
  $("#bulk").hidden = items.length < 2;
  $("#download-all").disabled = done === 0;
  $("#summary").textContent = `${done} of ${items.length} done`;
}

loadModels();
