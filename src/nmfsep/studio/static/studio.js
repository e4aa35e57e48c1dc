// nmfsep studio: the page. Plain JavaScript, no build step, nothing from the network.
//
// The server holds the recording, the factorization and the assignment; this page
// draws them, plays audio with the Web Audio API, and sends every change as a POST.
// window.nmfsepStudio exposes the page's state for tests and for curious users.
"use strict";

const studio = {
  state: null,          // the last /api/state
  components: null,     // the last /api/components (curves, words, features)
  modelId: null,        // the factorization those components belong to
  solo: new Set(),      // source indices
  mute: new Set(),
  lastPlayed: null,     // {kind, index, duration, length, sampleRate}
  errors: [],           // messages shown, newest last
};
window.nmfsepStudio = studio;

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// ---------------------------------------------------------------- talking to the server

async function api(path, options = {}) {
  const response = await fetch(path, {credentials: "same-origin", ...options});
  if (!response.ok) {
    let text = `${response.status} ${response.statusText}`;
    try {
      const payload = await response.json();
      if (payload && payload.error) text = payload.error;
    } catch (_) { /* not JSON: keep the status */ }
    const error = new Error(text);
    error.status = response.status;
    throw error;
  }
  return response;
}

async function post(path, body) {
  const response = await api(path, {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(body),
  });
  return response.json();
}

function showMessage(text) {
  const box = $("#message");
  box.textContent = text;
  box.hidden = !text;
  if (text) studio.errors.push(text);
}

async function attempt(action) {
  try {
    showMessage("");
    await action();
  } catch (error) {
    showMessage(error.message);
  }
}

// ---------------------------------------------------------------- state and polling

let pollTimer = null;

async function refresh() {
  clearTimeout(pollTimer);
  try {
    const state = await (await api("/api/state")).json();
    await apply(state);
  } catch (error) {
    showMessage(error.message);
  }
}

function pending(state) {
  return state.status === "working" || (state.rendered !== null && state.rendered !== state.version);
}

async function apply(state) {
  const previous = studio.state;
  if (previous && state.version < previous.version) return;  // an answer overtaken by a newer one
  studio.state = state;
  if (state.message) showMessage(state.message);
  showNotes(state.notes || []);
  showProgress(state);
  $("#recording-name").textContent = state.recording
    ? `${state.recording.name} · ${state.recording.channels} ch · ${state.recording.sr} Hz · ${clock(state.recording.duration)}`
    : "";
  const ready = state.model !== null && state.sources !== null;
  $("#empty").hidden = state.recording !== null;
  for (const id of ["#mixture", "#controls", "#sources", "#assignment"]) $(id).hidden = !ready;
  if (ready && state.model !== studio.modelId) await loadModel(state);
  if (ready) {
    drawSources(state);
    drawAssignment(state);
    if (previous && previous.rendered !== state.rendered && playback && playback.kind === "sources") {
      restartSources();
    }
  }
  $("#rebuilding").hidden = !(ready && state.rendered !== state.version);
  for (const control of $$("#controls button, #controls input, #load-form button, #add-source")) {
    control.disabled = state.status === "working";
  }
  clearTimeout(pollTimer);
  if (pending(state)) pollTimer = setTimeout(refresh, 250);
  document.body.dataset.status = state.status;
  document.body.dataset.version = String(state.version);
  document.body.dataset.rendered = String(state.rendered);
}

function showNotes(notes) {
  const list = $("#notes");
  list.replaceChildren(...notes.map((note) => {
    const item = document.createElement("li");
    item.textContent = note;
    return item;
  }));
  list.hidden = notes.length === 0;
}

function showProgress(state) {
  const box = $("#progress");
  const job = state.job;
  box.hidden = !job;
  if (!job) return;
  const bar = $("#progress-bar");
  if (job.kind === "factorizing" && job.total > 0) {
    bar.max = job.total;
    bar.value = job.done;
    $("#progress-text").textContent = `Factorizing: iteration ${job.done} of at most ${job.total}`;
  } else {
    bar.removeAttribute("value");
    $("#progress-text").textContent = job.kind === "grouping"
      ? "Grouping the components…" : `${job.kind}…`;
  }
}

