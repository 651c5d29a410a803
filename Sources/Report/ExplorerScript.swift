/// The explorer's page script: plain JavaScript, no libraries, no network. It reads the embedded
/// JSON (`#embedviz-data`), draws every point on a canvas, and supports pan (drag), zoom (wheel),
/// hover (nearest point, with its image from the sprite sheet), click to pin, legend toggles, "only
/// noise" / "only misclassified" filters, box selection (shift+drag) listing indices and images, and
/// rotation for 3-D maps (drag; shift+drag still selects). After the first frame it records the
/// number of points drawn in `document.body.dataset.drawn` (and any error in `dataset.error`), which
/// the headless-browser check reads.
enum ExplorerScript {
    static let source = #"""
(function () {
  "use strict";
  const body = document.body;
  window.addEventListener("error", e => { body.dataset.error = String(e.message || e); });
  const data = JSON.parse(document.getElementById("embedviz-data").textContent);
  const n = data.index.length, dims = data.dimensions;
  const canvas = document.getElementById("map"), ctx = canvas.getContext("2d");
  const tip = document.getElementById("tip"), pinned = document.getElementById("pinned");
  const legend = document.getElementById("legend"), selection = document.getElementById("selection");
  const hidden = new Set();
  let onlyNoise = false, onlyWrong = false;
  let scale = 1, offsetX = 0, offsetY = 0, azimuth = 0.6, elevation = 0.35;
  let screenX = new Float32Array(n), screenY = new Float32Array(n), depth = new Float32Array(n);
  let order = new Uint32Array(n), hover = -1, pin = -1, drag = null, box = null;
  const sprite = new Image();
  let spriteReady = false;
  if (data.sprite) { sprite.onload = () => { spriteReady = true; draw(); }; sprite.src = data.sprite.image; }

  // Data bounds, to fit the map to the canvas.
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) for (let k = 0; k < dims; k++) {
    const v = data.points[i * dims + k]; if (v < lo[k]) lo[k] = v; if (v > hi[k]) hi[k] = v;
  }
  const centre = [0, 1, 2].map(k => k < dims ? (lo[k] + hi[k]) / 2 : 0);
  let extent = 1e-9;
  for (let k = 0; k < dims; k++) extent = Math.max(extent, hi[k] - lo[k]);

  function visible(i) {
    if (hidden.has(data.colorLabel[i])) return false;
    if (onlyNoise && !data.isNoise[i]) return false;
    if (onlyWrong && (data.isNoise[i] || data.prediction[i] === data.target[i])) return false;
    return true;
  }

  function project() {
    // 3-D maps can turn their diagonal towards the viewer: leave room for it.
    const w = canvas.width, h = canvas.height, fit = 0.9 * Math.min(w, h) / (extent * (dims > 2 ? 1.75 : 1)) * scale;
    const ca = Math.cos(azimuth), sa = Math.sin(azimuth), ce = Math.cos(elevation), se = Math.sin(elevation);
    for (let i = 0; i < n; i++) {
      let x = data.points[i * dims] - centre[0];
      let y = dims > 1 ? data.points[i * dims + 1] - centre[1] : 0;
      let z = dims > 2 ? data.points[i * dims + 2] - centre[2] : 0;
      if (dims > 2) {  // rotate about the vertical axis, then tilt; mild perspective
        const x1 = ca * x + sa * z, z1 = -sa * x + ca * z;
        const y1 = ce * y - se * z1, z2 = se * y + ce * z1;
        const p = 1 / (1 + 0.6 * z2 / extent);
        x = x1 * p; y = y1 * p; depth[i] = z2;
      } else depth[i] = 0;
      screenX[i] = w / 2 + offsetX + x * fit;
      screenY[i] = h / 2 + offsetY - y * fit;
    }
    order = Uint32Array.from({ length: n }, (_, i) => i);
    if (dims > 2) order.sort((a, b) => depth[b] - depth[a]);  // far first
  }

  function draw() {
    project();
    const w = canvas.width, h = canvas.height;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, w, h);
    const radius = Math.max(1.2, Math.min(4, 300 / Math.sqrt(n))) * Math.sqrt(scale) * (window.devicePixelRatio || 1);
    let drawn = 0;
    ctx.globalAlpha = 0.7;
    for (const i of order) {
      if (!visible(i)) continue;
      ctx.fillStyle = data.colors[data.colorLabel[i]];
      ctx.beginPath(); ctx.arc(screenX[i], screenY[i], radius, 0, 6.2832); ctx.fill();
      if (data.isNoise[i]) { ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.stroke(); }
      drawn++;
    }
    ctx.globalAlpha = 1;
    for (const i of [hover, pin]) if (i >= 0) {
      ctx.strokeStyle = "#000"; ctx.lineWidth = 2;
      ctx.beginPath(); ctx.arc(screenX[i], screenY[i], radius + 4, 0, 6.2832); ctx.stroke();
    }
    if (box) {
      ctx.strokeStyle = "#333"; ctx.setLineDash([4, 3]);
      ctx.strokeRect(box.x0, box.y0, box.x1 - box.x0, box.y1 - box.y0); ctx.setLineDash([]);
    }
    body.dataset.drawn = String(drawn);
  }

