// Kura explorer: plain JavaScript, no build step, no dependencies.
//
// Reads Kura's public routes and checks what it shows in this browser with WebCrypto (Ed25519, SHA-256),
// following Docs/receipts.md: a receipt bundle's checks run in the documented order (malformed, key_name,
// signature, size, leaf, proof), so the same tampering gets the same name here as in `kura receipts verify`.
// The server is trusted for nothing it shows as verified: only the verifier key is, and that can be pinned.
"use strict";

const KEY_STORAGE = "kura.verifierKey";
const view = document.getElementById("view");

// ---------- small helpers ----------

/** Creates an element with attributes and children (strings become text nodes, never HTML). */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svgEl(tag, attributes, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function show(...sections) {
  view.replaceChildren(...sections);
}

async function fetchText(path) {
  const response = await fetch(path, { headers: { Accept: "application/json, text/plain" } });
  const text = await response.text();
  if (!response.ok) {
    let detail = text;
    try { detail = JSON.parse(text).detail || text; } catch (_) { /* not a problem document */ }
    throw new Error(`${path}: ${response.status} ${detail}`);
  }
  return text;
}

async function fetchJSON(path) {
  return JSON.parse(await fetchText(path));
}

const utf8 = new TextEncoder();

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}

function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Standard padded base64 (RFC 4648 section 4), strictly: anything else is null. */
function fromBase64(text) {
  if (typeof text !== "string" || !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) {
    return null;
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function toBase64URL(bytes) {
  return toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64URL(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return fromBase64(padded);
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/**
 * RFC 8785 (JCS) canonical JSON. Members sorted by UTF-16 code units (what Array.prototype.sort does on
 * strings); strings and numbers as ECMAScript's JSON.stringify writes them, which is what JCS specifies.
 */
function canonicalJSON(value) {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) throw new Error("a number is not finite");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalJSON).join(",") + "]";
  const keys = Object.keys(value).sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJSON(value[k])).join(",") + "}";
}

function grouped(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : String(n);
}

function when(ms) {
  return typeof ms === "number" ? new Date(ms).toISOString().replace(".000Z", "Z") : "";
}

// ---------- keys, notes, checkpoints ----------

/** A C2SP note verifier key `<name>+<key id hex>+<base64(0x01 || key)>`, its key ID recomputed. */
async function parseVerifierKey(text) {
  // The name holds no "+", the key ID is 8 hex digits; the base64 key may hold "+" of its own.
  const match = /^([^+\s]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim());
  if (!match) throw new Error("a verifier key is <name>+<key id>+<key>");
  const [, name, idHex, keyB64] = match;
  const raw = fromBase64(keyB64);
  if (!name || !/^[0-9a-f]{8}$/.test(idHex) || !raw || raw.length !== 33 || raw[0] !== 1) {
    throw new Error("not an Ed25519 note verifier key");
  }
  const publicKey = raw.slice(1);
  const id = (await sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, 0x01), publicKey))).slice(0, 4);
  if (hex(id) !== idHex) throw new Error("the key ID does not match the name and key");
  const cryptoKey = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return { text: text.trim(), name, id, publicKey, cryptoKey };
}

let trustedKeyPromise = null;

/** The verifier key: the one pinned in this browser, else the server's own (GET /v1/log/key). */
function trustedKey() {
  if (!trustedKeyPromise) {
    trustedKeyPromise = (async () => {
      const pinned = localStorage.getItem(KEY_STORAGE);
      const text = pinned || (await fetchText("/v1/log/key"));
      const key = await parseVerifierKey(text);
      key.origin = pinned ? "pinned in this browser" : "from this server, not pinned";
      document.getElementById("trusted-key").textContent = key.text;
      document.getElementById("key-origin").textContent = "(" + key.origin + ")";
      return key;
    })();
  }
  return trustedKeyPromise;
}

async function ed25519Verify(key, signature, message) {
  return crypto.subtle.verify({ name: "Ed25519" }, key.cryptoKey, signature, message);
}

