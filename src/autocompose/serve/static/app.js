// autocompose search page: plain JS, no external resources.
"use strict";
const $ = (id) => document.getElementById(id);
let reference = null;   // {id} or {joints}
let galleryOffset = 0;
const PAGE = 36;

function setStatus(msg) { $("status").textContent = msg || ""; }

async function api(path, options) {
  const resp = await fetch(path, options);
  if (!resp.ok) {
    let detail = resp.statusText;
    try { const body = await resp.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); } catch (e) { /* not JSON */ }
    throw new Error(`${resp.status}: ${detail}`);
  }
  return resp;
}

async function showReference(ref, label) {
  reference = ref;
  $("ref-label").textContent = label;
  if (ref.id) {
    $("ref-img").src = `/poses/${encodeURIComponent(ref.id)}.png?size=220`;
  } else {
    const resp = await api("/render?size=220", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(ref) });
    $("ref-img").src = URL.createObjectURL(await resp.blob());
  }
}

async function randomPose() {
  setStatus("");
  const body = await (await api("/random")).json();
  await showReference({ id: body.id }, body.id);
}

async function openBrowser() {
  const page = await (await api(`/gallery?offset=${galleryOffset}&limit=${PAGE}`)).json();
  $("page").textContent = `${galleryOffset + 1}–${Math.min(galleryOffset + PAGE, page.total)} of ${page.total}`;
  const grid = $("grid");
  grid.replaceChildren();
  for (const id of page.ids) {
    const img = document.createElement("img");
    img.src = `/poses/${encodeURIComponent(id)}.png?size=110`;
    img.title = id;
    img.alt = id;
    img.addEventListener("click", async () => { $("browser").close(); await showReference({ id }, id); });
    grid.appendChild(img);
  }
  if (!$("browser").open) $("browser").showModal();
}

async function upload(file) {
  setStatus("");
  const text = await file.text();
  try {
    if (file.name.toLowerCase().endsWith(".bvh")) {
      const frame = Number($("frame").value || 0);
      const body = await (await api(`/pose-from-bvh?frame=${frame}`, { method: "POST", headers: { "Content-Type": "text/plain" }, body: text })).json();
      await showReference({ joints: body.joints }, `${file.name}, frame ${frame} of ${body.frames}`);
    } else {
      const parsed = JSON.parse(text);
      const joints = Array.isArray(parsed) ? parsed : parsed.joints;
      await showReference({ joints }, file.name);
    }
  } catch (err) { setStatus(`Upload failed — ${err.message}`); }
}

async function search() {
  setStatus("");
  if (!reference) { setStatus("Choose a reference pose first."); return; }
  const text = $("text").value.trim();
  if (!text) { setStatus("Describe the change first."); return; }
  $("search-btn").disabled = true;
  try {
    const resp = await api("/search", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ reference, text, k: Number($("k").value) }),
    });
    const body = await resp.json();
    const results = $("results");
    results.replaceChildren();
    for (const hit of body.results) {
      const div = document.createElement("div");
      div.className = "hit";
      div.dataset.id = hit.id;
      div.innerHTML = `<img alt="result pose" src="${hit.image_url}?size=150"><div class="score">score ${hit.score.toFixed(3)}</div><div class="id"></div>`;
      div.querySelector(".id").textContent = hit.id;
      div.addEventListener("click", () => compare(hit.id));
      results.appendChild(div);
    }
    setStatus(body.results.length ? "" : "No results.");
    $("info").textContent = `${body.results.length} results in ${body.took_ms} ms`;
  } catch (err) { setStatus(`Search failed — ${err.message}`); }
  finally { $("search-btn").disabled = false; }
}

async function compare(id) {
  const payload = JSON.stringify({ a: reference, b: { id }, k: 3 });
  const headers = { "Content-Type": "application/json" };
  try {
    const [img, desc] = await Promise.all([
      api("/compare", { method: "POST", headers, body: payload }).then((r) => r.blob()),
      api("/describe", { method: "POST", headers, body: payload }).then((r) => r.json()),
    ]);
    $("compare-img").src = URL.createObjectURL(img);
    const list = $("compare-text");
    list.replaceChildren();
    for (const d of desc.descriptions) { const li = document.createElement("li"); li.textContent = d.text; list.appendChild(li); }
    $("compare").hidden = false;
  } catch (err) { setStatus(`Compare failed — ${err.message}`); }
}

async function init() {
  $("random-btn").addEventListener("click", randomPose);
  $("browse-btn").addEventListener("click", () => { galleryOffset = 0; openBrowser(); });
  $("prev").addEventListener("click", () => { galleryOffset = Math.max(0, galleryOffset - PAGE); openBrowser(); });
  $("next").addEventListener("click", () => { galleryOffset += PAGE; openBrowser(); });
  $("close").addEventListener("click", () => $("browser").close());
  $("upload").addEventListener("change", (e) => { if (e.target.files.length) upload(e.target.files[0]); });
  $("search-btn").addEventListener("click", search);
  $("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); search(); } });
  try {
    const info = await (await api("/version")).json();
    $("info").textContent = `${info.dataset}: ${info.gallery} poses · ${info.index} index · autocompose ${info.autocompose}`;
    await randomPose();
  } catch (err) { setStatus(`Service not ready — ${err.message}`); }
}
init();
