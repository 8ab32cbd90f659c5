/* kefu console, operations pages: analytics (charts per day, breakdowns), gaps (ranked clusters
   with drill-down, "propose FAQ"), QA scores, the FAQ candidate queue and the job history.
   Charts and icons are inline SVG (emoji render as empty boxes without an emoji font).
   console.js calls window.kefuOpsPages(helpers) and adds the pages it returns. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    up: "M2 10h3v10H2zM7 10l4-8c1.7 0 3 1.3 3 3v3h5.5c1.1 0 2 1 1.8 2.1l-1.5 8.2c-.2 1-1 1.7-2 1.7H7z",
    down: "M2 4h3v10H2zM7 14l4 8c1.7 0 3-1.3 3-3v-3h5.5c1.1 0 2-1 1.8-2.1l-1.5-8.2c-.2-1-1-1.7-2-1.7H7z",
    person: "M12 12a5 5 0 1 0 0-10 5 5 0 0 0 0 10zm-9 10c0-5 4-8 9-8s9 3 9 8z",
    check: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
    clock: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 10.4 4 2.4-.8 1.3L11 13V6h2z",
    alert: "M1 21h22L12 2zm12-3h-2v-2h2zm0-4h-2v-4h2z",
    star: "M12 17.3 18.2 21l-1.6-7 5.4-4.7-7.2-.6L12 2 9.2 8.7 2 9.3 7.4 14l-1.6 7z",
    download: "M5 20h14v-2H5zM19 9h-4V3H9v6H5l7 7z",
  };

  function icon(name, title) {
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", title || name);
    var path = document.createElementNS(NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }
  window.kefuIcon = icon;

  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c"];
  var W = 520, H = 240, L = 48, R = 12, T = 34, B = 36;

  /* A line chart: labels along x, one polyline per series (null values are skipped). */
  function lineChart(title, labels, series, yMax, format) {
    var svg = svgEl("svg", { class: "chart line", viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img" });
    svg.appendChild(svgEl("title", {}, title));
    svg.appendChild(svgEl("text", { x: W / 2, y: 16, "text-anchor": "middle", "font-size": 13, "font-weight": 600 }, title));
    var top = yMax || 1;
    function x(i) { return L + (labels.length > 1 ? i / (labels.length - 1) : 0.5) * (W - L - R); }
    function y(v) { return H - B - (v / top) * (H - T - B); }
    for (var t = 0; t <= 4; t++) {
      var v = top * t / 4;
      svg.appendChild(svgEl("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), stroke: "#e5e7eb" }));
      svg.appendChild(svgEl("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10 }, format(v)));
    }
    var step = Math.max(1, Math.ceil(labels.length / 6));
    labels.forEach(function (label, i) {
      if (i % step === 0 || i === labels.length - 1) {
        svg.appendChild(svgEl("text", { x: x(i), y: H - B + 14, "text-anchor": "middle", "font-size": 10 }, label.slice(5)));
      }
    });
    var legendX = L;
    Object.keys(series).forEach(function (name, n) {
      var color = COLORS[n % COLORS.length];
      var points = [];
      series[name].forEach(function (value, i) {
        if (value === null || value === undefined) return;
        points.push(x(i).toFixed(1) + "," + y(value).toFixed(1));
        var dot = svgEl("circle", { cx: x(i), cy: y(value), r: 3, fill: color });
        dot.appendChild(svgEl("title", {}, name + " " + labels[i] + ": " + format(value)));
        svg.appendChild(dot);
      });
      svg.appendChild(svgEl("polyline", { class: "series", points: points.join(" "), fill: "none", stroke: color, "stroke-width": 2 }));
      svg.appendChild(svgEl("rect", { x: legendX, y: H - 14, width: 10, height: 10, fill: color }));
      svg.appendChild(svgEl("text", { x: legendX + 14, y: H - 5, "font-size": 10 }, name));
      legendX += 24 + 6 * name.length;
    });
    return svg;
  }

  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(0) + "%"; }
  function num(v) { return v === null || v === undefined ? "–" : String(Math.round(v * 100) / 100); }

  window.kefuOpsPages = function (c) {
    var $ = c.$, el = c.el, api = c.api, kb = c.kb, showError = c.showError;

    /* A table with a header, rows, and a CSV download of exactly what it shows. */
    function table(container, name, header, rows) {
      var box = el("div", { class: "table-box", "data-table": name });
      var bar = el("div", { class: "row" });
      var button = el("button", { type: "button", class: "secondary csv" });
      button.appendChild(icon("download", "download"));
      button.appendChild(document.createTextNode(" CSV"));
      button.addEventListener("click", function () { download(name + ".csv", toCsv(header, rows)); });
      bar.appendChild(button);
      box.appendChild(bar);
      var t = el("table");
      var head = el("tr");
      header.forEach(function (h) { head.appendChild(el("th", {}, h)); });
      t.appendChild(el("thead")).appendChild(head);
      var body = t.appendChild(el("tbody"));
      rows.forEach(function (r) {
        var tr = el("tr");
        r.forEach(function (v) { tr.appendChild(el("td", {}, v === null || v === undefined ? "" : String(v))); });
        body.appendChild(tr);
      });
      box.appendChild(t);
      container.appendChild(box);
      return box;
    }
    function toCsv(header, rows) {
      return [header].concat(rows).map(function (r) {
        return r.map(function (v) {
          var s = v === null || v === undefined ? "" : String(v);
          return /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
        }).join(",");
      }).join("\n") + "\n";
    }
    function download(filename, text) {
      var link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: filename });
      document.body.appendChild(link);
      link.click();
      link.remove();
    }
    function windowQuery() {
      var days = $("analytics-form").elements.days.value;
      return "days=" + encodeURIComponent(days) + (kb() ? "&kb=" + encodeURIComponent(kb()) : "");
    }
    function card(iconName, label, value) {
      var div = el("div", { class: "card" });
      var v = el("div", { class: "v" });
      if (iconName) v.appendChild(icon(iconName, label));
      v.appendChild(document.createTextNode(value === null || value === undefined ? "–" : String(value)));
      div.appendChild(v);
      div.appendChild(el("div", { class: "k" }, label));
      return div;
    }

    // -- analytics ------------------------------------------------------------------------------

    var BREAKDOWN = ["contacts", "automated_resolution_rate", "first_contact_resolution_rate", "transfer_rate",
      "refusal_rate", "thumbs_up_rate", "csat", "answer_ms_p50", "answer_ms_p95", "tickets", "sla_breaches"];

    var latest = {};  // page -> number of its newest request: an older answer arriving late is dropped
    function fresh(pageName) {
      var n = (latest[pageName] || 0) + 1;
      latest[pageName] = n;
      return function () { return latest[pageName] === n; };
    }

    function loadAnalytics() {
      showError("analytics-error");
      var current = fresh("analytics");
      return api("GET", "/v1/analytics?" + windowQuery()).then(function (a) {
        if (!current()) return;
        var m = a.metrics;
        var cards = $("analytics-cards");
        cards.innerHTML = "";
        cards.appendChild(card("person", "contacts", m.contacts));
        cards.appendChild(card("check", "automated resolution", pct(m.automated_resolution_rate)));
        cards.appendChild(card("check", "first-contact resolution", pct(m.first_contact_resolution_rate)));
        cards.appendChild(card("person", "transfer to human", pct(m.transfer_rate)));
        cards.appendChild(card("alert", "refusal rate", pct(m.refusal_rate)));
        cards.appendChild(card("up", "thumbs up", m.thumbs_up));
        cards.appendChild(card("down", "thumbs down", m.thumbs_down));
        cards.appendChild(card("star", "CSAT (4-5 of 5)", pct(m.csat)));
        cards.appendChild(card("clock", "first token p50 / p95 (ms)", num(m.first_token_ms_p50) + " / " + num(m.first_token_ms_p95)));
        cards.appendChild(card("clock", "full answer p50 / p95 (ms)", num(m.answer_ms_p50) + " / " + num(m.answer_ms_p95)));
        cards.appendChild(card("clock", "agent handling p50 (s)", num(m.handling_s_p50)));
        cards.appendChild(card("alert", "SLA breaches", m.sla_breaches));

        var days = a.by.day || [];
        var labels = days.map(function (d) { return d.key; });
        var charts = $("analytics-charts");
        charts.innerHTML = "";
        function perDay(field) { return days.map(function (d) { return d.metrics[field]; }); }
        charts.appendChild(lineChart("Rates per day", labels, {
          "automated resolution": perDay("automated_resolution_rate"), "transfer": perDay("transfer_rate"),
          "refusal": perDay("refusal_rate"),
        }, 1, pct));
        var volumeTop = Math.max.apply(null, [1].concat(perDay("contacts"), perDay("answers")));
        charts.appendChild(lineChart("Volume per day", labels, { contacts: perDay("contacts"), answers: perDay("answers") },
          volumeTop, function (v) { return String(Math.round(v)); }));
        var latencyTop = Math.max.apply(null, [1].concat(perDay("answer_ms_p95").filter(function (v) { return v !== null; })));
        charts.appendChild(lineChart("Answer time per day (ms)", labels, {
          p50: perDay("answer_ms_p50"), p95: perDay("answer_ms_p95"), "first token p50": perDay("first_token_ms_p50"),
        }, latencyTop * 1.05, function (v) { return String(Math.round(v)); }));

        var tables = $("analytics-tables");
        tables.innerHTML = "";
        Object.keys(a.by).forEach(function (dimension) {
          tables.appendChild(el("h3", {}, "By " + dimension));
          table(tables, "analytics_by_" + dimension, [dimension].concat(BREAKDOWN), a.by[dimension].map(function (row) {
            return [row.key].concat(BREAKDOWN.map(function (f) { return row.metrics[f]; }));
          }));
        });
      }).catch(function (e) { showError("analytics-error", e); });
    }
    $("analytics-form").addEventListener("submit", function (e) { e.preventDefault(); loadAnalytics(); });

    // -- gaps -----------------------------------------------------------------------------------

    function loadGaps() {
      showError("gaps-error");
      $("gaps-list").innerHTML = "";
      $("gaps-meta").textContent = "clustering…";
      var current = fresh("gaps");
      return api("GET", "/v1/analytics/gaps?" + windowQuery()).then(function (report) {
        if (!current()) return;
        $("gaps-meta").textContent = report.failed + " failed questions · " + report.clusters.length + " clusters · " +
          report.unclustered.length + " in no cluster";
        var list = $("gaps-list");
        table(list, "gaps", ["rank", "question", "kb", "volume", "trend", "reasons"], report.clusters.map(function (g) {
          return [g.id, g.name, g.kb, g.volume, g.trend, Object.keys(g.reasons).map(function (r) { return r + " " + g.reasons[r]; }).join(", ")];
        }));
        report.clusters.forEach(function (g) {
          var details = el("details", { class: "gap" });
          var summary = el("summary");
          summary.appendChild(el("b", {}, "#" + g.id + " " + g.name));
          summary.appendChild(el("span", { class: "muted" }, " · " + g.volume + " questions · trend " + (g.trend >= 0 ? "+" : "") + g.trend));
          details.appendChild(summary);
          function section(title, items) {
            details.appendChild(el("h4", {}, title));
            var ul = details.appendChild(el("ul"));
            if (!items.length) ul.appendChild(el("li", { class: "muted" }, "none"));
            items.forEach(function (text) { ul.appendChild(el("li", {}, text)); });
          }
          section("Examples", g.examples.map(function (q) { return q.text + " (" + q.reasons.join(", ") + "; " + q.conversation_id + ")"; }));
          section("Closest chunks", g.chunks.map(function (ch) { return ch.source + " · " + ch.title + ": " + ch.text; }));
          section("Agents' answers", g.agent_answers);
          var propose = el("button", { type: "button", class: "propose" }, "Propose as FAQ");
          var note = el("span", { class: "muted" });
          propose.addEventListener("click", function () {
            api("POST", "/v1/analytics/gaps/faq-candidates", {
              kb: g.kb, question: g.name, answer: g.agent_answers[0] || "", volume: g.volume,
            }).then(function (candidate) {
              note.textContent = " candidate #" + candidate.id + " (" + candidate.status + ") is in the review queue";
              propose.disabled = true;
            }).catch(function (e) { showError("gaps-error", e); });
          });
          var row = el("div", { class: "row" });
          row.appendChild(propose);
          row.appendChild(note);
          details.appendChild(row);
          list.appendChild(details);
        });
        list.appendChild(el("h3", {}, "In no cluster"));
        table(list, "gaps_unclustered", ["question", "kb", "reasons", "conversation"], report.unclustered.map(function (q) {
          return [q.text, q.kb, q.reasons.join(", "), q.conversation_id];
        }));
      }).catch(function (e) { $("gaps-meta").textContent = ""; showError("gaps-error", e); });
    }

    // -- QA scores ------------------------------------------------------------------------------

    function loadQuality() {
      showError("quality-error");
      return api("GET", "/v1/analytics/qa?" + windowQuery()).then(function (scores) {
        var box = $("quality-list");
        box.innerHTML = "";
        table(box, "qa_scores", ["conversation", "kb", "channel", "day", "score", "signals"], scores.map(function (s) {
          return [s.conversation_id, s.kb, s.channel, s.day, s.score,
            s.signals.map(function (g) { return g.code + " x" + g.count + " (" + (g.points > 0 ? "+" : "") + g.points + ")"; }).join("; ")];
        }));
      }).catch(function (e) { showError("quality-error", e); });
    }

    // -- FAQ candidates -------------------------------------------------------------------------

    function loadCandidates() {
      showError("candidates-error");
      var status = $("candidates-status").value;
      var path = "/v1/kbs/" + encodeURIComponent(kb()) + "/faq-candidates?status=" + status;
      return api("GET", path).then(function (items) {
        var box = $("candidates-list");
        box.innerHTML = "";
        var shown = table(box, "faq_candidates", ["id", "status", "question", "answer", "closest existing", "note"], items.map(function (cnd) {
          var near = cnd.similar_to ? cnd.similar_to.question + " (" + num(cnd.similarity) + ")" : "";
          return [cnd.id, cnd.status, cnd.question, cnd.answer, near, cnd.review_note];
        }));
        Array.prototype.forEach.call(shown.querySelectorAll("tbody tr"), function (tr, i) {
          var cnd = items[i];
          if (cnd.status !== "pending" && cnd.status !== "duplicate") return;
          var td = tr.appendChild(el("td"));
          var accept = td.appendChild(el("button", { type: "button" }, "Accept"));
          var reject = td.appendChild(el("button", { type: "button", class: "danger" }, "Reject"));
          accept.addEventListener("click", function () {
            var answer = cnd.answer || window.prompt("Answer for: " + cnd.question) || "";
            api("POST", "/v1/kbs/" + encodeURIComponent(kb()) + "/faq-candidates/" + cnd.id + "/accept", { answer: answer || null })
              .then(loadCandidates).catch(function (e) { showError("candidates-error", e); });
          });
          reject.addEventListener("click", function () {
            api("POST", "/v1/kbs/" + encodeURIComponent(kb()) + "/faq-candidates/" + cnd.id + "/reject", {})
              .then(loadCandidates).catch(function (e) { showError("candidates-error", e); });
          });
        });
      }).catch(function (e) { showError("candidates-error", e); });
    }
    $("candidates-status").addEventListener("change", loadCandidates);

    // -- jobs -----------------------------------------------------------------------------------

    function loadJobs() {
      showError("jobs-error");
      return api("GET", "/v1/kbs/" + encodeURIComponent(kb()) + "/jobs").then(function (jobs) {
        var box = $("jobs-list");
        box.innerHTML = "";
        table(box, "jobs", ["id", "kind", "status", "created", "finished", "progress", "error"], jobs.map(function (j) {
          return [j.id, j.kind, j.status, j.created_at, j.finished_at, j.total ? j.done + "/" + j.total : "", j.error || ""];
        }));
      }).catch(function (e) { showError("jobs-error", e); });
    }

    // -- FAQ entries (the editor's, accepted candidates' and uploaded files' rows) ----------------

    function loadFaqEntries() {
      return api("GET", "/v1/kbs/" + encodeURIComponent(kb()) + "/faq-entries").then(function (entries) {
        var box = $("faq-entries");
        box.innerHTML = "";
        table(box, "faq_entries", ["question", "similar questions", "answer", "source"], entries.map(function (e) {
          return [e.question, e.similar_questions.join(" | "), e.answer, e.source];
        }));
      }).catch(function (e) { showError("faqs-error", e); });
    }

    return { analytics: loadAnalytics, faqEntries: loadFaqEntries, gaps: loadGaps, quality: loadQuality, candidates: loadCandidates, jobs: loadJobs, csv: toCsv };
  };
})();