  function nearest(mx, my) {
    let best = -1, bestD = 144 * (window.devicePixelRatio || 1) ** 2;
    for (let i = 0; i < n; i++) {
      if (!visible(i)) continue;
      const dx = screenX[i] - mx, dy = screenY[i] - my, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  function imageCanvas(i, size) {
    const c = document.createElement("canvas"); c.width = c.height = size;
    const g = c.getContext("2d"); g.imageSmoothingEnabled = false;
    if (spriteReady) {
      // Tile i is the image of row i (the sprite follows the map's row order, not data.index).
      const s = data.sprite, col = i % s.columns, row = Math.floor(i / s.columns);
      g.drawImage(sprite, col * s.tile, row * s.tile, s.tile, s.tile, 0, 0, size, size);
    }
    return c;
  }

  function describe(i) {
    const t = data.target[i] === 10 ? "noise" : data.target[i];
    return "#" + data.index[i] + "  target " + t + "  predicted " + data.prediction[i] +
      "  confidence " + data.confidence[i].toFixed(3) + (data.isNoise[i] ? "  (injected noise)" : "");
  }

  function show(panel, i) {
    panel.textContent = "";
    if (i < 0) return;
    panel.appendChild(imageCanvas(i, 84));
    const text = document.createElement("div"); text.textContent = describe(i); panel.appendChild(text);
  }

  function pointer(e) {
    const r = canvas.getBoundingClientRect(), ratio = canvas.width / r.width;
    return [(e.clientX - r.left) * ratio, (e.clientY - r.top) * ratio];
  }

  canvas.addEventListener("mousedown", e => {
    const [x, y] = pointer(e);
    if (e.shiftKey) box = { x0: x, y0: y, x1: x, y1: y }; else drag = { x, y, moved: false };
  });
  window.addEventListener("mouseup", e => {
    if (box) {
      const [x0, x1] = [Math.min(box.x0, box.x1), Math.max(box.x0, box.x1)];
      const [y0, y1] = [Math.min(box.y0, box.y1), Math.max(box.y0, box.y1)];
      const chosen = [];
      for (let i = 0; i < n; i++) if (visible(i) && screenX[i] >= x0 && screenX[i] <= x1 && screenY[i] >= y0 && screenY[i] <= y1) chosen.push(i);
      selection.textContent = "";
      const list = document.createElement("textarea"); list.readOnly = true; list.rows = 3;
      list.value = chosen.map(i => data.index[i]).join(", ");
      const head = document.createElement("div"); head.textContent = chosen.length + " selected (indices, copyable):";
      selection.append(head, list);
      const grid = document.createElement("div"); grid.className = "grid";
      for (const i of chosen.slice(0, 400)) { const c = imageCanvas(i, 42); c.title = describe(i); grid.appendChild(c); }
      selection.appendChild(grid);
      box = null; draw();
    } else if (drag && !drag.moved) {
      const [x, y] = pointer(e); pin = nearest(x, y); show(pinned, pin); draw();
    }
    drag = null;
  });
  canvas.addEventListener("mousemove", e => {
    const [x, y] = pointer(e);
    if (box) { box.x1 = x; box.y1 = y; draw(); return; }
    if (drag) {
      const dx = x - drag.x, dy = y - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      if (dims > 2) { azimuth += dx * 0.01; elevation = Math.max(-1.5, Math.min(1.5, elevation + dy * 0.01)); }
      else { offsetX += dx; offsetY += dy; }
      drag.x = x; drag.y = y; draw(); return;
    }
    const h = nearest(x, y);
    if (h !== hover) { hover = h; draw(); }
    if (h >= 0) {
      show(tip, h); tip.style.display = "block";
      tip.style.left = (e.pageX + 14) + "px"; tip.style.top = (e.pageY + 14) + "px";
    } else tip.style.display = "none";
  });
  canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
  canvas.addEventListener("wheel", e => {
    e.preventDefault();
    const [x, y] = pointer(e), factor = e.deltaY < 0 ? 1.2 : 1 / 1.2;
    offsetX = (offsetX - (x - canvas.width / 2)) * factor + (x - canvas.width / 2);
    offsetY = (offsetY - (y - canvas.height / 2)) * factor + (y - canvas.height / 2);
    scale *= factor; draw();
  }, { passive: false });

  data.classNames.forEach((name, c) => {
    const count = data.colorLabel.filter(p => p === c).length;
    if (count === 0) return;
    const item = document.createElement("label");
    const box = document.createElement("input"); box.type = "checkbox"; box.checked = true;
    box.addEventListener("change", () => { if (box.checked) hidden.delete(c); else hidden.add(c); draw(); });
    const swatch = document.createElement("span"); swatch.className = "swatch"; swatch.style.background = data.colors[c];
    item.append(box, swatch, document.createTextNode(" " + name + " (" + count + ")"));
    legend.appendChild(item);
  });
  if (data.isNoise.some(v => v)) {
    const note = document.createElement("div");
    note.innerHTML = '<span class="swatch" style="background:#fff;border:1.5px solid #000"></span> ringed: injected noise (' +
      data.isNoise.filter(v => v).length + ')';
    legend.appendChild(note);
  }
  document.getElementById("only-noise").addEventListener("change", e => { onlyNoise = e.target.checked; draw(); });
  document.getElementById("only-wrong").addEventListener("change", e => { onlyWrong = e.target.checked; draw(); });
  document.getElementById("reset").addEventListener("click", () => { scale = 1; offsetX = offsetY = 0; azimuth = 0.6; elevation = 0.35; draw(); });

  function resize() {
    const ratio = window.devicePixelRatio || 1, r = canvas.getBoundingClientRect();
    canvas.width = Math.max(200, Math.round(r.width * ratio)); canvas.height = Math.max(200, Math.round(r.height * ratio));
    draw();
  }
  window.addEventListener("resize", resize);
  resize();
})();
"""#
}