async function loadModel(state) {
  stop();
  studio.components = await (await api(`/api/components?model=${state.model}`)).json();
  studio.modelId = state.model;
  buffers.clear();
  $("#spectrogram").src = `/api/spectrogram.png?model=${state.model}`;
  drawTicks(studio.components.lowest_hz, studio.components.highest_hz);
  $("#n-sources").value = state.sources.length;
  $("#n-components").value = state.n_components;
  studio.solo.clear();
  studio.mute.clear();
}

// ---------------------------------------------------------------- drawing

function drawTicks(lowest, highest) {
  // Frequency labels on the spectrogram's log axis (lowest at the bottom edge).
  const ticks = [];
  for (const hz of [100, 300, 1000, 3000, 10000]) {
    if (hz <= lowest || hz >= highest) continue;
    const label = document.createElement("span");
    label.className = "tick";
    label.textContent = hz >= 1000 ? `${hz / 1000} kHz` : `${hz} Hz`;
    label.style.bottom = `${(100 * Math.log(hz / lowest)) / Math.log(highest / lowest)}%`;
    ticks.push(label);
  }
  for (const old of $$("#spectrogram-box .tick")) old.remove();
  $("#spectrogram-box").append(...ticks);
}

function hue(source) {
  return (source * 137.5 + 200) % 360;
}

function clock(seconds) {
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - 60 * minutes;
  return `${minutes}:${rest.toFixed(1).padStart(4, "0")}`;
}

function drawCurve(canvas, values, color) {
  const context = canvas.getContext("2d");
  const {width, height} = canvas;
  context.clearRect(0, 0, width, height);
  context.beginPath();
  context.moveTo(0, height);
  values.forEach((value, i) => {
    context.lineTo((i / Math.max(1, values.length - 1)) * width, height - value * (height - 2));
  });
  context.lineTo(width, height);
  context.closePath();
  context.fillStyle = color;
  context.fill();
}

function drawSources(state) {
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.component : undefined;
  const box = $("#sources");
  const sections = state.sources.map((source, s) => sourceElement(source, s, state));
  box.replaceChildren(...sections);
  if (focused !== undefined) {
    const again = $(`[data-component="${focused}"]`);
    if (again) again.focus();
  }
}

function sourceElement(source, s, state) {
  const section = $("#source-template").content.firstElementChild.cloneNode(true);
  section.dataset.source = String(s);
  section.style.setProperty("--hue", hue(s));
  section.setAttribute("aria-label", `source ${s + 1}: ${source.name}`);
  $(".key", section).textContent = s < 9 ? String(s + 1) : "";
  const name = $(".name", section);
  name.value = source.name;
  name.setAttribute("aria-label", `name of source ${s + 1}`);
  name.addEventListener("change", () => rename(s, name.value));
  name.addEventListener("keydown", (event) => { if (event.key === "Enter") name.blur(); });
  $(".count", section).textContent = source.components.length === 1
    ? "1 component" : `${source.components.length} components`;
  $('[data-action="play-source"]', section).addEventListener("click", () => play("source", s));
  $('[data-action="play-source"]', section).setAttribute("aria-label", `play ${source.name}`);
  for (const kind of ["solo", "mute"]) {
    const button = $(`[data-action="${kind}"]`, section);
    button.setAttribute("aria-pressed", String(studio[kind].has(s)));
    button.setAttribute("aria-label", `${kind} ${source.name}`);
    button.addEventListener("click", () => toggle(kind, s, button));
  }
  const remove = $('[data-action="remove-source"]', section);
  remove.disabled = state.sources.length < 2 || state.status === "working";
  remove.setAttribute("aria-label", `remove ${source.name}`);
  remove.addEventListener("click", () => removeSource(s));
  section.addEventListener("dragover", (event) => {
    if (event.dataTransfer.types.includes("application/x-nmfsep-component")) {
      event.preventDefault();
      section.classList.add("target");
    }
  });
  section.addEventListener("dragleave", () => section.classList.remove("target"));
  section.addEventListener("drop", (event) => {
    const k = event.dataTransfer.getData("application/x-nmfsep-component");
    section.classList.remove("target");
    if (k === "") return;
    event.preventDefault();
    event.stopPropagation();
    move(Number(k), s);
  });
  const list = $(".components", section);
  list.replaceChildren(...source.components.map((k) => componentElement(k, s, source.name)));
  return section;
}

