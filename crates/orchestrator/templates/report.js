// nerlab report: sortable tables, error-class browser and the document view. Plain JS, no
// dependencies. The data block holds every document once, with gold and predictions as compact
// arrays ([start, end, label] / [start, end, label, class, gold index or -1], offsets in UTF-16
// code units); only the selected document is rendered, so 3,000+ documents stay fast.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("nerlab-data").textContent);
  var CLASSES = D.classes; // correct, boundary, type, boundary_type, missed, spurious
  var CLASS_TEXT = { correct: "correct", boundary: "boundary", type: "type", boundary_type: "boundary + type", missed: "missed", spurious: "spurious", unscored: "not scored" };
  var GLYPH = { correct: "", boundary: "↔", type: "≠", boundary_type: "↔≠", missed: "−", spurious: "+", unscored: "" };
  // The last class marks predictions whose label is outside the scored labels.
  var UNSCORED = CLASSES.indexOf("unscored");
  var SCORED = CLASSES.slice(0, UNSCORED);
  var MISSED = CLASSES.indexOf("missed");
  var CORRECT = CLASSES.indexOf("correct");
  var PAGE = 50;

  function $(id) { return document.getElementById(id); }
  function esc(s) { return s.replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; }); }
  function el(tag, attrs, html) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (html !== undefined) e.innerHTML = html;
    return e;
  }

  // ---- sortable tables -------------------------------------------------------------------
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.addEventListener("click", function () {
        var desc = !th.classList.contains("desc");
        table.querySelectorAll("thead th").forEach(function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(desc ? "desc" : "asc");
        var text = th.getAttribute("data-type") === "text";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-v"), y = b.cells[col].getAttribute("data-v");
          var r = text ? x.localeCompare(y) : (parseFloat(x) || -Infinity) - (parseFloat(y) || -Infinity);
          return desc ? -r : r;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // ---- outcomes: one record per prediction and per missed gold entity ---------------------
  // The label an outcome counts under: the gold entity's when there is one, else the prediction's.
  function outcomes(x, visit) {
    D.docs.forEach(function (doc, d) {
      (doc.pred[x] || []).forEach(function (p, i) {
        if (p[3] === UNSCORED) return;
        var g = p[4] >= 0 ? doc.gold[p[4]] : null;
        visit({ doc: d, cls: p[3], label: g ? g[2] : p[2], pred: p, gold: g, index: i });
      });
      (doc.miss[x] || []).forEach(function (m) {
        var g = doc.gold[m[0]];
        visit({ doc: d, cls: m[1], label: g[2], pred: null, gold: g, index: m[0] });
      });
    });
  }

  // Per document, per extractor: counts by class and the labels involved, for the filters.
  var docStats = D.docs.map(function (doc) {
    return D.extractors.map(function (_, x) {
      var byClass = CLASSES.map(function () { return 0; });
      var labels = {};
      (doc.pred[x] || []).forEach(function (p) { byClass[p[3]]++; labels[p[2]] = 1; if (p[4] >= 0) labels[doc.gold[p[4]][2]] = 1; });
      (doc.miss[x] || []).forEach(function (m) { byClass[m[1]]++; labels[doc.gold[m[0]][2]] = 1; });
      return { byClass: byClass, labels: labels };
    });
  });

  // ---- error classes per extractor, with examples ------------------------------------------
  var errTabs = $("error-tabs"), errBody = $("error-body");
  function showErrors(x) {
    errTabs.querySelectorAll("button").forEach(function (b, i) { b.classList.toggle("on", i === x); });
    var counts = D.labels.map(function () { return CLASSES.map(function () { return 0; }); });
    outcomes(x, function (o) { counts[o.label][o.cls]++; });
    var html = '<div class="errgrid"><div><h4>Outcomes by label (the gold entity\'s; the prediction\'s when there is no gold)</h4><table class="errors"><thead><tr><th>label</th>';
    SCORED.forEach(function (c) { html += "<th>" + CLASS_TEXT[c] + "</th>"; });
    html += "</tr></thead><tbody>";
    var totals = SCORED.map(function () { return 0; });
    counts.forEach(function (row, l) {
      row = row.slice(0, SCORED.length);
      if (row.every(function (n) { return n === 0; })) return;
      html += '<tr><td><span class="chip L' + l + '">' + esc(D.labels[l]) + "</span></td>";
      row.forEach(function (n, c) {
        totals[c] += n;
        html += n ? '<td><button type="button" class="count" data-l="' + l + '" data-c="' + c + '">' + n + "</button></td>" : '<td class="zero">0</td>';
      });
      html += "</tr>";
    });
    html += "<tr><th>all</th>";
    totals.forEach(function (n, c) { html += n ? '<th><button type="button" class="count" data-l="-1" data-c="' + c + '">' + n + "</button></th>" : "<th>0</th>"; });
    html += "</tr></tbody></table></div>";
    // Confusion, as in report.json: gold label (rows) against predicted label (columns); "O"
    // collects missed (column) and spurious (row) entities.
    var confusion = D.confusion[x] || {}, confCols = {};
    Object.keys(confusion).forEach(function (r) { Object.keys(confusion[r]).forEach(function (c) { confCols[c] = 1; }); });
    var rows = Object.keys(confusion).sort(), cols = Object.keys(confCols).sort();
    html += '<div><h4>Label confusion (rows: gold, columns: predicted)</h4><div class="scroll"><table class="matrix confusion"><thead><tr><th></th>';
    cols.forEach(function (c) { html += "<th>" + esc(c) + "</th>"; });
    html += "</tr></thead><tbody>";
    var max = 1;
    rows.forEach(function (r) { cols.forEach(function (c) { max = Math.max(max, confusion[r][c] || 0); }); });
    rows.forEach(function (r) {
      html += "<tr><th>" + esc(r) + "</th>";
      cols.forEach(function (c) {
        var n = confusion[r][c] || 0, a = n ? 0.08 + 0.6 * Math.sqrt(n / max) : 0;
        var hue = r === c ? "46,125,50" : "198,40,40";
        html += '<td style="background:rgba(' + hue + "," + a.toFixed(2) + ')">' + (n || "") + "</td>";
      });
      html += "</tr>";
    });
    html += '</tbody></table></div></div></div><div class="examples" id="examples"></div>';
    errBody.innerHTML = html;
    errBody.querySelectorAll("button.count").forEach(function (b) {
      b.addEventListener("click", function () {
        errBody.querySelectorAll("button.count").forEach(function (o) { o.classList.remove("on"); });
        b.classList.add("on");
        showExamples(x, +b.getAttribute("data-l"), +b.getAttribute("data-c"), 25);
      });
    });
  }

  function showExamples(x, label, cls, limit) {
    var found = [];
    outcomes(x, function (o) { if (o.cls === cls && (label < 0 || o.label === label)) found.push(o); });
    var box = $("examples");
    var html = "<h4>" + esc(D.extractors[x]) + " · " + CLASS_TEXT[CLASSES[cls]] + (label >= 0 ? " · " + esc(D.labels[label]) : "") + " · " + found.length + " example" + (found.length === 1 ? "" : "s") + "</h4>";
    found.slice(0, limit).forEach(function (o) {
      var doc = D.docs[o.doc], text = doc.text;
      var spans = [o.gold, o.pred].filter(Boolean);
      var s = Math.min.apply(null, spans.map(function (e) { return e[0]; }));
      var e = Math.max.apply(null, spans.map(function (e) { return e[1]; }));
      var left = Math.max(0, s - 70), right = Math.min(text.length, e + 70);
      var items = [];
      if (o.gold && o.cls !== CORRECT) items.push({ s: o.gold[0], e: o.gold[1], l: o.gold[2], cls: "missed", id: "x-g", title: "gold " + D.labels[o.gold[2]], tag: "gold " + D.labels[o.gold[2]] });
      if (o.pred) items.push({ s: o.pred[0], e: o.pred[1], l: o.pred[2], cls: CLASSES[o.pred[3]], id: "x-p", title: CLASS_TEXT[CLASSES[o.pred[3]]] });
      if (o.cls === CORRECT) items = items.slice(-1);
      html += '<div class="example"><a href="#doc=' + encodeURIComponent(doc.id) + '" data-doc="' + o.doc + '">' + esc(doc.id) + "</a>" +
        '<span class="ctx">' + (left > 0 ? "…" : "") + "</span>" + renderText(text, items, left, right) + '<span class="ctx">' + (right < text.length ? "…" : "") + "</span></div>";
    });
    if (found.length > limit) html += '<button type="button" id="more-examples">show ' + Math.min(100, found.length - limit) + " more</button>";
    box.innerHTML = html;
    box.querySelectorAll("a[data-doc]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        state.extractor = x; syncControls(); openDoc(+a.getAttribute("data-doc"), true);
      });
    });
    var more = $("more-examples");
    if (more) more.addEventListener("click", function () { showExamples(x, label, cls, limit + 100); });
  }

  D.extractors.forEach(function (name, x) {
    var b = el("button", { type: "button" }, esc(name));
    b.addEventListener("click", function () { showErrors(x); });
    errTabs.appendChild(b);
  });
  if (D.extractors.length) showErrors(0); else errBody.innerHTML = '<p class="empty">No extractor ran.</p>';

  // ---- rendering entities over text -------------------------------------------------------
  // items: {s, e, l, cls, id, title, tag}; overlapping items nest, crossing ones are split into
  // pieces that share one data-e, so each entity stays identifiable in the DOM.
  function renderText(text, items, from, to) {
    from = from || 0; to = to === undefined ? text.length : to;
    items = items.filter(function (it) { return it.e > from && it.s < to; }).sort(function (a, b) { return a.s - b.s || b.e - a.e; });
    var cuts = [from, to];
    items.forEach(function (it) { cuts.push(Math.max(from, it.s), Math.min(to, it.e)); });
    cuts = cuts.filter(function (v, i, a) { return a.indexOf(v) === i; }).sort(function (a, b) { return a - b; });
    var out = "", open = [];
    for (var k = 0; k + 1 < cuts.length; k++) {
      var a = cuts[k], b = cuts[k + 1];
      var want = items.filter(function (it) { return it.s <= a && it.e >= b; });
      var keep = 0;
      while (keep < open.length && keep < want.length && open[keep] === want[keep]) keep++;
      for (var c = open.length - 1; c >= keep; c--) out += closeMark(open[c], open[c].e <= a);
      open = open.slice(0, keep);
      for (var o = keep; o < want.length; o++) {
        var it = want[o];
        out += '<mark class="ent L' + it.l + " c-" + it.cls + (it.ghost ? " ghost" : "") + '" data-e="' + it.id + '" data-l="' + it.l + '" data-c="' + it.cls + '" title="' + esc(it.title) + '">' +
          (it.s >= a && GLYPH[it.cls] ? "<i>" + GLYPH[it.cls] + "</i>" : "");
        open.push(it);
      }
      out += esc(text.slice(a, b));
    }
    for (var z = open.length - 1; z >= 0; z--) out += closeMark(open[z], open[z].e <= to);
    return out;
  }
  function closeMark(it, last) {
    return (last ? '<span class="tag">' + esc(it.tag || D.labels[it.l]) + "</span>" : "") + "</mark>";
  }

  function goldItems(doc) {
    return doc.gold.map(function (g, i) {
      return { s: g[0], e: g[1], l: g[2], cls: "gold", id: "g" + i, title: "gold " + D.labels[g[2]] };
    });
  }
  function laneItems(doc, x) {
    var items = (doc.pred[x] || []).map(function (p, i) {
      var cls = CLASSES[p[3]], g = p[4] >= 0 ? doc.gold[p[4]] : null;
      var title = CLASS_TEXT[cls] + ": " + D.labels[p[2]] + (g ? "; gold " + D.labels[g[2]] + " “" + doc.text.slice(g[0], g[1]) + "”" : "");
      return { s: p[0], e: p[1], l: p[2], cls: cls, id: "p" + x + "-" + i, title: title };
    });
    // Gold entities no prediction was paired with: missed, or overlapped by a prediction that
    // was paired with another gold entity (boundary errors of splits and merges).
    (doc.miss[x] || []).forEach(function (m) {
      var g = doc.gold[m[0]], cls = CLASSES[m[1]];
      items.push({ s: g[0], e: g[1], l: g[2], cls: cls, ghost: true, id: "m" + x + "-" + m[0], title: CLASS_TEXT[cls] + ": gold " + D.labels[g[2]] + " not paired with a prediction" });
    });
    return items;
  }

  // ---- document view ----------------------------------------------------------------------
  var state = { extractor: -1, cls: -1, label: -1, find: "", lanes: {}, page: 0, current: 0, matches: [] };
  var fx = $("f-extractor"), fc = $("f-class"), fl = $("f-label"), ff = $("f-find");
  fx.appendChild(el("option", { value: "-1" }, "all"));
  D.extractors.forEach(function (n, x) { fx.appendChild(el("option", { value: String(x) }, esc(n))); });
  fc.appendChild(el("option", { value: "-1" }, "any"));
  fc.appendChild(el("option", { value: "-2" }, "any error"));
  SCORED.forEach(function (c, i) { fc.appendChild(el("option", { value: String(i) }, CLASS_TEXT[c])); });
  fl.appendChild(el("option", { value: "-1" }, "any"));
  D.labels.forEach(function (n, l) { fl.appendChild(el("option", { value: String(l) }, esc(n))); });
  var toggles = $("lane-toggles");
  ["gold"].concat(D.extractors).forEach(function (name, i) {
    var key = i === 0 ? "gold" : String(i - 1);
    state.lanes[key] = true;
    var box = el("input", { type: "checkbox", checked: "checked" });
    box.addEventListener("change", function () { state.lanes[key] = box.checked; renderDoc(); });
    var lab = el("label");
    lab.appendChild(box);
    lab.appendChild(document.createTextNode(" " + name));
    toggles.appendChild(lab);
  });
  function syncControls() { fx.value = String(state.extractor); fc.value = String(state.cls); fl.value = String(state.label); }

  function errorCount(d, x) {
    var s = docStats[d][x];
    return s.byClass.reduce(function (a, n, c) { return c === CORRECT || c === UNSCORED ? a : a + n; }, 0);
  }
  function matches(d) {
    var doc = D.docs[d];
    if (state.find) {
      var q = state.find.toLowerCase();
      if (doc.id.toLowerCase().indexOf(q) < 0 && doc.text.toLowerCase().indexOf(q) < 0) return false;
    }
    var xs = state.extractor >= 0 ? [state.extractor] : D.extractors.map(function (_, x) { return x; });
    if (state.label >= 0 && !doc.gold.some(function (g) { return g[2] === state.label; }) &&
        !xs.some(function (x) { return docStats[d][x].labels[state.label]; })) return false;
    if (state.cls === -1) return true;
    return xs.some(function (x) {
      if (state.cls === -2) return errorCount(d, x) > 0;
      if (state.label < 0) return docStats[d][x].byClass[state.cls] > 0;
      var hit = false;
      outcomesOf(d, x, function (o) { if (o.cls === state.cls && o.label === state.label) hit = true; });
      return hit;
    });
  }
  function outcomesOf(d, x, visit) {
    var doc = D.docs[d];
    (doc.pred[x] || []).forEach(function (p) { visit({ cls: p[3], label: p[4] >= 0 ? doc.gold[p[4]][2] : p[2] }); });
    (doc.miss[x] || []).forEach(function (m) { visit({ cls: m[1], label: doc.gold[m[0]][2] }); });
  }

  function refilter() {
    state.matches = [];
    for (var d = 0; d < D.docs.length; d++) if (matches(d)) state.matches.push(d);
    var pos = state.matches.indexOf(state.current);
    if (pos < 0 && state.matches.length) { state.current = state.matches[0]; pos = 0; }
    state.page = Math.max(0, Math.floor(pos / PAGE));
    renderList();
    renderDoc();
  }

  function renderList() {
    var list = $("doc-list"), n = state.matches.length;
    var pages = Math.max(1, Math.ceil(n / PAGE));
    state.page = Math.min(state.page, pages - 1);
    $("match-count").textContent = n + " of " + D.docs.length + " documents match";
    $("page-info").textContent = "page " + (state.page + 1) + " / " + pages;
    var html = "";
    state.matches.slice(state.page * PAGE, (state.page + 1) * PAGE).forEach(function (d) {
      var errs = state.extractor >= 0 ? errorCount(d, state.extractor) : D.extractors.reduce(function (a, _, x) { return a + errorCount(d, x); }, 0);
      html += '<li data-d="' + d + '"' + (d === state.current ? ' class="on"' : "") + '><span class="id">' + esc(D.docs[d].id) + '</span><span class="n" title="errors">' + (errs || "") + "</span></li>";
    });
    list.innerHTML = html || '<li class="empty">no document matches</li>';
  }

  function renderDoc() {
    var lanes = $("lanes");
    if (!state.matches.length && !D.docs.length) { lanes.innerHTML = '<p class="empty">The corpus is empty.</p>'; return; }
    var d = state.current, doc = D.docs[d];
    var pos = state.matches.indexOf(d);
    $("doc-title").textContent = doc.id + (pos >= 0 ? "  (" + (pos + 1) + " of " + state.matches.length + ")" : "  (outside the filter)");
    var html = "";
    if (state.lanes.gold) {
      html += '<div class="lane" data-lane="gold"><h4>gold <small>' + doc.gold.length + " entities</small></h4><div class=\"txt\">" + renderText(doc.text, goldItems(doc)) + "</div></div>";
    }
    D.extractors.forEach(function (name, x) {
      if (!state.lanes[String(x)]) return;
      var s = docStats[d][x].byClass;
      var summary = s[CORRECT] + " correct · " + errorCount(d, x) + " errors";
      var fail = doc.fail && doc.fail[x] ? '<div class="fail">failed on this document: ' + esc(doc.fail[x]) + "</div>" : "";
      html += '<div class="lane" data-lane="' + esc(name) + '"><h4>' + esc(name) + " <small>" + summary + "</small></h4>" + fail + '<div class="txt">' + renderText(doc.text, laneItems(doc, x)) + "</div></div>";
    });
    lanes.innerHTML = html || '<p class="empty">Choose at least one lane above.</p>';
    if (state.label >= 0 || state.cls >= 0) {
      lanes.querySelectorAll("mark.ent").forEach(function (m) {
        var c = m.getAttribute("data-c"), l = +m.getAttribute("data-l");
        var off = (state.label >= 0 && l !== state.label) || (state.cls >= 0 && c !== "gold" && c !== CLASSES[state.cls]);
        m.classList.toggle("dim", off);
      });
    }
    document.querySelectorAll("#doc-list li").forEach(function (li) { li.classList.toggle("on", +li.getAttribute("data-d") === d); });
  }

  function openDoc(d, scroll) {
    state.current = d;
    var pos = state.matches.indexOf(d);
    if (pos < 0) refilter(); else { state.page = Math.floor(pos / PAGE); renderList(); renderDoc(); }
    if (history.replaceState) history.replaceState(null, "", "#doc=" + encodeURIComponent(D.docs[d].id));
    if (scroll) $("documents").scrollIntoView();
  }
  function step(k) {
    var pos = state.matches.indexOf(state.current) + k;
    if (pos >= 0 && pos < state.matches.length) openDoc(state.matches[pos], false);
  }

  fx.addEventListener("change", function () { state.extractor = +fx.value; refilter(); });
  fc.addEventListener("change", function () { state.cls = +fc.value; refilter(); });
  fl.addEventListener("change", function () { state.label = +fl.value; refilter(); });
  var findTimer = null;
  ff.addEventListener("input", function () {
    clearTimeout(findTimer);
    findTimer = setTimeout(function () { state.find = ff.value.trim(); refilter(); }, 200);
  });
  $("doc-list").addEventListener("click", function (ev) {
    var li = ev.target.closest("li[data-d]");
    if (li) openDoc(+li.getAttribute("data-d"), false);
  });
  $("doc-prev").addEventListener("click", function () { step(-1); });
  $("doc-next").addEventListener("click", function () { step(1); });
  $("page-prev").addEventListener("click", function () { if (state.page > 0) { state.page--; renderList(); } });
  $("page-next").addEventListener("click", function () { state.page++; renderList(); });
  document.addEventListener("keydown", function (ev) {
    if (/INPUT|SELECT|TEXTAREA/.test(ev.target.tagName)) return;
    if (ev.key === "j" || ev.key === "ArrowRight") step(1);
    if (ev.key === "k" || ev.key === "ArrowLeft") step(-1);
  });

  // #doc=ID opens that document (links from examples, and the browser test).
  var m = /[#&]doc=([^&]*)/.exec(location.hash);
  if (m) {
    var id = decodeURIComponent(m[1]);
    for (var i = 0; i < D.docs.length; i++) if (D.docs[i].id === id) { state.current = i; break; }
  }
  syncControls();
  refilter();
  // A link to a document (or to the document view) lands on the view, after it is drawn.
  if (/^#(documents|doc=)/.test(location.hash)) $("documents").scrollIntoView();
  document.documentElement.setAttribute("data-rendered", "1");
})();