/** Splits a signed note: the text up to and including the newline before the last blank line, then lines. */
function parseNote(note) {
  if (typeof note !== "string" || !note.endsWith("\n")) throw new Error("the note does not end in a newline");
  const split = note.lastIndexOf("\n\n");
  if (split < 0) throw new Error("the note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  const signatures = note.slice(split + 2, -1).split("\n").map((line) => {
    const match = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!match) throw new Error("a signature line is not '\u2014 <name> <base64>'");
    const bytes = fromBase64(match[2]);
    if (!bytes || bytes.length < 5) throw new Error("a signature is not base64 of a key ID and a signature");
    return { name: match[1], id: bytes.slice(0, 4), signature: bytes.slice(4) };
  });
  return { text, signatures };
}

/** The checkpoint body: origin, tree size, root hash (C2SP tlog-checkpoint). */
function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "") throw new Error("a checkpoint has three lines");
  const [origin, sizeText, rootText] = lines;
  if (!origin || !/^(0|[1-9][0-9]{0,15})$/.test(sizeText)) throw new Error("the tree size is not a decimal");
  const root = fromBase64(rootText);
  if (!root || root.length !== 32) throw new Error("the root hash is not base64 of 32 bytes");
  return { origin, size: Number(sizeText), root };
}

/** Opens a signed checkpoint with `key`: the steps key_name and signature of Docs/receipts.md. */
async function openCheckpoint(note, key) {
  const parsed = parseNote(note);
  const checkpoint = parseCheckpoint(parsed.text);
  const line = parsed.signatures.find((s) => s.name === key.name && equalBytes(s.id, key.id));
  return { checkpoint, line, valid: line ? await ed25519Verify(key, line.signature, utf8.encode(parsed.text)) : false };
}

// ---------- bundle verification (Docs/receipts.md section 5, in its order) ----------

const CHECKS = ["malformed", "key_name", "signature", "size", "leaf", "proof"];

async function leafHash(receipt) {
  return sha256(concat(Uint8Array.of(0), utf8.encode(canonicalJSON(receipt))));
}

