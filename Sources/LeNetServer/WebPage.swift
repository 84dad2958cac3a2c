/// The page `lenet serve` shows: plain HTML, CSS and JavaScript, served from the binary, nothing
/// fetched from anywhere else (it works offline).
enum WebPage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LeNet-5 reads your digit</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header>
  <h1>Draw a digit. <span>LeNet-5 reads it.</span></h1>
  <p id="model-line" class="muted">Loading the model…</p>
</header>
<main>
  <section class="panel drawing">
    <div class="modes" role="group" aria-label="what to read">
      <button id="mode-digit" type="button" aria-pressed="true">One digit</button>
      <button id="mode-number" type="button" aria-pressed="false">A number</button>
    </div>
    <canvas id="pad" width="280" height="280" aria-label="drawing area: draw one digit, 0 to 9"></canvas>
    <div class="buttons">
      <button id="undo" type="button" title="Undo the last stroke (Ctrl+Z)">↶ Undo</button>
      <button id="clear" type="button" title="Clear the drawing (Esc)">✕ Clear</button>
      <label class="upload" title="Read a photo, or a PNG, JPEG or PGM file, instead">⇪ Upload or take a photo<input id="file" type="file" accept="image/*,.pgm,.ppm,.pbm" capture="environment"></label>
    </div>
    <p id="hint" class="hint">Mouse, pen or finger. One digit, as large as you like.</p>
  </section>
  <section id="number-panel" class="panel number" hidden>
    <div class="winner-box">
      <div id="number-text" class="winner number-text" data-state="empty">?</div>
      <div>
        <div id="number-confidence" class="confidence">Write a number</div>
        <div id="number-note" class="muted"></div>
      </div>
    </div>
    <ol id="number-digits" class="number-digits" aria-label="each digit read"></ol>
    <p class="muted small">The line of ink is cut into more candidate digits than there are; the network scores each (it can say "not one digit"), and the reading is the best path through them, as the 1998 paper's zip-code and cheque readers did.</p>
  </section>
  <section class="panel answer">
    <div class="winner-box">
      <div id="winner" class="winner" data-state="empty">?</div>
      <div>
        <div id="confidence" class="confidence">Draw something</div>
        <div id="runner-up" class="muted"></div>
      </div>
    </div>
    <ol id="bars" class="bars" aria-label="probability of each class"></ol>
  </section>
  <section class="panel seen">
    <h2>What the network saw</h2>
    <canvas id="input" width="28" height="28" class="pixels big" aria-label="the 28x28 input"></canvas>
    <p class="muted small">Your drawing or photo reduced to its ink (in a photo: apart from shadows, uneven light and the paper's edge), cropped, scaled to fit 20x20 and centred by its mass in 28x28, the way MNIST's digits were made.</p>
  </section>
  <section class="panel inside">
    <h2>Inside the network</h2>
    <h3>C1: 6 feature maps <span id="c1-size" class="muted"></span></h3>
    <div id="c1" class="maps"></div>
    <h3>C3: 16 feature maps <span id="c3-size" class="muted"></span></h3>
    <div id="c3" class="maps"></div>
    <p class="muted small">Each map is one learned 5x5 filter's response; bright is strong. Scaled per layer.</p>
  </section>
</main>
<footer>
  <a id="report-link" href="/report">The latest training report</a> ·
  <a href="/api/model">/api/model</a> ·
  API: <code>POST /api/predict</code> with a PNG or JPEG, or JSON <code>{"pixels": [784 numbers]}</code>;
  <code>POST /api/read</code> with a picture of a number
</footer>
<script src="/app.js"></script>
</body>
</html>
"""#

    static let style = #"""
:root { --ink: #111827; --muted: #6b7280; --accent: #2563eb; --line: #e5e7eb; --paper: #ffffff; --back: #f3f4f6; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--back); }
header { padding: 20px 24px 4px; max-width: 1100px; margin: 0 auto; }
h1 { margin: 0; font-size: 28px; letter-spacing: -0.01em; } h1 span { color: var(--accent); }
h2 { font-size: 16px; margin: 0 0 8px; } h3 { font-size: 14px; margin: 12px 0 6px; font-weight: 600; }
.muted { color: var(--muted); } .small { font-size: 13px; }
main { display: grid; grid-template-columns: 320px 1fr 232px; gap: 16px; padding: 12px 24px; max-width: 1100px; margin: 0 auto; align-items: start; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 14px; padding: 16px; box-shadow: 0 1px 2px rgba(0,0,0,.04); }
.inside { grid-column: 1 / -1; }
.modes { display: flex; gap: 6px; margin-bottom: 10px; } .modes button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
main.numbers .drawing { grid-column: 1 / -1; } main.numbers #pad { width: min(840px, 100%); height: auto; aspect-ratio: 3; }
main.numbers .answer, main.numbers .seen, main.numbers .inside { display: none; } main.numbers .number { grid-column: 1 / -1; }
.number-text { font-size: 40px; min-width: 3em; letter-spacing: .08em; } .number-digits { list-style: none; padding: 0; margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 8px; }
.number-digits li { border: 1px solid var(--line); border-radius: 8px; padding: 4px 10px; font-variant-numeric: tabular-nums; } .number-digits b { font-size: 20px; margin-right: 6px; }
#pad { width: 280px; height: 280px; border-radius: 10px; border: 2px solid var(--line); background: #fff; touch-action: none; cursor: crosshair; display: block; }
.buttons { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 12px; }
button, .upload { font: inherit; font-size: 14px; padding: 7px 12px; border-radius: 8px; border: 1px solid var(--line); background: #f9fafb; cursor: pointer; color: var(--ink); }
button:hover, .upload:hover { background: #eef2ff; border-color: #c7d2fe; }
.upload input { display: none; }
.hint { font-size: 13px; color: var(--muted); margin: 10px 0 0; }
.winner-box { display: flex; align-items: center; gap: 20px; }
.winner { font-size: 96px; font-weight: 700; line-height: 1; width: 110px; height: 120px; display: flex; align-items: center; justify-content: center;
  border-radius: 14px; background: #eff6ff; color: var(--accent); }
.winner[data-state="empty"] { color: #cbd5e1; background: #f8fafc; }
.confidence { font-size: 22px; font-weight: 600; }
.bars { list-style: none; padding: 0; margin: 16px 0 0; display: grid; gap: 5px; }
.bars.wide li { grid-template-columns: 96px 1fr 58px; } .winner.long { font-size: 28px; text-align: center; }
.bars li { display: grid; grid-template-columns: 18px 1fr 58px; align-items: center; gap: 8px; font-variant-numeric: tabular-nums; font-size: 14px; }
.bar { height: 16px; border-radius: 4px; background: #eef2f7; overflow: hidden; }
.bar span { display: block; height: 100%; width: 0; background: #93c5fd; transition: width .08s linear; }
.bars li.top .bar span { background: var(--accent); } .bars li.top { font-weight: 700; }
.pixels { image-rendering: pixelated; image-rendering: crisp-edges; background: #000; border-radius: 6px; }
.big { width: 196px; height: 196px; display: block; }
.maps { display: flex; flex-wrap: wrap; gap: 6px; }
.maps canvas { width: 56px; height: 56px; } #c1 canvas { width: 96px; height: 96px; }
footer { max-width: 1100px; margin: 0 auto; padding: 8px 24px 28px; font-size: 14px; color: var(--muted); }
a { color: var(--accent); }
code { background: #e5e7eb; padding: 1px 5px; border-radius: 4px; font-size: 13px; }
.maps canvas:hover { outline: 2px solid var(--accent); }
@media (max-width: 900px) { main { grid-template-columns: 1fr 1fr; } .drawing { grid-column: 1 / -1; } }
@media (max-width: 600px) { main { grid-template-columns: 1fr; } }
"""#

    static let script = #"""
"use strict";
// Drawing with pointer events (mouse, pen, touch), undo by strokes, predictions as you draw.
const pad = document.getElementById("pad");
const pen = pad.getContext("2d");
const strokes = [];
let current = null;
let inFlight = false, dirty = false, uploaded = null;
// "digit" (the pad is 280x280, /api/predict) or "number" (840x280, /api/read, each digit boxed).
let mode = "digit", boxes = [];

function redraw() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, pad.width, pad.height);
  if (uploaded) {
    const scale = Math.min(pad.width / uploaded.width, pad.height / uploaded.height);
    const w = uploaded.width * scale, h = uploaded.height * scale;
    pen.drawImage(uploaded, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
  }
  pen.strokeStyle = "#111";
  pen.lineWidth = 18;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  for (const stroke of strokes) {
    pen.beginPath();
    pen.moveTo(stroke[0][0], stroke[0][1]);
    if (stroke.length === 1) pen.lineTo(stroke[0][0] + 0.1, stroke[0][1]);
    for (const [x, y] of stroke.slice(1)) pen.lineTo(x, y);
    pen.stroke();
  }
}
// The digits read, boxed over the drawing (not part of what is sent: drawn after the PGM is taken).
function drawBoxes() {
  pen.save();
  pen.lineWidth = 2;
  pen.font = "16px system-ui, sans-serif";
  for (const digit of boxes) {
    pen.strokeStyle = pen.fillStyle = digit.probability >= 0.5 ? "#1a7f37" : "#c0392b";
    pen.strokeRect(digit.box.x - 3, digit.box.y - 3, digit.box.width + 6, digit.box.height + 6);
    pen.fillText(digit.name + " " + Math.round(100 * digit.probability) + "%", digit.box.x - 3, Math.max(14, digit.box.y - 7));
  }
  pen.restore();
}
function setMode(next) {
  if (next === mode) return;
  mode = next;
  document.querySelector("main").classList.toggle("numbers", mode === "number");
  document.getElementById("number-panel").hidden = mode !== "number";
  document.getElementById("mode-digit").setAttribute("aria-pressed", String(mode === "digit"));
  document.getElementById("mode-number").setAttribute("aria-pressed", String(mode === "number"));
  document.getElementById("hint").textContent = mode === "number" ? "Write a number across the pad: digits side by side, touching or not." : "Mouse, pen or finger. One digit, as large as you like.";
  pad.width = mode === "number" ? 840 : 280;
  pad.setAttribute("aria-label", mode === "number" ? "drawing area: write a number" : "drawing area: draw one digit, 0 to 9");
  clearAll();
}
document.getElementById("mode-digit").addEventListener("click", () => setMode("digit"));
document.getElementById("mode-number").addEventListener("click", () => setMode("number"));

function position(event) {
  const box = pad.getBoundingClientRect();
  return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
}

pad.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  if (pad.setPointerCapture && event.pointerId !== undefined) { try { pad.setPointerCapture(event.pointerId); } catch (e) {} }
  current = [position(event)];
  strokes.push(current);
  redraw();
  schedule();
});
pad.addEventListener("pointermove", (event) => {
  if (!current) return;
  event.preventDefault();
  current.push(position(event));
  redraw();
  schedule();
});
for (const name of ["pointerup", "pointercancel", "pointerleave"]) {
  pad.addEventListener(name, () => { if (current) { current = null; schedule(); } });
}

function clearAll() { strokes.length = 0; uploaded = null; boxes = []; redraw(); showEmpty(); }
document.getElementById("clear").addEventListener("click", clearAll);
document.getElementById("undo").addEventListener("click", () => { strokes.pop(); redraw(); strokes.length || uploaded ? schedule() : showEmpty(); });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") clearAll();
  if ((event.ctrlKey || event.metaKey) && event.key === "z") { strokes.pop(); redraw(); strokes.length || uploaded ? schedule() : showEmpty(); }
});

// At most one request in flight; the newest drawing is always the one answered last.
function schedule() { dirty = true; if (!inFlight) send(); }
function send() {
  if (!dirty) return;
  dirty = false;
  if (!strokes.length && !uploaded) { showEmpty(); return; }
  inFlight = true;
  post(asPGM(), "image/x-portable-graymap");
}
// The drawing as grey levels (a PGM, no compression to undo): grey = (19595 R + 38470 G + 7471 B
// + 32768) >> 16, as the server turns a colour picture to grey, so the server sees the very
// levels it would get from the canvas as a PNG.
function asPGM() {
  redraw();
  const { data, width, height } = pen.getImageData(0, 0, pad.width, pad.height);
  if (mode === "number") drawBoxes();
  const header = new TextEncoder().encode(`P5\n${width} ${height}\n255\n`);
  const body = new Uint8Array(header.length + width * height);
  body.set(header);
  for (let i = 0, j = header.length; i < data.length; i += 4, j++) {
    body[j] = (19595 * data[i] + 38470 * data[i + 1] + 7471 * data[i + 2] + 32768) >> 16;
  }
  return body;
}
async function post(body, type) {
  try {
    const asked = mode;
    const response = await fetch(asked === "number" ? "/api/read" : "/api/predict?features=1", { method: "POST", headers: { "Content-Type": type }, body });
    const answer = await response.json();
    if (asked !== mode) return;
    if (!response.ok) showError(answer.error || response.statusText);
    else if (asked === "number") showNumber(answer); else show(answer);
  } catch (error) {
    showError("the server did not answer (" + error.message + ")");
  } finally {
    inFlight = false;
    if (dirty) send();
  }
}

document.getElementById("file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  strokes.length = 0;
  uploaded = null;
  const url = URL.createObjectURL(file);
  const picture = new Image();
  // The server takes bodies of up to 4 MB: a larger photo (a phone's 12 Mpx JPEG) is sent as the
  // browser shows it (upright), at most 1600 pixels on its longer side.
  const large = file.size > 3 * 1024 * 1024;
  picture.onload = async () => {
    uploaded = picture; redraw();
    if (large) await post(await shrunk(picture), "image/jpeg");
  };
  picture.onerror = async () => {
    redraw(); pen.fillStyle = "#6b7280"; pen.font = "15px system-ui"; pen.fillText(file.name, 12, 140);
    if (large) await post(file, file.type || "application/octet-stream");
  };
  picture.src = url;
  inFlight = true;
  if (!large) await post(file, file.type || "application/octet-stream");
  event.target.value = "";
});
function shrunk(picture) {
  const scale = Math.min(1, 1600 / Math.max(picture.naturalWidth, picture.naturalHeight));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(picture.naturalWidth * scale));
  canvas.height = Math.max(1, Math.round(picture.naturalHeight * scale));
  canvas.getContext("2d").drawImage(picture, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
}

// The answer.
const bars = document.getElementById("bars");
let names = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
function makeBars() {
  bars.innerHTML = "";
  for (const name of names) {
    const row = document.createElement("li");
    row.innerHTML = `<span class="name"></span><div class="bar"><span></span></div><span class="value">–</span>`;
    row.querySelector(".name").textContent = name;
    bars.appendChild(row);
  }
  bars.classList.toggle("wide", names.some((n) => n.length > 1));
}
makeBars();
const winner = document.getElementById("winner");
const confidence = document.getElementById("confidence");
const runnerUp = document.getElementById("runner-up");

function percent(p) { return (100 * p).toFixed(p >= 0.995 || p < 0.0005 ? 1 : 1) + "%"; }

function show(answer) {
  window.lenet.last = answer;
  const order = answer.probabilities.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]);
  winner.textContent = answer.name;
  winner.classList.toggle("long", answer.name.length > 2);
  winner.dataset.state = "ready";
  confidence.textContent = percent(answer.probabilities[answer.class]) + " sure";
  runnerUp.textContent = "then " + names[order[1][1]] + " (" + percent(order[1][0]) + ")";
  [...bars.children].forEach((row, i) => {
    row.classList.toggle("top", i === answer.class);
    row.querySelector(".bar span").style.width = (100 * answer.probabilities[i]).toFixed(1) + "%";
    row.querySelector(".value").textContent = percent(answer.probabilities[i]);
  });
  drawGrey(document.getElementById("input"), answer.input, 28, 28, 0, 255);
  if (answer.featureMaps) {
    drawMaps("c1", answer.featureMaps.c1);
    drawMaps("c3", answer.featureMaps.c3);
  }
}

function showNumber(reading) {
  window.lenet.last = reading;
  const text = document.getElementById("number-text");
  text.textContent = reading.text || "–";
  text.dataset.state = reading.text ? "ready" : "empty";
  document.getElementById("number-confidence").textContent = reading.text ? percent(reading.confidence) + " sure of the whole" : "No digit found";
  document.getElementById("number-note").textContent = reading.text && reading.rejected ? "Not sure enough: a person should check it." : "";
  const list = document.getElementById("number-digits");
  list.replaceChildren(...reading.digits.map((digit) => {
    const item = document.createElement("li");
    const name = document.createElement("b");
    name.textContent = digit.name;
    item.append(name, percent(digit.probability));
    return item;
  }));
  boxes = reading.digits;
  redraw();
  drawBoxes();
}

function showEmpty() {
  if (mode === "number") {
    document.getElementById("number-text").textContent = "?";
    document.getElementById("number-text").dataset.state = "empty";
    document.getElementById("number-confidence").textContent = "Write a number";
    document.getElementById("number-note").textContent = "";
    document.getElementById("number-digits").replaceChildren();
    return;
  }
  winner.textContent = "?";
  winner.dataset.state = "empty";
  confidence.textContent = "Draw something";
  runnerUp.textContent = "";
  [...bars.children].forEach((row) => { row.classList.remove("top"); row.querySelector(".bar span").style.width = "0"; row.querySelector(".value").textContent = "–"; });
}

function showError(message) {
  if (mode === "number") { document.getElementById("number-confidence").textContent = "No answer"; document.getElementById("number-note").textContent = message; window.lenet.error = message; return; }
  winner.textContent = "?";
  winner.dataset.state = "empty";
  confidence.textContent = "No answer";
  runnerUp.textContent = message;
  window.lenet.error = message;
}

function drawGrey(canvas, values, width, height, low, high) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d");
  const image = context.createImageData(width, height);
  const span = high - low || 1;
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(255 * (values[i] - low) / span)));
    image.data[4 * i] = image.data[4 * i + 1] = image.data[4 * i + 2] = v;
    image.data[4 * i + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

function drawMaps(id, maps) {
  const holder = document.getElementById(id);
  document.getElementById(id + "-size").textContent = `(${maps.height}x${maps.width} each)`;
  const size = maps.height * maps.width;
  let low = Infinity, high = -Infinity;
  for (const v of maps.values) { if (v < low) low = v; if (v > high) high = v; }
  while (holder.children.length < maps.count) {
    const canvas = document.createElement("canvas");
    canvas.className = "pixels";
    holder.appendChild(canvas);
  }
  for (let m = 0; m < maps.count; m++) {
    drawGrey(holder.children[m], maps.values.slice(m * size, (m + 1) * size), maps.width, maps.height, low, high);
  }
}

// The model line.
fetch("/api/model").then((r) => r.json()).then((model) => {
  if (model.classNames && model.classNames.length) { names = model.classNames; makeBars(); }
  const accuracy = model.testAccuracy ? ` · ${(100 * model.testAccuracy).toFixed(2)}% on the MNIST test set` : "";
  document.getElementById("model-line").textContent =
    `${model.title}, ${model.answering} · ${model.parameters.toLocaleString("en")} parameters${accuracy}`;
}).catch(() => { document.getElementById("model-line").textContent = "The model description is not available."; });

window.lenet = { strokes, redraw, schedule, clear: clearAll, setMode, last: null, error: null, busy: () => inFlight || dirty };
redraw();
"""#
}
