// alphacut web page, objects as layers: after a cutout, "Layers" splits the photo into one layer
// per object plus a clean background plate (POST /v1/layers). The panel lists the layers with
// thumbnails and eye toggles, a click on the picture selects the object there, "Remove object"
// hides it with its edge and shadow layers (the plate shows through), and the layers download as
// PSD, ORA or ZIP.
"use strict";

(() => {
  const pick = (selector, root = document) => root.querySelector(selector);

  function authHeaders() {
    const key = (pick("#api-key") || { value: "" }).value.trim();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  async function photoOf(card) {
    return (await fetch(pick(".before", card).src)).blob(); // the uploaded file, kept by the card
  }

  async function post(card, format) {
    const form = new FormData();
    form.append("file", await photoOf(card), pick(".name", card).textContent || "image.png");
    const query = new URLSearchParams({ format, preset: pick("#preset").value });
    if (pick("#model").value) query.set("model", pick("#model").value);
    const response = await fetch(`/v1/layers?${query}`, { method: "POST", body: form, headers: authHeaders() });
    if (!response.ok) {
      let detail = response.statusText;
      try { detail = (await response.json()).detail || detail; } catch (error) { /* not JSON */ }
      throw new Error(detail);
    }
    return response;
  }

  function loadImage(url) {
    return new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = reject;
      image.src = url;
    });
  }

  async function openPanel(card) {
    const panel = pick(".layers", card), status = pick(".layers-status", panel);
    panel.hidden = false;
    status.textContent = "finding objects...";
    panel.dataset.state = "working";
    try {
      const listing = await (await post(card, "json")).json();
      const layers = await Promise.all(listing.layers.map(async (layer) => {
        const image = await loadImage(layer.png);
        const scratch = document.createElement("canvas");
        scratch.width = image.width;
        scratch.height = image.height;
        scratch.getContext("2d").drawImage(image, 0, 0);
        return { ...layer, image, pixels: scratch.getContext("2d").getImageData(0, 0, image.width, image.height).data };
      }));
      showLayers(card, panel, listing, layers);
      status.textContent = `${layers.filter((layer) => layer.kind === "object").length} object(s) and the background`;
      panel.dataset.state = "ready";
    } catch (error) {
      status.textContent = `failed: ${error.message}`;
      panel.dataset.state = "failed";
    }
  }

  function showLayers(card, panel, listing, layers) {
    const canvas = pick("canvas.layers-view", panel), list = pick(".layers-list", panel);
    canvas.width = listing.width;
    canvas.height = listing.height;
    let selected = null;
    const draw = () => {
      const context = canvas.getContext("2d");
      context.clearRect(0, 0, canvas.width, canvas.height);
      for (const layer of layers) if (layer.visible) context.drawImage(layer.image, layer.box[0], layer.box[1]);
    };
    const select = (layer) => {
      selected = layer;
      list.querySelectorAll("li").forEach((row, index) => row.classList.toggle("selected", layers[index] === layer));
      pick(".layers-remove", panel).disabled = !layer || layer.kind !== "object";
    };
    list.replaceChildren(...layers.map((layer) => {
      const row = document.createElement("li");
      const eye = document.createElement("input");
      eye.type = "checkbox";
      eye.checked = layer.visible;
      eye.className = "eye";
      eye.setAttribute("aria-label", `show ${layer.name}`);
      eye.addEventListener("change", () => { layer.visible = eye.checked; draw(); });
      const thumbnail = document.createElement("img");
      thumbnail.src = layer.png;
      thumbnail.alt = layer.name;
      const label = document.createElement("span");
      label.textContent = layer.kind === "object" ? `${layer.name} (score ${layer.score.toFixed(2)})` : layer.name;
      row.append(eye, thumbnail, label);
      row.addEventListener("click", (event) => { if (event.target !== eye) select(layer); });
      layer.eye = eye;
      return row;
    }));
    canvas.onclick = (event) => {
      const box = canvas.getBoundingClientRect();
      const x = Math.floor((event.clientX - box.left) * (canvas.width / box.width));
      const y = Math.floor((event.clientY - box.top) * (canvas.height / box.height));
      const hit = layers.slice().reverse().find((layer) => layer.visible && layer.kind === "object" && alphaAt(layer, x, y) > 127);
      select(hit || null);
    };
    pick(".layers-remove", panel).onclick = () => {
      if (!selected || selected.kind !== "object") return;
      // the object, its edge on the background and its shadow: the clean plate shows through
      for (const layer of layers) {
        if (layer === selected || layer.of === selected.name) { layer.visible = false; layer.eye.checked = false; }
      }
      draw();
    };
    select(null);
    draw();
  }

  function alphaAt(layer, x, y) {
    const [x0, y0, x1, y1] = layer.box;
    if (x < x0 || y < y0 || x >= x1 || y >= y1) return 0;
    return layer.pixels[((y - y0) * (x1 - x0) + (x - x0)) * 4 + 3];
  }

  async function download(card, format) {
    const status = pick(".layers-status", card);
    try {
      const blob = await (await post(card, format)).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      const stem = (pick(".name", card).textContent || "image").replace(/\.[^.]*$/, "");
      link.download = `${stem}.layers.${format}`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
    } catch (error) {
      status.textContent = `download failed: ${error.message}`;
    }
  }

  document.addEventListener("click", (event) => {
    const card = event.target.closest && event.target.closest("article.card");
    if (!card) return;
    if (event.target.closest("button.layers-toggle")) openPanel(card);
    const format = event.target.closest("button[data-layers-download]");
    if (format) download(card, format.dataset.layersDownload);
  });
})();
