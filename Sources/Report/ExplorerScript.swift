/// The explorer's page script: plain JavaScript and WebGL2, no libraries, no network.
///
/// It reads the manifest (`#embedviz-manifest`) and the base64 binary arrays registered by
/// `embedvizChunk` (inline `<script>`s in the single file; `data/NNNN.js` files, added as
/// `<script>` elements, in the folder — Chromium refuses `fetch` on `file://` but loads scripts),
/// then draws every point with one `gl.POINTS` draw call per frame (positions Float32, colours
/// RGBA8, flags Uint8: visible | selected | ringed). Markers (hover, pin, lasso) go on a 2-D
/// overlay canvas. Hover and selection project the points on the CPU with the same matrix as the
/// shader. The density view accumulates colour × weight into a float texture and maps it to an
/// opacity ramp in a second pass. `window.explorer` is the page's own API, used by the browser
/// tests and by `benchmark(frames)`, which times view changes until the GPU has finished.
enum ExplorerScript {
    static let source = #"""
(function () {
  "use strict";
  const body = document.body;
  const fail = message => { body.dataset.error = message; document.getElementById("status").textContent = "error: " + message; };
  window.addEventListener("error", e => fail(String(e.message || e)));
  window.addEventListener("unhandledrejection", e => fail(String(e.reason && e.reason.message || e.reason)));
  const M = JSON.parse(document.getElementById("embedviz-manifest").textContent);
  const N = M.count;
  const $ = id => document.getElementById(id);
  const status = $("status"), tip = $("tip"), pinned = $("pinned"), selectionPanel = $("selection"), legend = $("legend");

  // ---- Data: base64 parts → typed arrays -------------------------------------------------------
  function fromBase64(s) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(s);
    const bin = atob(s), out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  const types = { f32: Float32Array, u8: Uint8Array, u16: Uint16Array, u32: Uint32Array, i32: Int32Array };
  function decode(key) {
    const spec = M.arrays[key], parts = window.embedvizChunks[key] || [], bytes = new Uint8Array(spec.bytes);
    let at = 0;
    for (let p = 0; p < spec.parts; p++) { const b = fromBase64(parts[p] || ""); bytes.set(b, at); at += b.length; }
    if (at !== spec.bytes) throw new Error("array " + key + ": " + at + " of " + spec.bytes + " bytes");
    delete window.embedvizChunks[key];
    const T = types[spec.type];
    return new T(bytes.buffer, 0, spec.bytes / T.BYTES_PER_ELEMENT);
  }
  function loadScripts(files) {
    return Promise.all(files.map(src => new Promise((ok, no) => {
      const s = document.createElement("script"); s.src = src; s.onload = ok;
      s.onerror = () => no(new Error("cannot load " + src + " (open index.html from its folder)"));
      document.head.appendChild(s);
    })));
  }

  // ---- Colours -----------------------------------------------------------------------------------
  const tab20 = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
    0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896, 0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xc7c7c7, 0xdbdb8d, 0x9edae5]
    .map(h => [h >> 16, (h >> 8) & 255, h & 255]);
  function hsl(h, s, l) {
    const a = s * Math.min(l, 1 - l), f = n => { const k = (n + h / 30) % 12; return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1)))); };
    return [f(0), f(8), f(4)];
  }
  // More than 20 categories: hues a golden angle apart, three lightness and two saturation levels,
  // so neighbouring codes differ in hue and in lightness.
  function categoryColor(c, total) {
    if (total <= 20) return tab20[c];
    return hsl((c * 137.508) % 360, [0.75, 0.55][Math.floor(c / 3) % 2], [0.42, 0.58, 0.30][c % 3]);
  }
  const viridis = [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142], [31, 158, 137],
    [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]];
  function ramp(t) {
    const x = Math.max(0, Math.min(1, t)) * (viridis.length - 1), k = Math.min(viridis.length - 2, Math.floor(x)), f = x - k;
    return [0, 1, 2].map(j => Math.round(viridis[k][j] + f * (viridis[k + 1][j] - viridis[k][j])));
  }
  function cssColor(s) {  // "#abc", "#aabbcc", "rgb(…)", "hsl(…)", names: let the browser parse it
    const c = document.createElement("canvas").getContext("2d"); c.fillStyle = "#000"; c.fillStyle = s;
    const v = c.fillStyle;
    if (v[0] === "#") return [1, 3, 5].map(k => parseInt(v.substr(k, 2), 16));
    const m = v.match(/[\d.]+/g); return m ? m.slice(0, 3).map(Number) : [0, 0, 0];
  }
  const hex = rgb => "#" + rgb.map(v => v.toString(16).padStart(2, "0")).join("");

  // ---- WebGL -------------------------------------------------------------------------------------
  const canvas = $("map"), overlay = $("overlay"), octx = overlay.getContext("2d");
  const gl = canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: true, alpha: false });
  if (!gl) { fail("WebGL2 is not available in this browser"); return; }
  const floatTargets = !!gl.getExtension("EXT_color_buffer_float");
  function program(vs, fs) {
    const p = gl.createProgram();
    for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]]) {
      const s = gl.createShader(type); gl.shaderSource(s, src); gl.compileShader(s);
      if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
      gl.attachShader(p, s);
    }
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(p));
    return p;
  }
  const pointProgram = program(`#version 300 es
    layout(location = 0) in vec3 a_pos; layout(location = 1) in vec4 a_color; layout(location = 2) in uint a_flags;
    uniform mat4 u_matrix; uniform float u_size, u_alpha; uniform int u_selecting;
    out vec4 v_color; flat out uint v_ring;
    void main() {
      if ((a_flags & 1u) == 0u) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); gl_PointSize = 0.0; return; }
      gl_Position = u_matrix * vec4(a_pos, 1.0);
      vec3 c = a_color.rgb; float a = u_alpha;
      if (u_selecting == 1 && (a_flags & 2u) == 0u) { c = mix(c, vec3(0.85), 0.75); a *= 0.4; }
      v_color = vec4(c, a); v_ring = (a_flags >> 2) & 1u;
      gl_PointSize = v_ring == 1u ? max(u_size * 1.8, 5.0) : u_size;
    }`, `#version 300 es
    precision mediump float;
    in vec4 v_color; flat in uint v_ring; uniform int u_density; out vec4 o;
    void main() {
      vec2 d = gl_PointCoord - 0.5; float r2 = dot(d, d);
      if (r2 > 0.25) discard;
      if (u_density == 1) { float w = exp(-12.0 * r2); o = vec4(v_color.rgb * w, w); return; }
      if (v_ring == 1u && r2 > 0.15) { o = vec4(0.0, 0.0, 0.0, 1.0); return; }
      o = vec4(v_color.rgb * v_color.a, v_color.a);
    }`);
  const densityProgram = program(`#version 300 es
    const vec2 corner[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
    out vec2 v_uv;
    void main() { vec2 p = corner[gl_VertexID]; v_uv = 0.5 * p + 0.5; gl_Position = vec4(p, 0.0, 1.0); }`, `#version 300 es
    precision highp float;
    in vec2 v_uv; uniform sampler2D u_acc; uniform float u_reference; out vec4 o;
    void main() {
      vec4 a = texture(u_acc, v_uv);
      if (a.a <= 0.0) { o = vec4(1.0); return; }
      float t = 1.0 - exp(-a.a / u_reference);
      o = vec4(mix(vec3(1.0), a.rgb / a.a, 0.15 + 0.85 * t) * (1.0 - 0.35 * t * t), 1.0);
    }`);
  const U = name => gl.getUniformLocation(pointProgram, name);
  const uMatrix = U("u_matrix"), uSize = U("u_size"), uAlpha = U("u_alpha"), uSelecting = U("u_selecting"), uDensity = U("u_density");
  const vao = gl.createVertexArray(), positionBuffer = gl.createBuffer(), colorBuffer = gl.createBuffer(), flagBuffer = gl.createBuffer();
  let densityTarget = null;  // { texture, framebuffer, width, height }
  // Maps of more than 20k points move with a preview: while the view changes, the frame draws the first
  // `previewCount` points of a fixed random order (one drawElements call; a uniform sample), starting
  // at up to 250k and shrunk only while frames take over 60 ms (grown again under 30 ms); 250 ms after
  // the last change a full frame draws every point.
  const previewFrom = 20000, indexBuffer = gl.createBuffer();
  let previewCount = Math.min(N, 250000), lastFrameAt = 0, settleTimer = null;

  // ---- State -------------------------------------------------------------------------------------
  let positions = [], columns = [], highlight = null, neighbours = null, bounds = [];
  let projection = 0, dims = 2;
  const colors = new Uint8Array(N * 4), flags = new Uint8Array(N);
  const selected = new Uint8Array(N);
  let selectionList = [], filterMask = null, hiddenCodes = new Set(), onlySelection = false, density = false;
  let colorColumn = -1, visibleCount = N;
  const view = { scale: 1, panX: 0, panY: 0, azimuth: 0.6, elevation: 0.35 };
  let hover = -1, pin = -1, drag = null, lasso = null, matrix = new Float32Array(16), frameMs = 0;
  const dpr = () => window.devicePixelRatio || 1;

  function computeBounds(p, d) {
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < N; i++) for (let k = 0; k < d; k++) { const v = p[i * d + k]; if (v < lo[k]) lo[k] = v; if (v > hi[k]) hi[k] = v; }
    const centre = [0, 1, 2].map(k => k < d && isFinite(lo[k]) ? (lo[k] + hi[k]) / 2 : 0);
    let extent = 1e-9;
    for (let k = 0; k < d; k++) if (isFinite(lo[k])) extent = Math.max(extent, hi[k] - lo[k]);
    return { centre, extent };
  }

  // The column-major matrix from data coordinates to clip space (the shader's and the CPU's).
  function computeMatrix() {
    const w = canvas.width, h = canvas.height, { centre, extent } = bounds[projection], m = new Float32Array(16);
    if (dims === 2) {
      const s = 0.9 * Math.min(w, h) / extent * view.scale, sx = 2 * s / w, sy = 2 * s / h;
      m[0] = sx; m[5] = sy; m[10] = 1; m[15] = 1;
      m[12] = -centre[0] * sx + 2 * view.panX / w; m[13] = -centre[1] * sy - 2 * view.panY / h;
    } else {
      // Rotate about the vertical axis, then tilt; mild perspective (w = 1 + 0.6 z); room for the diagonal.
      const ca = Math.cos(view.azimuth), sa = Math.sin(view.azimuth), ce = Math.cos(view.elevation), se = Math.sin(view.elevation);
      const fit = 0.9 * Math.min(w, h) / 1.75 * view.scale, kx = 2 * fit / w, ky = 2 * fit / h, e = 1 / extent;
      const rows = [[ca, 0, sa], [se * sa, ce, -se * ca], [-ce * sa, se, ce * ca]];
      // clip = (x·kx, y·ky, z/2, 1 + 0.6 z) of the rotated, centred, unit-extent point
      const A = [rows[0].map(v => v * kx), rows[1].map(v => v * ky), rows[2].map(v => v * 0.5), rows[2].map(v => v * 0.6)];
      for (let r = 0; r < 4; r++) {
        for (let c = 0; c < 3; c++) m[c * 4 + r] = A[r][c] * e;
        m[12 + r] = -(A[r][0] * centre[0] + A[r][1] * centre[1] + A[r][2] * centre[2]) * e + (r === 3 ? 1 : 0);
      }
      // The pan moves the picture in screen units at every depth: x += sx·w, y += sy·w.
      const sx = 2 * view.panX / w, sy = -2 * view.panY / h;
      for (let c = 0; c < 4; c++) { m[c * 4] += sx * m[c * 4 + 3]; m[c * 4 + 1] += sy * m[c * 4 + 3]; }
    }
    return m;
  }

  function pointSize() { return 2 * Math.max(1.2, Math.min(4, 300 / Math.sqrt(Math.max(1, visibleCount)))) * Math.sqrt(view.scale) * dpr(); }

  function ensureDensityTarget() {
    const w = canvas.width, h = canvas.height;
    if (densityTarget && densityTarget.width === w && densityTarget.height === h) return densityTarget;
    if (densityTarget) { gl.deleteTexture(densityTarget.texture); gl.deleteFramebuffer(densityTarget.framebuffer); }
    const texture = gl.createTexture(); gl.bindTexture(gl.TEXTURE_2D, texture);
    if (floatTargets) gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA16F, w, h, 0, gl.RGBA, gl.HALF_FLOAT, null);
    else gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, w, h, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
    for (const p of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, p, gl.NEAREST);
    const framebuffer = gl.createFramebuffer(); gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    return (densityTarget = { texture, framebuffer, width: w, height: h });
  }

  // One frame: one draw call of every point (two passes in the density view).
  function render(opaque, preview) {
    const t0 = performance.now(), count = preview && N > previewFrom ? Math.min(N, Math.round(previewCount)) : N;
    const draw = () => count < N ? gl.drawElements(gl.POINTS, count, gl.UNSIGNED_INT, 0) : gl.drawArrays(gl.POINTS, 0, N);
    matrix = computeMatrix();
    gl.viewport(0, 0, canvas.width, canvas.height);
    gl.useProgram(pointProgram); gl.bindVertexArray(vao);
    gl.uniformMatrix4fv(uMatrix, false, matrix);
    gl.uniform1f(uSize, pointSize());
    gl.uniform1f(uAlpha, opaque ? 1 : (N > 200000 ? 0.55 : 0.75));
    gl.uniform1i(uSelecting, selectionList.length > 0 && !onlySelection ? 1 : 0);
    const dense = density && !opaque;
    gl.uniform1i(uDensity, dense ? 1 : 0);
    gl.enable(gl.BLEND);
    if (dims === 3 && !dense) { gl.enable(gl.DEPTH_TEST); gl.depthFunc(gl.LEQUAL); } else gl.disable(gl.DEPTH_TEST);
    if (dense) {
      const target = ensureDensityTarget();
      gl.bindFramebuffer(gl.FRAMEBUFFER, target.framebuffer);
      gl.clearColor(0, 0, 0, 0); gl.clear(gl.COLOR_BUFFER_BIT);
      gl.blendFunc(gl.ONE, gl.ONE);
      draw();
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.disable(gl.BLEND);
      gl.useProgram(densityProgram);
      gl.activeTexture(gl.TEXTURE0); gl.bindTexture(gl.TEXTURE_2D, target.texture);
      gl.uniform1i(gl.getUniformLocation(densityProgram, "u_acc"), 0);
      // Reference weight: what a pixel would receive if the visible points covered the canvas evenly, ×4.
      const size = pointSize(), perPoint = 0.2 * size * size;
      gl.uniform1f(gl.getUniformLocation(densityProgram, "u_reference"),
                   Math.max(0.05, 4 * visibleCount * perPoint / (canvas.width * canvas.height)) * (floatTargets ? 1 : 1 / 64));
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    } else {
      gl.clearColor(1, 1, 1, 1); gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
      gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
      draw();
    }
    drawOverlay();
    frameMs = performance.now() - t0;
    body.dataset.frame = count < N ? "preview " + count : "full";
  }
  let pending = null;  // null, "preview" or "full" (a full request wins)
  function requestRender(preview) {
    const kind = preview ? "preview" : "full";
    if (pending) { if (kind === "full") pending = kind; return; }
    pending = kind;
    requestAnimationFrame(now => {
      const preview = pending === "preview"; pending = null;
      if (preview && now - lastFrameAt < 500) adapt(now - lastFrameAt);  // consecutive frames: the interval is a frame's cost
      lastFrameAt = now;
      render(false, preview);
    });
  }
  function adapt(interval) {
    if (interval > 60) previewCount = Math.max(20000, previewCount * 0.7); else if (interval < 30) previewCount = Math.min(N, previewCount * 1.25);
  }
  // The view changes (pan, zoom, rotation): preview frames now, a full frame once it rests.
  function moved() {
    requestRender(true);
    clearTimeout(settleTimer); settleTimer = setTimeout(() => requestRender(false), 250);
  }

  // ---- CPU side of the view: screen positions, picking --------------------------------------------
  // Canvas pixels of point i under the current matrix (null when behind the viewer).
  function screen(i) {
    const p = positions[projection], d = dims, m = matrix;
    const x = p[i * d], y = p[i * d + 1], z = d > 2 ? p[i * d + 2] : 0;
    const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
    if (cw <= 0) return null;
    return [((m[0] * x + m[4] * y + m[8] * z + m[12]) / cw + 1) / 2 * canvas.width,
            (1 - (m[1] * x + m[5] * y + m[9] * z + m[13]) / cw) / 2 * canvas.height];
  }
  function visible(i) { return (flags[i] & 1) === 1; }
  // 2-D maps: a uniform grid over the data (counting sort, built once per projection) so a hover
  // looks at the few cells within the pick radius instead of every point; same distance and ties as the scan.
  const grids = [];
  function grid() {
    if (grids[projection]) return grids[projection];
    const p = positions[projection], { centre, extent } = bounds[projection];
    const G = Math.max(1, Math.min(1024, Math.round(Math.sqrt(N / 4)))), cell = extent / G;
    const x0 = centre[0] - extent / 2, y0 = centre[1] - extent / 2;
    const cellOf = new Uint32Array(N), start = new Uint32Array(G * G + 1), items = new Uint32Array(N);
    const at = v => Math.min(G - 1, Math.max(0, Math.floor(v))) | 0;
    for (let i = 0; i < N; i++) { const c = at((p[2 * i + 1] - y0) / cell) * G + at((p[2 * i] - x0) / cell); cellOf[i] = c; start[c + 1]++; }
    for (let c = 0; c < G * G; c++) start[c + 1] += start[c];
    const fill = start.slice(0, G * G);
    for (let i = 0; i < N; i++) items[fill[cellOf[i]]++] = i;
    return (grids[projection] = { G, x0, y0, cell, start, items, at });
  }
  function nearest(mx, my) {
    if (dims !== 2) return nearestByScan(mx, my);
    const g = grid(), p = positions[projection], m = matrix, W = canvas.width / 2, H = canvas.height / 2, radius = 12 * dpr();
    // The mouse and the pick radius in data units (the 2-D matrix is a scale and a shift per axis).
    const x = ((mx / W - 1) - m[12]) / m[0], y = ((1 - my / H) - m[13]) / m[5], rx = radius / W / m[0], ry = radius / H / m[5];
    const cx0 = g.at((x - rx - g.x0) / g.cell), cx1 = g.at((x + rx - g.x0) / g.cell);
    const cy0 = g.at((y - ry - g.y0) / g.cell), cy1 = g.at((y + ry - g.y0) / g.cell);
    let best = -1, bestD = radius * radius;
    for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) {
      const c = cy * g.G + cx;
      for (let k = g.start[c]; k < g.start[c + 1]; k++) {
        const i = g.items[k];
        if ((flags[i] & 1) === 0) continue;
        const sx = (m[0] * p[2 * i] + m[12] + 1) * W, sy = (1 - (m[5] * p[2 * i + 1] + m[13])) * H;
        const dd = (sx - mx) * (sx - mx) + (sy - my) * (sy - my);
        if (dd < bestD || (dd === bestD && i < best)) { bestD = dd; best = i; }
      }
    }
    return best;
  }
  function nearestByScan(mx, my) {
    const p = positions[projection], d = dims, m = matrix, W = canvas.width / 2, H = canvas.height / 2;
    let best = -1, bestD = (12 * dpr()) ** 2, bestDepth = Infinity;
    for (let i = 0; i < N; i++) {
      if ((flags[i] & 1) === 0) continue;
      const x = p[i * d], y = p[i * d + 1], z = d > 2 ? p[i * d + 2] : 0;
      const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
      const sx = ((m[0] * x + m[4] * y + m[8] * z + m[12]) / cw + 1) * W, sy = (1 - (m[1] * x + m[5] * y + m[9] * z + m[13]) / cw) * H;
      const dd = (sx - mx) * (sx - mx) + (sy - my) * (sy - my);
      if (dd < bestD || (dd === bestD && cw < bestDepth)) { bestD = dd; best = i; bestDepth = cw; }
    }
    return best;
  }
  // Visible points inside a polygon of canvas pixels (ray casting), a bounding-box test first.
  function inside(polygon) {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const [x, y] of polygon) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    const chosen = [];
    for (let i = 0; i < N; i++) {
      if (!visible(i)) continue;
      const s = screen(i);
      if (!s || s[0] < x0 || s[0] > x1 || s[1] < y0 || s[1] > y1) continue;
      let inPolygon = false;
      for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
        const [xa, ya] = polygon[a], [xb, yb] = polygon[b];
        if ((ya > s[1]) !== (yb > s[1]) && s[0] < (xb - xa) * (s[1] - ya) / (yb - ya) + xa) inPolygon = !inPolygon;
      }
      if (inPolygon) chosen.push(i);
    }
    return chosen;
  }

  function drawOverlay() {
    if (overlay.width !== canvas.width || overlay.height !== canvas.height) { overlay.width = canvas.width; overlay.height = canvas.height; }
    octx.clearRect(0, 0, overlay.width, overlay.height);
    const r = pointSize() / 2 + 4 * dpr();
    if (pin >= 0 && neighbours) {
      const a = screen(pin), k = M.neighbours.k;
      octx.strokeStyle = "rgba(0,0,0,0.45)"; octx.lineWidth = dpr();
      for (let j = 0; j < k; j++) {
        const q = neighbours[pin * k + j], b = q >= 0 ? screen(q) : null;
        if (a && b) { octx.beginPath(); octx.moveTo(a[0], a[1]); octx.lineTo(b[0], b[1]); octx.stroke(); }
      }
    }
    for (const [i, colour] of [[hover, "#000"], [pin, "#d00"]]) {
      const s = i >= 0 ? screen(i) : null;
      if (!s) continue;
      octx.strokeStyle = colour; octx.lineWidth = 2 * dpr();
      octx.beginPath(); octx.arc(s[0], s[1], r, 0, 6.2832); octx.stroke();
    }
    if (lasso && lasso.length > 1) {
      octx.strokeStyle = "#333"; octx.setLineDash([4, 3]); octx.lineWidth = dpr();
      octx.beginPath(); octx.moveTo(lasso[0][0], lasso[0][1]);
      for (const [x, y] of lasso) octx.lineTo(x, y);
      octx.closePath(); octx.stroke(); octx.setLineDash([]);
    }
  }

  // ---- Buffers: positions, colours, flags ----------------------------------------------------------
  function uploadPositions() {
    dims = M.projections[projection].dimensions;
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, positionBuffer); gl.bufferData(gl.ARRAY_BUFFER, positions[projection], gl.STATIC_DRAW);
    gl.enableVertexAttribArray(0); gl.vertexAttribPointer(0, dims, gl.FLOAT, false, 0, 0);
  }
  function recolor() {
    const col = colorColumn >= 0 ? columns[colorColumn] : null;
    if (!col) { for (let i = 0; i < N; i++) colors.set([59, 111, 182, 255], i * 4); }
    else if (col.kind === "text") {
      const lut = col.palette, v = col.values;
      for (let i = 0; i < N; i++) { const c = lut[v[i]]; const o = i * 4; colors[o] = c[0]; colors[o + 1] = c[1]; colors[o + 2] = c[2]; colors[o + 3] = 255; }
    } else {
      const v = col.values, lo = col.min, span = col.max - col.min || 1;
      for (let i = 0; i < N; i++) { const c = isNaN(v[i]) ? [190, 190, 190] : ramp((v[i] - lo) / span); colors.set([c[0], c[1], c[2], 255], i * 4); }
    }
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, colorBuffer); gl.bufferData(gl.ARRAY_BUFFER, colors, gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(1); gl.vertexAttribPointer(1, 4, gl.UNSIGNED_BYTE, true, 0, 0);
  }
  function reflag() {
    const col = colorColumn >= 0 && columns[colorColumn].kind === "text" ? columns[colorColumn].values : null;
    const hidden = col && hiddenCodes.size ? new Uint8Array(columns[colorColumn].dictionary.length) : null;
    if (hidden) for (const c of hiddenCodes) hidden[c] = 1;
    let count = 0;
    for (let i = 0; i < N; i++) {
      let show = (!filterMask || filterMask[i]) && (!hidden || !hidden[col[i]]) && (!onlySelection || selected[i]);
      flags[i] = (show ? 1 : 0) | (selected[i] ? 2 : 0) | (highlight && highlight[i] ? 4 : 0);
      if (show) count++;
    }
    visibleCount = count;
    body.dataset.drawn = String(count);
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, flagBuffer); gl.bufferData(gl.ARRAY_BUFFER, flags, gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(2); gl.vertexAttribIPointer(2, 1, gl.UNSIGNED_BYTE, 0, 0);
  }

  // ---- Text of a point ----------------------------------------------------------------------------
  function valueText(col, i) {
    if (col.kind === "text") return col.dictionary[col.values[i]];
    const v = col.values[i];
    return isNaN(v) ? "–" : Number.isInteger(v) ? String(v) : v.toPrecision(4);
  }
  function describe(i) {
    return ["row " + i].concat(columns.map(c => c.name + ": " + valueText(c, i))).join("\n");
  }
  function shortLabel(i) {
    const c = colorColumn >= 0 ? columns[colorColumn] : null;
    return c ? valueText(c, i) : "row " + i;
  }

  // ---- Images: PNG sheets of 1024 tiles, loaded when first needed ----------------------------------
  const sheets = [];
  function sheet(k) {
    if (!sheets[k]) {
      const img = new Image();
      img.src = M.images.inline ? window.embedvizSheets[k] : "tiles/" + String(k).padStart(5, "0") + ".png";
      sheets[k] = img;
    }
    return sheets[k];
  }
  function thumbnail(i, size) {
    const g = M.images, c = document.createElement("canvas"), scale = size / Math.max(g.tileWidth, g.tileHeight);
    c.width = Math.round(g.tileWidth * scale); c.height = Math.round(g.tileHeight * scale); c.className = "thumb";
    const k = Math.floor(i / g.perSheet), j = i % g.perSheet, img = sheet(k);
    const paint = () => {
      const x = c.getContext("2d"); x.imageSmoothingEnabled = false;
      x.drawImage(img, (j % g.columns) * g.tileWidth, Math.floor(j / g.columns) * g.tileHeight, g.tileWidth, g.tileHeight, 0, 0, c.width, c.height);
      c.dataset.loaded = "1";
    };
    if (img.complete && img.naturalWidth) paint(); else img.addEventListener("load", paint, { once: true });
    return c;
  }
  function card(panel, i, size) {
    panel.textContent = "";
    if (i < 0) return;
    if (M.images) panel.appendChild(thumbnail(i, size));
    const text = document.createElement("div"); text.className = "kv"; text.textContent = describe(i); panel.appendChild(text);
  }

  function showPin(i) {
    pin = i; card(pinned, i, 84);
    if (i >= 0 && neighbours) {
      const k = M.neighbours.k, head = document.createElement("div");
      head.textContent = k + " nearest neighbours in the original space" + (M.neighbours.about ? " (" + M.neighbours.about + ")" : "") + ":";
      pinned.appendChild(head);
      for (let j = 0; j < k; j++) {
        const q = neighbours[i * k + j];
        if (q < 0) continue;
        const item = document.createElement("span"); item.className = "nb"; item.title = describe(q); item.dataset.row = String(q);
        if (M.images) item.appendChild(thumbnail(q, 42));
        item.appendChild(document.createElement("br")); item.appendChild(document.createTextNode(shortLabel(q)));
        item.addEventListener("click", () => { showPin(q); requestRender(); });
        pinned.appendChild(item);
      }
    }
    body.dataset.pinned = String(i);
  }

  function showHover(i, pageX, pageY) {
    hover = i;
    if (i < 0) { tip.style.display = "none"; body.dataset.hover = "-1"; return; }
    card(tip, i, 84); tip.style.display = "block";
    tip.style.left = (pageX + 14) + "px"; tip.style.top = (pageY + 14) + "px";
    body.dataset.hover = String(i);
  }

  // ---- Selection --------------------------------------------------------------------------------
  function select(rows) {
    selected.fill(0); for (const i of rows) selected[i] = 1;
    selectionList = rows;
    reflag();
    selectionPanel.textContent = "";
    $("export").disabled = $("clear").disabled = rows.length === 0;
    body.dataset.selected = String(rows.length);
    if (rows.length) {
      const head = document.createElement("div"); head.textContent = rows.length + " selected (rows; export gives every column):";
      const list = document.createElement("textarea"); list.readOnly = true; list.rows = 3;
      list.value = rows.slice(0, 20000).join(", ") + (rows.length > 20000 ? ", …" : "");
      selectionPanel.append(head, list);
      if (M.images) {
        const grid = document.createElement("div");
        for (const i of rows.slice(0, 300)) { const c = thumbnail(i, 42); c.title = describe(i); grid.appendChild(c); }
        selectionPanel.appendChild(grid);
      }
    }
    requestRender();
    return rows.length;
  }
  function csvField(s) { return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s; }
  function selectionCSV() {
    const lines = [["row"].concat(columns.map(c => csvField(c.name))).join(",")];
    for (const i of selectionList) lines.push([String(i)].concat(columns.map(c => csvField(valueText(c, i)))).join(","));
    return lines.join("\n") + "\n";
  }
  function download() {
    const url = URL.createObjectURL(new Blob([selectionCSV()], { type: "text/csv" }));
    const a = document.createElement("a"); a.href = url; a.download = "selection.csv"; document.body.appendChild(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---- Search / filter ------------------------------------------------------------------------------
  // Text columns: case-insensitive substring ("=value" for an exact match); number columns: "x", ">x",
  // ">=x", "<x", "<=x", "a..b"; "any column" tries each.
  function numberTest(q) {
    let m = q.match(/^\s*(-?[\d.eE+-]+)\s*\.\.\s*(-?[\d.eE+-]+)\s*$/);
    if (m) { const a = +m[1], b = +m[2]; return v => v >= a && v <= b; }
    m = q.match(/^\s*(>=|<=|>|<|=)?\s*(-?[\d.eE+-]+)\s*$/);
    if (!m || isNaN(+m[2])) return null;
    const x = +m[2];
    return { ">": v => v > x, ">=": v => v >= x, "<": v => v < x, "<=": v => v <= x }[m[1]] || (v => v === x);
  }
  function search(columnName, query) {
    query = (query || "").trim();
    if (!query) { filterMask = null; reflag(); requestRender(); $("filter-count").textContent = ""; body.dataset.matched = String(N); return N; }
    const mask = new Uint8Array(N), targets = columnName ? columns.filter(c => c.name === columnName) : columns;
    const exact = query.startsWith("="), needle = (exact ? query.slice(1) : query).toLowerCase();
    for (const c of targets) {
      if (c.kind === "text") {
        const hit = new Uint8Array(c.dictionary.length);
        // Categories that are numbers (class ids) also answer comparisons: ">3", "2..5".
        const compare = /^\s*(>|<|-?[\d.]+\s*\.\.)/.test(query) ? numberTest(query) : null;
        c.dictionary.forEach((s, k) => {
          const t = s.toLowerCase();
          hit[k] = compare ? s !== "" && !isNaN(+s) && compare(+s) : exact ? t === needle : t.includes(needle);
        });
        for (let i = 0; i < N; i++) if (hit[c.values[i]]) mask[i] = 1;
      } else {
        const test = numberTest(query);
        if (test) for (let i = 0; i < N; i++) if (test(c.values[i])) mask[i] = 1;
      }
    }
    filterMask = mask;
    let matched = 0; for (let i = 0; i < N; i++) matched += mask[i];
    reflag(); requestRender();
    $("filter-count").textContent = matched + " match";
    body.dataset.matched = String(matched);
    return matched;
  }

  // ---- Legend -------------------------------------------------------------------------------------
  function buildLegend() {
    legend.textContent = "";
    const col = colorColumn >= 0 ? columns[colorColumn] : null;
    if (col && col.kind === "text") {
      const counts = new Uint32Array(col.dictionary.length);
      for (let i = 0; i < N; i++) counts[col.values[i]]++;
      let order = col.dictionary.map((_, k) => k).filter(k => counts[k] > 0);
      if (order.length > 20) order.sort((a, b) => counts[b] - counts[a]);
      const shown = order.slice(0, 500);
      const head = document.createElement("div");
      head.textContent = order.length + " values of " + col.name + (order.length > 20 ? " (most frequent first)" : "") + " ";
      const all = document.createElement("button"); all.textContent = "all";
      all.onclick = () => { hiddenCodes.clear(); buildLegend(); reflag(); requestRender(); };
      const none = document.createElement("button"); none.textContent = "none";
      none.onclick = () => { order.forEach(k => hiddenCodes.add(k)); buildLegend(); reflag(); requestRender(); };
      head.append(all, none); legend.appendChild(head);
      for (const k of shown) {
        const item = document.createElement("label"), box = document.createElement("input");
        box.type = "checkbox"; box.checked = !hiddenCodes.has(k); box.dataset.code = String(k);
        box.addEventListener("change", () => { if (box.checked) hiddenCodes.delete(k); else hiddenCodes.add(k); reflag(); requestRender(); });
        const swatch = document.createElement("span"); swatch.className = "swatch"; swatch.style.background = hex(col.palette[k]);
        item.append(box, swatch, document.createTextNode(" " + col.dictionary[k] + " (" + counts[k] + ")"));
        legend.appendChild(item);
      }
      if (order.length > shown.length) {
        const more = document.createElement("div"); more.textContent = "… and " + (order.length - shown.length) + " more (search to find one)";
        legend.appendChild(more);
      }
    } else if (col) {
      const bar = document.createElement("span"); bar.className = "ramp";
      bar.style.background = "linear-gradient(to right," + viridis.map(hex).join(",") + ")";
      legend.append(document.createTextNode(col.name + ": " + col.min.toPrecision(3) + " "), bar, document.createTextNode(" " + col.max.toPrecision(3)));
    }
    if (highlight) {
      let count = 0; for (let i = 0; i < N; i++) count += highlight[i];
      const note = document.createElement("div");
      note.innerHTML = '<span class="swatch" style="background:#fff;border:2px solid #000"></span> ';
      note.appendChild(document.createTextNode("ringed: " + M.highlight + " (" + count + ")"));
      legend.appendChild(note);
    }
  }
  function setColorColumn(name) {
    colorColumn = columns.findIndex(c => c.name === name);
    hiddenCodes.clear(); recolor(); buildLegend(); reflag(); requestRender();
    $("color-by").value = String(colorColumn);
    return colorColumn;
  }

  // ---- Interaction ----------------------------------------------------------------------------------
  function pointer(e) { const r = canvas.getBoundingClientRect(), k = canvas.width / r.width; return [(e.clientX - r.left) * k, (e.clientY - r.top) * k]; }
  canvas.addEventListener("mousedown", e => {
    const [x, y] = pointer(e);
    if (e.shiftKey) lasso = [[x, y]]; else drag = { x, y, moved: false };
  });
  window.addEventListener("mouseup", e => {
    if (lasso) {
      const polygon = lasso; lasso = null;
      if (polygon.length > 2) select(inside(polygon)); else requestRender();
    } else if (drag && !drag.moved) {
      const [x, y] = pointer(e); showPin(nearest(x, y)); requestRender();
    }
    drag = null;
  });
  let hoverQueued = null;
  canvas.addEventListener("mousemove", e => {
    const [x, y] = pointer(e);
    if (lasso) { lasso.push([x, y]); drawOverlay(); return; }
    if (drag) {
      const dx = x - drag.x, dy = y - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 2) drag.moved = true;
      if (dims > 2 && !e.altKey) { view.azimuth += dx * 0.01 / dpr(); view.elevation = Math.max(-1.5, Math.min(1.5, view.elevation + dy * 0.01 / dpr())); }
      else { view.panX += dx; view.panY += dy; }
      drag.x = x; drag.y = y; moved(); return;
    }
    // Picking scans every point: at most once per frame.
    if (!hoverQueued) requestAnimationFrame(() => {
      const q = hoverQueued; hoverQueued = null;
      const h = nearest(q.x, q.y);
      if (h !== hover || h >= 0) { showHover(h, q.pageX, q.pageY); drawOverlay(); }
    });
    hoverQueued = { x, y, pageX: e.pageX, pageY: e.pageY };
  });
  canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; hover = -1; drawOverlay(); });
  canvas.addEventListener("wheel", e => { e.preventDefault(); const [x, y] = pointer(e); zoomAt(x, y, e.deltaY < 0 ? 1.2 : 1 / 1.2); moved(); }, { passive: false });
  function zoomAt(x, y, factor) {
    const cx = x - canvas.width / 2, cy = y - canvas.height / 2;
    view.panX = (view.panX - cx) * factor + cx; view.panY = (view.panY - cy) * factor + cy; view.scale *= factor;
  }
  function resize() {
    const r = canvas.getBoundingClientRect();
    canvas.width = Math.max(200, Math.round(r.width * dpr())); canvas.height = Math.max(200, Math.round(r.height * dpr()));
    render(false);
  }

  // ---- The page's own API (tests, benchmarks, the console) --------------------------------------------
  // What was drawn, read back: opaque points (exact colours) unless `asShown` (blending, density view).
  function snapshot(asShown) {
    render(!asShown);
    const w = canvas.width, h = canvas.height, px = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, px);
    render(false);
    const counts = new Map(); let ink = 0;
    for (let o = 0; o < px.length; o += 4) {
      if (px[o] === 255 && px[o + 1] === 255 && px[o + 2] === 255) continue;
      ink++; const key = (px[o] << 16) | (px[o + 1] << 8) | px[o + 2]; counts.set(key, (counts.get(key) || 0) + 1);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 256).map(([k, c]) => [hex([k >> 16, (k >> 8) & 255, k & 255]), c]);
    return { width: w, height: h, ink, colors: top };
  }
  // Times `frames` view changes, each drawn and waited for (1-pixel read-back); `sample` points per
  // frame for a preview (default: every point).
  function benchmark(frames, sample) {
    frames = frames || 60;
    const savedCount = previewCount; if (sample) previewCount = sample;
    const saved = Object.assign({}, view), times = [], px = new Uint8Array(4);
    for (let f = 0; f < frames; f++) {
      if (dims > 2) view.azimuth += 0.03; else { zoomAt(canvas.width * 0.4, canvas.height * 0.45, f % 20 < 10 ? 1.1 : 1 / 1.1); view.panX += 3; }
      const t0 = performance.now();
      render(false, !!sample);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);  // waits until the GPU has drawn the frame
      times.push(performance.now() - t0);
    }
    Object.assign(view, saved); previewCount = savedCount; render(false);
    const sorted = times.slice().sort((a, b) => a - b), at = q => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { points: N, drawn: visibleCount, drawnPerFrame: sample && N > previewFrom ? Math.min(N, sample) : N, frames, median_ms: at(0.5), p90_ms: at(0.9), min_ms: sorted[0], canvas: [canvas.width, canvas.height],
             renderer: gl.getParameter(gl.RENDERER), density };
  }
  // What a user sees while zooming: `frames` animation frames, each a view change drawn as a
  // preview (adapting its sample as the page does); the intervals between frames, and the sample.
  function animate(frames) {
    return new Promise(done => {
      const saved = Object.assign({}, view), times = [];
      let last = 0, f = 0;
      const step = now => {
        if (last) { times.push(now - last); adapt(now - last); }
        last = now;
        if (f++ >= (frames || 60)) {
          Object.assign(view, saved); render(false);
          const sorted = times.slice().sort((a, b) => a - b);
          done({ points: N, frames: times.length, median_interval_ms: sorted[sorted.length >> 1], drawnPerFrame: N > previewFrom ? Math.round(previewCount) : N });
          return;
        }
        if (dims > 2) view.azimuth += 0.03; else zoomAt(canvas.width * 0.4, canvas.height * 0.45, f % 20 < 10 ? 1.1 : 1 / 1.1);
        render(false, true);
        requestAnimationFrame(step);
      };
      requestAnimationFrame(step);
    });
  }
  function cssPosition(i) { const s = screen(i), k = canvas.getBoundingClientRect().width / canvas.width, r = canvas.getBoundingClientRect();
    return s ? [r.left + s[0] * k, r.top + s[1] * k] : null; }
  window.explorer = {
    info: () => ({ points: N, dimensions: dims, projection, projections: M.projections.map(p => p.name), columns: columns.map(c => c.name),
                   colorColumn: colorColumn >= 0 ? columns[colorColumn].name : null, drawn: visibleCount, selected: selectionList.length,
                   images: !!M.images, neighbours: M.neighbours ? M.neighbours.k : 0, floatTargets, frameMs }),
    describe, cssPosition, search, animate,
    nearest: (x, y) => nearest(x * dpr(), y * dpr()),
    nearestByScan: (x, y) => nearestByScan(x * dpr(), y * dpr()), snapshot, benchmark, selectionCSV,
    legendColors: () => { const c = columns[colorColumn]; return c && c.kind === "text" ? c.dictionary.map((v, k) => [v, hex(c.palette[k])]) : []; },
    colorBy: setColorColumn,
    setProjection: k => { $("projection").value = String(k); $("projection").dispatchEvent(new Event("change")); return dims; },
    setDensity: on => { $("density").checked = !!on; density = !!on; render(false); return density; },
    rotate: (da, de) => { view.azimuth += da; view.elevation += de; render(false); },
    selectPolygon: polygon => select(inside(polygon.map(([x, y]) => [x * dpr(), y * dpr()]))),
    selectBox: (x0, y0, x1, y1) => window.explorer.selectPolygon([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]),
    selectRows: rows => select(rows.slice()),
    pin: i => { showPin(i); render(false); return pinned.querySelectorAll(".nb").length; },
    neighbours: i => neighbours ? Array.from(neighbours.subarray(i * M.neighbours.k, (i + 1) * M.neighbours.k)) : [],
    render: () => render(false),
  };

  // ---- Start ---------------------------------------------------------------------------------------
  async function start() {
    if (M.files.length) { status.textContent = "loading " + M.files.length + " data files…"; await loadScripts(M.files); }
    positions = M.projections.map(p => decode(p.key));
    bounds = M.projections.map((p, k) => computeBounds(positions[k], p.dimensions));
    columns = M.columns.map(c => {
      const col = Object.assign({}, c, { values: decode(c.key) });
      if (c.kind === "text") col.palette = c.dictionary.map((_, k) => c.colors && c.colors[k] ? cssColor(c.colors[k]) : categoryColor(k, c.dictionary.length));
      else { let lo = Infinity, hi = -Infinity; for (const v of col.values) if (!isNaN(v)) { if (v < lo) lo = v; if (v > hi) hi = v; } col.min = isFinite(lo) ? lo : 0; col.max = isFinite(hi) ? hi : 1; }
      return col;
    });
    highlight = M.arrays.highlight ? decode("highlight") : null;
    neighbours = M.neighbours ? decode("nb") : null;

    const projectionSelect = $("projection");
    M.projections.forEach((p, k) => projectionSelect.add(new Option(p.name + " (" + p.dimensions + "-D)", String(k))));
    if (M.projections.length < 2) $("projection-row").style.display = "none";
    projectionSelect.addEventListener("change", () => { projection = +projectionSelect.value; uploadPositions(); updateHelp(); requestRender(); });
    const colorSelect = $("color-by"), filterSelect = $("filter-column");
    colorSelect.add(new Option("one colour", "-1")); filterSelect.add(new Option("any column", ""));
    columns.forEach((c, k) => { colorSelect.add(new Option(c.name, String(k))); filterSelect.add(new Option(c.name, c.name)); });
    colorSelect.addEventListener("change", () => setColorColumn(colorSelect.value === "-1" ? "" : columns[+colorSelect.value].name));
    const runSearch = () => search(filterSelect.value, $("filter").value);
    $("filter").addEventListener("input", runSearch); filterSelect.addEventListener("change", runSearch);
    $("density").addEventListener("change", e => { density = e.target.checked; requestRender(); });
    $("only-selection").addEventListener("change", e => { onlySelection = e.target.checked; reflag(); requestRender(); });
    $("reset").addEventListener("click", () => { Object.assign(view, { scale: 1, panX: 0, panY: 0, azimuth: 0.6, elevation: 0.35 }); requestRender(); });
    $("export").addEventListener("click", download);
    $("clear").addEventListener("click", () => select([]));
    function updateHelp() {
      $("help").textContent = "Hover: a point's " + (M.images ? "image and " : "") + "values · click: pin it" + (neighbours ? " and list its neighbours" : "") +
        " · drag: " + (dims === 3 ? "rotate (alt+drag: pan)" : "pan") + " · wheel: zoom · shift+drag: lasso selection · legend: show/hide a value";
    }

    uploadPositions(); updateHelp();
    if (N > previewFrom) {  // a fixed random order (Fisher–Yates, seeded LCG) for preview frames
      const order = new Uint32Array(N); let seed = 12345;
      for (let i = 0; i < N; i++) order[i] = i;
      for (let i = N - 1; i > 0; i--) { seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0; const j = seed % (i + 1), t = order[i]; order[i] = order[j]; order[j] = t; }
      gl.bindVertexArray(vao); gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, indexBuffer); gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.STATIC_DRAW);
    }
    colorColumn = M.colorColumn ? columns.findIndex(c => c.name === M.colorColumn) : -1;
    colorSelect.value = String(colorColumn);
    recolor(); reflag(); buildLegend(); select([]);
    window.addEventListener("resize", resize);
    resize();
    status.textContent = N + " points" + (M.images ? " · images load on hover" : "");
    body.dataset.ready = "1";
  }
  start().catch(e => fail(String(e && e.message || e)));
})();
"""#
}