function componentElement(k, s, sourceName) {
  const item = $("#component-template").content.firstElementChild.cloneNode(true);
  const data = studio.components.components[k];
  item.dataset.component = String(k);
  item.setAttribute("aria-label",
    `component ${k} in ${sourceName}: ${data.words}. Press 1 to 9 to move it, Enter to play it.`);
  $(".index", item).textContent = `#${k}`;
  $(".words", item).textContent = data.words;
  item.title = Object.entries(data.features).map(([key, value]) => `${key} ${value}`).join(", ");
  const color = `hsl(${hue(s)} 60% 45%)`;
  drawCurve($(".spectrum", item), data.spectrum, color);
  drawCurve($(".activation", item), data.activation, color);
  $(".spectrum", item).setAttribute("aria-label", "spectrum, 30 Hz to Nyquist (log)");
  $(".activation", item).setAttribute("aria-label", "activation over time");
  $('[data-action="play-component"]', item).addEventListener("click", (event) => {
    event.stopPropagation();
    play("component", k);
  });
  $('[data-action="play-component"]', item).setAttribute("aria-label", `play component ${k}`);
  item.addEventListener("keydown", (event) => componentKey(event, k));
  item.addEventListener("dragstart", (event) => {
    event.dataTransfer.setData("application/x-nmfsep-component", String(k));
    event.dataTransfer.setData("text/plain", String(k));
    event.dataTransfer.effectAllowed = "move";
  });
  return item;
}

function drawAssignment(state) {
  const input = $("#groups-text");
  if (document.activeElement !== input) input.value = state.groups || "";
  $("#command").textContent = state.command || "";
  $("#folder").textContent = state.folder || "";
}

// ---------------------------------------------------------------- changing the assignment

function names() {
  return studio.state.sources.map((source) => source.name);
}

async function send(newNames, labels) {
  const state = await post("/api/assign", {model: studio.modelId, names: newNames, labels});
  await apply(state);
}

function move(k, target) {
  const state = studio.state;
  if (!state || target >= state.sources.length || state.labels[k] === target) return;
  const labels = state.labels.slice();
  labels[k] = target;
  // Show the move at once; the server's answer replaces this.
  state.sources = state.sources.map((source, s) => ({
    name: source.name,
    components: labels.map((label, i) => [label, i]).filter(([label]) => label === s).map(([, i]) => i),
  }));
  state.labels = labels;
  drawSources(state);
  return attempt(() => send(names(), labels));
}

function rename(s, value) {
  const newNames = names();
  newNames[s] = value.trim();
  return attempt(async () => {
    try {
      await send(newNames, studio.state.labels);
    } catch (error) {
      drawSources(studio.state);  // put the old name back
      throw error;
    }
  });
}

function freshName(taken) {
  for (let i = taken.length + 1; ; i++) {
    if (!taken.includes(`source${i}`)) return `source${i}`;
  }
}

function addSource() {
  const newNames = names();
  newNames.push(freshName(newNames));
  return attempt(() => send(newNames, studio.state.labels));
}

function removeSource(s) {
  const state = studio.state;
  if (state.sources.length < 2) return;
  const heir = s === 0 ? 1 : 0;
  const labels = state.labels.map((label) => {
    const kept = label === s ? heir : label;
    return kept > s ? kept - 1 : kept;
  });
  const newNames = names().filter((_, i) => i !== s);
  for (const set of [studio.solo, studio.mute]) {
    const shifted = [...set].filter((i) => i !== s).map((i) => (i > s ? i - 1 : i));
    set.clear();
    shifted.forEach((i) => set.add(i));
  }
  return attempt(() => send(newNames, labels));
}

function componentKey(event, k) {
  if (event.target !== event.currentTarget) return;
  if (/^[1-9]$/.test(event.key) && !event.altKey && !event.ctrlKey && !event.metaKey) {
    event.preventDefault();
    const target = Number(event.key) - 1;
    if (target >= studio.state.sources.length) {
      showMessage(`There is no source ${event.key}; add one with “+ Add a source”.`);
      return;
    }
    move(k, target);
  } else if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    play("component", k);
  } else if (["ArrowDown", "ArrowRight", "ArrowUp", "ArrowLeft"].includes(event.key)) {
    event.preventDefault();
    const all = $$("[data-component]");
    const here = all.indexOf(event.currentTarget);
    const step = event.key === "ArrowDown" || event.key === "ArrowRight" ? 1 : -1;
    const next = all[here + step];
    if (next) next.focus();
  }
}