/** RFC 9162 section 2.1.3.2, with BigInt indices (sizes go past 2^32). */
async function rootFromInclusionProof(index, size, leaf, proof) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = leaf;
  if (fn > sn) return null;
  for (const p of proof) {
    if (sn === 0n) return null;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await sha256(concat(Uint8Array.of(1), p, r));
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = await sha256(concat(Uint8Array.of(1), r, p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

function exactMembers(object, names) {
  return object && typeof object === "object" && !Array.isArray(object) &&
    Object.keys(object).length === names.length && names.every((n) => Object.prototype.hasOwnProperty.call(object, n));
}

/** Verifies a bundle; returns {valid, check, reason, passed: [check…], bundle?, checkpoint?}. */
async function verifyBundle(bundleText, key) {
  const passed = [];
  const fail = (check, reason, extra) => ({ valid: false, check, reason, passed, ...extra });
  let bundle;
  try { bundle = JSON.parse(bundleText); } catch (error) { return fail("malformed", "not JSON: " + error.message); }
  if (!exactMembers(bundle, ["receipt", "proof", "checkpoint"])) {
    return fail("malformed", "a bundle has exactly receipt, proof and checkpoint");
  }
  const { receipt, proof } = bundle;
  if (!receipt || typeof receipt !== "object" || Array.isArray(receipt)) return fail("malformed", "the receipt is not an object");
  if (!exactMembers(proof, ["leafIndex", "treeSize", "hashes"]) || !Number.isSafeInteger(proof.leafIndex) ||
      !Number.isSafeInteger(proof.treeSize) || proof.leafIndex < 0 || proof.treeSize < 0 || !Array.isArray(proof.hashes)) {
    return fail("malformed", "proof has exactly leafIndex, treeSize (integers) and hashes");
  }
  const hashes = proof.hashes.map(fromBase64);
  if (hashes.some((h) => !h || h.length !== 32)) return fail("malformed", "a proof hash is not base64 of 32 bytes");
  let opened;
  try {
    const parsed = parseNote(bundle.checkpoint);
    const checkpoint = parseCheckpoint(parsed.text);
    opened = { parsed, checkpoint };
  } catch (error) {
    return fail("malformed", "the checkpoint: " + error.message);
  }
  passed.push("malformed");
  const extra = { bundle, checkpoint: opened.checkpoint };
  const line = opened.parsed.signatures.find((s) => s.name === key.name && equalBytes(s.id, key.id));
  if (!line) return fail("key_name", `no signature by ${key.name}+${hex(key.id)}`, extra);
  passed.push("key_name");
  if (!(await ed25519Verify(key, line.signature, utf8.encode(opened.parsed.text)))) {
    return fail("signature", "the checkpoint's Ed25519 signature does not verify with the key", extra);
  }
  passed.push("signature");
  if (proof.leafIndex >= proof.treeSize || proof.treeSize !== opened.checkpoint.size) {
    return fail("size", `leaf ${proof.leafIndex} of ${proof.treeSize}, checkpoint of ${opened.checkpoint.size}`, extra);
  }
  passed.push("size");
  if (Object.prototype.hasOwnProperty.call(receipt, "index") && receipt.index !== proof.leafIndex) {
    return fail("leaf", `the receipt says index ${receipt.index}, the proof ${proof.leafIndex}`, extra);
  }
  passed.push("leaf");
  let root;
  try {
    root = await rootFromInclusionProof(proof.leafIndex, proof.treeSize, await leafHash(receipt), hashes);
  } catch (error) {
    return fail("malformed", "the receipt does not canonicalize: " + error.message, extra);
  }
  if (!root || !equalBytes(root, opened.checkpoint.root)) {
    return fail("proof", `the receipt and its ${hashes.length} proof hashes do not lead to the checkpoint's root`, extra);
  }
  passed.push("proof");
  return { valid: true, check: null, reason: null, passed, ...extra };
}

// ---------- views ----------

function verdict(valid, text, check) {
  return el("p", {
    id: "verdict", class: "verdict " + (valid ? "valid" : "invalid"),
    "data-verdict": valid ? "valid" : "invalid", "data-check": check || undefined,
  }, text);
}

function checksList(result) {
  return el("ol", { class: "checks" }, CHECKS.map((check) => {
    const state = result.passed.includes(check) ? "pass" : check === result.check ? "fail" : "skip";
    const label = state === "fail" ? `${check}: ${result.reason}` : check;
    return el("li", { class: state, "data-check": check, "data-state": state }, label);
  }));
}

function receiptsTable(items) {
  if (!items.length) return el("p", { class: "muted" }, "No receipts yet.");
  return el("table", { id: "receipts" },
    el("thead", {}, el("tr", {},
      ["#", "kind", "outcome", "payer", "payee", "amount", "at"].map((h, i) =>
        el("th", { class: i === 0 || i === 5 ? "num" : undefined }, h)))),
    el("tbody", {}, items.map((r) => el("tr", { "data-index": r.index },
      el("td", { class: "num" }, el("a", { href: `#/receipt/${r.index}` }, r.index)),
      el("td", {}, r.kind), el("td", {}, r.outcome),
      el("td", {}, el("a", { href: `#/party/${r.payer}`, class: "mono" }, r.payer)),
      el("td", {}, el("a", { href: `#/party/${r.payee}`, class: "mono" }, r.payee)),
      el("td", { class: "num" }, `${grouped(r.amount)} ${r.asset}`),
      el("td", {}, when(r.at))))));
}

async function homeView() {
  const key = await trustedKey();
  const note = await fetchText("/v1/log/checkpoint");
  let opened;
  try { opened = await openCheckpoint(note, key); } catch (error) { opened = { error }; }
  const checkpointSection = el("section", { id: "checkpoint" }, el("h2", {}, "Latest checkpoint"));
  if (opened.error) {
    checkpointSection.append(verdict(false, "Checkpoint malformed: " + opened.error.message, "malformed"));
  } else {
    const cp = opened.checkpoint;
    checkpointSection.append(
      verdict(opened.valid, opened.valid
        ? `Signature verified: ${key.name} signed ${grouped(cp.size)} receipts`
        : (opened.line ? "Signature does NOT verify" : `No signature by ${key.name}`), opened.valid ? null : "signature"),
      el("dl", { class: "facts" },
        el("dt", {}, "origin"), el("dd", {}, el("code", {}, cp.origin)),
        el("dt", {}, "tree size"), el("dd", { id: "tree-size" }, grouped(cp.size)),
        el("dt", {}, "root hash"), el("dd", {}, el("code", {}, toBase64(cp.root)))),
      el("h3", {}, "Signed note"), el("pre", { class: "mono" }, note));
  }
  const size = opened.checkpoint ? opened.checkpoint.size : 0;
  const newest = size > 10 ? `&cursor=${size - 11}` : "";
  const page = await fetchJSON(`/v1/receipts?limit=10${newest}`);
  const items = page.items.slice().reverse();
  show(checkpointSection,
    el("section", {}, el("h2", {}, "Newest receipts"),
      el("p", { class: "muted" }, "Open one to verify its inclusion proof against the checkpoint, here in the browser."),
      receiptsTable(items)));
}

function receiptFacts(receipt) {
  const rows = Object.keys(receipt).sort().map((name) => {
    let value = receipt[name];
    if ((name === "payer" || name === "payee") && typeof value === "string") {
      value = el("a", { href: `#/party/${value}`, class: "mono" }, value);
    } else if (name === "at") {
      value = `${value} (${when(value)})`;
    } else if (typeof value === "number") {
      value = grouped(value);
    }
    return [el("dt", {}, name), el("dd", {}, value)];
  });
  return el("dl", { class: "facts", id: "receipt-facts" }, rows.flat());
}

async function bundleView(bundleText, title, source) {
  const key = await trustedKey();
  const result = await verifyBundle(bundleText, key);
  const text = result.valid
    ? `Verified: receipt ${result.bundle.proof.leafIndex} is in the log ${key.name} signed at size ${grouped(result.checkpoint.size)}`
    : `NOT verified: ${result.check}: ${result.reason}`;
  const sections = [el("section", { id: "bundle" }, el("h2", {}, title), verdict(result.valid, text, result.check),
    checksList(result), source ? el("p", { class: "muted" }, source) : null)];
  if (result.bundle && result.bundle.receipt && typeof result.bundle.receipt === "object") {
    const link = "#/bundle/" + toBase64URL(utf8.encode(bundleText));
    sections.push(el("section", {}, el("h2", {}, "Receipt"), receiptFacts(result.bundle.receipt),
      el("p", {}, el("a", { href: link }, "Link to this bundle"), " (the bundle travels in the link; checked again wherever it is opened)")));
  }
  show(...sections);
}

async function receiptView(index) {
  const text = await fetchText(`/v1/receipts/${encodeURIComponent(index)}/bundle`);
  await bundleView(text, `Receipt ${index}`, `Bundle from GET /v1/receipts/${index}/bundle.`);
}

function verifyFormView() {
  const area = el("textarea", { id: "bundle-input", placeholder: "{\"receipt\": …, \"proof\": …, \"checkpoint\": …}" });
  const button = el("button", { type: "button" }, "Verify");
  button.addEventListener("click", () => {
    location.hash = "#/bundle/" + toBase64URL(utf8.encode(area.value.trim()));
  });
  show(el("section", {}, el("h2", {}, "Verify a receipt bundle"),
    el("p", {}, "Paste a bundle from ", el("code", {}, "kura receipts bundle"), " or ",
      el("code", {}, "GET /v1/receipts/{index}/bundle"), ". It is checked here, with the verifier key below."),
    area, el("p", {}, button)));
}

function scoreCard(role, score) {
  return el("div", { class: "score " + role, "data-role": role },
    el("div", { class: "muted" }, role),
    el("div", { class: "value" }, score.score),
    el("div", {}, `${score.tier}, lower bound ${score.lowerBound}`),
    el("div", { class: "muted" }, `evidence +${score.evidence.positive} / −${score.evidence.negative}`));
}

/** An SVG line chart of provider and payer scores (0–1000) over the tree sizes in `points`. */
function reputationChart(points) {
  const width = 720, height = 280, left = 48, right = 16, top = 16, bottom = 40;
  const xs = points.map((p) => p.size);
  const minX = Math.min(...xs), maxX = Math.max(...xs);
  const x = (size) => left + (maxX === minX ? (width - left - right) / 2 : (size - minX) / (maxX - minX) * (width - left - right));
  const y = (score) => top + (1 - score / 1000) * (height - top - bottom);
  const svg = svgEl("svg", { class: "chart", id: "reputation-chart", viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": "provider and payer scores over the log" });
  for (const tick of [0, 250, 500, 750, 1000]) {
    svg.append(svgEl("line", { class: "grid", x1: left, x2: width - right, y1: y(tick), y2: y(tick) }),
      svgEl("text", { class: "axis", x: left - 8, y: y(tick) + 4, "text-anchor": "end" }, tick));
  }
  const first = points[0], last = points[points.length - 1];
  svg.append(
    svgEl("text", { class: "axis", x: left, y: height - 20, "text-anchor": "start" }, `size ${first.size}`),
    svgEl("text", { class: "axis", x: width - right, y: height - 20, "text-anchor": "end" }, `size ${last.size}`),
    svgEl("text", { class: "axis", x: left, y: height - 4, "text-anchor": "start" }, when(first.at).slice(0, 10)),
    svgEl("text", { class: "axis", x: width - right, y: height - 4, "text-anchor": "end" }, when(last.at).slice(0, 10)));
  for (const role of ["provider", "payer"]) {
    const path = points.map((p) => `${x(p.size).toFixed(1)},${y(p[role]).toFixed(1)}`).join(" ");
    svg.append(svgEl("polyline", { class: role, points: path, "data-role": role }));
    for (const p of points) {
      svg.append(svgEl("circle", { class: role, cx: x(p.size).toFixed(1), cy: y(p[role]).toFixed(1), r: 3.5 },
        svgEl("title", {}, `${role} ${p[role]} at size ${p.size} (${when(p.at)})`)));
    }
  }
  return svg;
}

/** Provider and payer scores after each of the party's receipts (at most 24 points, always the last). */
async function reputationHistory(party) {
  const receipts = [];
  let cursor = null;
  do {
    const page = await fetchJSON(`/v1/receipts?party=${encodeURIComponent(party)}&limit=1000` +
      (cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""));
    receipts.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && receipts.length < 10000);
  if (!receipts.length) return [];
  const step = Math.max(1, Math.ceil(receipts.length / 24));
  const sampled = receipts.filter((_, i) => i % step === 0 || i === receipts.length - 1);
  const points = [];
  for (const r of sampled) {
    const report = await fetchJSON(`/v1/reputation/${encodeURIComponent(party)}?asOf=${r.index + 1}`);
    points.push({ size: r.index + 1, at: r.at, provider: report.provider.score, payer: report.payer.score });
  }
  return points;
}

async function partyView(party) {
  const key = await trustedKey();
  const passport = await fetchJSON(`/v1/parties/${encodeURIComponent(party)}/passport`);
  const signed = { issuedAt: passport.issuedAt, issuer: passport.issuer, party: passport.party };
  if (passport.reputation !== undefined) signed.reputation = passport.reputation;
  const signature = fromBase64(passport.signature);
  let valid = false, reason = "";
  if (passport.issuer !== key.name) {
    reason = `issued by ${passport.issuer}, not by the key ${key.name}`;
  } else if (!signature || signature.length !== 64) {
    reason = "the signature is not base64 of 64 bytes";
  } else {
    valid = await ed25519Verify(key, signature, utf8.encode(canonicalJSON(signed)));
    reason = valid ? "" : "the Ed25519 signature does not verify";
  }
  const p = passport.party;
  const sections = [el("section", { id: "passport" }, el("h2", {}, `Passport of ${p.name}`),
    verdict(valid, valid ? `Passport signature verified (${key.name}, issued ${when(passport.issuedAt)})`
      : `Passport NOT verified: ${reason}`, valid ? null : "signature"),
    el("dl", { class: "facts" },
      el("dt", {}, "party"), el("dd", {}, el("code", {}, p.id)),
      el("dt", {}, "roles"), el("dd", {}, (p.roles || []).join(", ")),
      el("dt", {}, "status"), el("dd", {}, p.status),
      el("dt", {}, "public key"), el("dd", {}, el("code", {}, p.publicKey))))];
  const rep = passport.reputation;
  if (rep) {
    sections.push(el("section", { id: "reputation" },
      el("h2", {}, `Reputation at tree size ${grouped(rep.checkpoint.size)}`),
      el("div", { class: "scores" }, scoreCard("provider", rep.provider), scoreCard("payer", rep.payer))));
  }
  const chartSection = el("section", { id: "history" }, el("h2", {}, "Reputation over time"),
    el("p", { class: "muted" }, "Loading…"));
  sections.push(chartSection);
  show(...sections);
  const points = await reputationHistory(p.id);
  if (!points.length) {
    chartSection.replaceChildren(el("h2", {}, "Reputation over time"), el("p", { class: "muted" }, "No receipts name this party yet."));
    return;
  }
  chartSection.replaceChildren(el("h2", {}, "Reputation over time"),
    el("p", { class: "legend" }, el("span", { class: "provider" }, "— provider score"),
      el("span", { class: "payer" }, "— payer score"),
      el("span", { class: "muted" }, `after each of ${points.length} receipts (scores 0–1000; from GET /v1/reputation/{party}?asOf=N)`)),
    reputationChart(points));
  chartSection.setAttribute("data-points", String(points.length));
}

// ---------- routing ----------

async function route() {
  document.body.removeAttribute("data-ready");
  show(el("p", {}, "Loading…"));
  try {
    const hash = decodeURIComponent(location.hash || "#/");
    if (!window.crypto || !crypto.subtle) {
      throw new Error("this page needs WebCrypto, which browsers give only to https:// and localhost pages");
    }
    let match;
    if ((match = /^#\/receipt\/(\d{1,16})$/.exec(hash))) {
      await receiptView(match[1]);
    } else if ((match = /^#\/bundle\/([A-Za-z0-9_-]*)$/.exec(location.hash))) {
      const bytes = fromBase64URL(match[1]);
      await bundleView(bytes ? new TextDecoder().decode(bytes) : "", "A bundle from the link", "The bundle came in the link; nothing of it came from the server.");
    } else if (hash === "#/verify") {
      verifyFormView();
    } else if ((match = /^#\/party\/(pty_[1-9A-HJ-NP-Za-km-z]{1,44})$/.exec(hash))) {
      await partyView(match[1]);
    } else {
      await homeView();
    }
  } catch (error) {
    show(el("section", {}, el("p", { class: "error", id: "error" }, String(error.message || error))));
  }
  document.body.setAttribute("data-ready", "true");
}

document.getElementById("party-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const party = document.getElementById("party-input").value.trim();
  if (party) location.hash = `#/party/${party}`;
});

document.getElementById("pin-key").addEventListener("click", async () => {
  const text = prompt("Verifier key to trust (empty: use the server's):", localStorage.getItem(KEY_STORAGE) || "");
  if (text === null) return;
  if (text.trim() === "") {
    localStorage.removeItem(KEY_STORAGE);
  } else {
    try { await parseVerifierKey(text); } catch (error) { alert("Not pinned: " + error.message); return; }
    localStorage.setItem(KEY_STORAGE, text.trim());
  }
  trustedKeyPromise = null;
  route();
});

window.addEventListener("hashchange", route);
route();