// ---------------------------------------------------------------- playback

const buffers = new Map();   // url -> AudioBuffer
let audioContext = null;
let playback = null;         // {kind, index, sources, gains, startedAt, duration}

function context() {
  const sr = studio.state.recording.sr;
  if (audioContext && audioContext.sampleRate !== sr) {
    audioContext.close();
    audioContext = null;
    buffers.clear();
  }
  if (!audioContext) {
    try {
      audioContext = new AudioContext({sampleRate: sr});   // decoded at the file's own rate
    } catch (_) {
      audioContext = new AudioContext();
    }
  }
  return audioContext;
}

async function decoded(url) {
  if (buffers.has(url)) return buffers.get(url);
  const response = await api(url);
  const data = await response.arrayBuffer();
  const buffer = await context().decodeAudioData(data);
  buffers.set(url, buffer);
  return buffer;
}

function urls(kind, index) {
  const state = studio.state;
  if (kind === "mixture") return [`/api/audio/mixture.wav?model=${studio.modelId}`];
  if (kind === "component") return [`/api/audio/component/${index}.wav?model=${studio.modelId}`];
  const version = state.rendered;
  if (kind === "source") return [`/api/audio/source/${index}.wav?version=${version}`];
  return state.sources.map((_, s) => `/api/audio/source/${s}.wav?version=${version}`);
}

function gainOf(s) {
  if (studio.mute.has(s)) return 0;
  if (studio.solo.size > 0 && !studio.solo.has(s)) return 0;
  return 1;
}

function applyGains() {
  if (!playback || playback.kind !== "sources") return;
  playback.gains.forEach((gain, s) => { gain.gain.value = gainOf(s); });
}

function toggle(kind, s, button) {
  const set = studio[kind];
  if (set.has(s)) set.delete(s); else set.add(s);
  button.setAttribute("aria-pressed", String(set.has(s)));
  applyGains();
}

async function play(kind, index = null, offset = 0) {
  await attempt(async () => {
    const state = studio.state;
    if (!state || !state.recording) return;
    if ((kind === "source" || kind === "sources") && state.rendered !== state.version) {
      await waitForSources();
    }
    const audio = context();
    await audio.resume();
    const loaded = await Promise.all(urls(kind, index).map(decoded));
    stop();
    const gains = [];
    const nodes = loaded.map((buffer, s) => {
      const node = audio.createBufferSource();
      node.buffer = buffer;
      const gain = audio.createGain();
      gain.gain.value = kind === "sources" ? gainOf(s) : 1;
      node.connect(gain).connect(audio.destination);
      gains.push(gain);
      return node;
    });
    const duration = loaded[0].duration;
    const start = audio.currentTime + 0.02;
    nodes.forEach((node) => node.start(start, Math.min(offset, duration)));
    playback = {kind, index, nodes, gains, startedAt: start - offset, duration};
    nodes[0].onended = () => { if (playback && playback.nodes === nodes) stop(); };
    studio.lastPlayed = {kind, index, duration, length: loaded[0].length,
                         sampleRate: loaded[0].sampleRate, channels: loaded[0].numberOfChannels};
    markPlaying();
    requestAnimationFrame(tick);
  });
}

async function waitForSources() {
  for (let i = 0; i < 600 && studio.state.rendered !== studio.state.version; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await refresh();
  }
}

function position() {
  if (!playback) return 0;
  return Math.max(0, Math.min(playback.duration, audioContext.currentTime - playback.startedAt));
}

function restartSources() {
  const at = position();
  play("sources", null, at);
}

function stop() {
  if (playback) {
    const nodes = playback.nodes;
    playback = null;
    for (const node of nodes) {
      node.onended = null;
      try { node.stop(); } catch (_) { /* never started */ }
    }
  }
  markPlaying();
}

function markPlaying() {
  for (const element of $$("[data-playing]")) delete element.dataset.playing;
  if (!playback) return;
  const {kind, index} = playback;
  const selector = kind === "component" ? `[data-component="${index}"]`
    : kind === "source" ? `[data-source="${index}"]` : `[data-play="${kind}"]`;
  const element = $(selector);
  if (element) element.dataset.playing = "true";
}

function tick() {
  const duration = studio.state && studio.state.recording ? studio.state.recording.duration : 0;
  const at = position();
  $("#time").textContent = `${clock(at)} / ${clock(duration)}`;
  $("#playhead").style.left = `${duration > 0 ? (100 * at) / duration : 0}%`;
  document.body.dataset.position = at.toFixed(3);
  if (playback) requestAnimationFrame(tick);
}

function seek(event) {
  const box = $("#spectrogram-box").getBoundingClientRect();
  const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
  const at = fraction * studio.state.recording.duration;
  const kind = playback ? playback.kind : "mixture";
  const index = playback ? playback.index : null;
  play(kind, index, at);
}

// ---------------------------------------------------------------- files

function upload(file) {
  const state = studio.state;
  if (state && state.max_upload && file.size > state.max_upload) {
    showMessage(`${file.name}: the file is larger than the studio accepts (${state.max_upload_text}); ` +
                "start the studio with a larger --max-upload, or open a shorter file");
    return;
  }
  showMessage("");
  const form = new FormData();
  form.append("file", file, file.name);
  const request = new XMLHttpRequest();
  request.open("POST", "/api/upload");
  request.withCredentials = true;
  const box = $("#progress");
  box.hidden = false;
  request.upload.onprogress = (event) => {
    if (!event.lengthComputable) return;
    $("#progress-bar").max = event.total;
    $("#progress-bar").value = event.loaded;
    $("#progress-text").textContent = `Sending ${file.name}: ${Math.round((100 * event.loaded) / event.total)} %`;
  };
  request.onload = () => {
    let payload = null;
    try { payload = JSON.parse(request.responseText); } catch (_) { /* shown below */ }
    if (request.status >= 200 && request.status < 300 && payload) {
      stop();
      apply(payload);
    } else {
      box.hidden = true;
      showMessage(payload && payload.error ? payload.error
        : `${file.name}: the upload failed (${request.status} ${request.statusText})`);
    }
  };
  request.onerror = () => {
    box.hidden = true;
    showMessage(`${file.name}: the upload failed (the connection broke; is the file larger than the studio accepts?)`);
  };
  request.send(form);
}

function loadAssignment(text) {
  return attempt(async () => {
    const state = await post("/api/load", {model: studio.modelId, text});
    await apply(state);
  });
}

// ---------------------------------------------------------------- wiring

function wire() {
  $("#open-file").addEventListener("click", () => $("#file-input").click());
  $("#load-file").addEventListener("click", () => $("#assignment-file").click());
  $("#file-input").addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) upload(file);
  });
  document.addEventListener("dragover", (event) => {
    if (event.dataTransfer.types.includes("Files")) {
      event.preventDefault();
      document.body.classList.add("dropping");
    }
  });
  document.addEventListener("dragleave", (event) => {
    if (event.relatedTarget === null) document.body.classList.remove("dropping");
  });
  document.addEventListener("drop", (event) => {
    document.body.classList.remove("dropping");
    if (event.dataTransfer.files.length > 0) {
      event.preventDefault();
      upload(event.dataTransfer.files[0]);
    }
  });
  $("#play-mixture").addEventListener("click", () => play("mixture"));
  $("#play-sources").addEventListener("click", () => play("sources"));
  $("#stop").addEventListener("click", stop);
  $("#spectrogram-box").addEventListener("click", seek);
  $("#add-source").addEventListener("click", addSource);
  $("#regroup-form").addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(async () => {
      stop();
      await apply(await post("/api/regroup", {n_sources: Number($("#n-sources").value)}));
    });
  });
  $("#factorize-form").addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(async () => {
      stop();
      await apply(await post("/api/factorize", {
        n_sources: Number($("#n-sources").value),
        n_components: Number($("#n-components").value),
      }));
    });
  });
  $("#load-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadAssignment($("#groups-text").value);
  });
  $("#assignment-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    if (file) loadAssignment(await file.text());
  });
  refresh();
}

document.addEventListener("DOMContentLoaded", wire);
