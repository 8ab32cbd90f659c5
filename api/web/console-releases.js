/* kefu console, the Releases page: the knowledge base's running release (else its latest) with
   the published and candidate arms side by side, live from the stored turns (GET
   /v1/kbs/{kb}/release), and an Abort button while it runs.
   console.js calls window.kefuReleasesPage(helpers) and adds the page it returns. */
(function () {
  "use strict";

  function pct(v) { return v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%"; }
  function num(v) { return v === null || v === undefined ? "–" : String(v); }
  function ms(v) { return v === null || v === undefined ? "–" : Math.round(v) + " ms"; }
  function settings(s) {
    var names = Object.keys(s || {});
    return names.length ? names.map(function (k) { return k + "=" + s[k]; }).join(", ") : "–";
  }

  // Rows of the side-by-side table: label, value of an arm.
  var ROWS = [
    ["Knowledge-base version", function (a) { return num(a.version); }],
    ["Settings", function (a) { return settings(a.settings); }],
    ["Sessions assigned", function (a) { return num(a.sessions); }],
    ["Answers", function (a) { return num(a.metrics.answers); }],
    ["Refusals", function (a) { return num(a.metrics.refusals) + " (" + pct(a.metrics.refusal_rate) + ")"; }],
    ["Escalations", function (a) { return num(a.metrics.transfers) + " (" + pct(a.metrics.transfer_rate) + ")"; }],
    ["Thumbs up / down", function (a) { return num(a.metrics.thumbs_up) + " / " + num(a.metrics.thumbs_down); }],
    ["Latency p50", function (a) { return ms(a.metrics.answer_ms_p50); }],
    ["Latency p95", function (a) { return ms(a.metrics.answer_ms_p95); }],
  ];

  window.kefuReleasesPage = function (c) {
    var $ = c.$, el = c.el, api = c.api, kb = c.kb, showError = c.showError;

    function path() { return "/v1/kbs/" + encodeURIComponent(kb()) + "/release"; }

    function render(release) {
      var box = $("release-arms");
      box.innerHTML = "";
      $("release-meta").textContent =
        "Release " + release.id + ": " + release.state + " · candidate share " + pct(release.share) +
        " of new sessions · suite " + (release.suite || "–") + " · started " + release.started_at.slice(0, 19).replace("T", " ") +
        (release.ended_at ? " · ended " + release.ended_at.slice(0, 19).replace("T", " ") : "");
      var table = el("table", { class: "release-arms" });
      var head = el("tr");
      head.appendChild(el("th", {}, ""));
      release.arms.forEach(function (arm) { head.appendChild(el("th", { "data-arm": arm.name }, arm.name)); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      ROWS.forEach(function (row) {
        var tr = el("tr");
        tr.appendChild(el("th", {}, row[0]));
        release.arms.forEach(function (arm) { tr.appendChild(el("td", { "data-arm": arm.name }, row[1](arm))); });
        body.appendChild(tr);
      });
      box.appendChild(table);
      if (release.gate && release.gate.checked) {
        box.appendChild(el("p", { class: "muted" }, "Gate " + (release.gate.ok ? "passed" : "failed") + ": " + release.gate.checked.join(", ")));
      }
      $("release-abort").hidden = release.state !== "running";
    }

    function load() {
      showError("releases-error");
      $("release-arms").innerHTML = "";
      $("release-meta").textContent = "";
      $("release-abort").hidden = true;
      if (!kb()) return Promise.resolve();
      return api("GET", path()).then(render).catch(function (e) {
        if (/no release|has had no release/.test(e.message)) $("release-meta").textContent = "No release of " + kb() + " yet (kefu release start).";
        else showError("releases-error", e);
      });
    }

    $("release-abort").addEventListener("click", function () {
      if (!window.confirm("Return every session of " + kb() + " to the published configuration?")) return;
      api("POST", path() + "/abort").then(render).catch(function (e) { showError("releases-error", e); });
    });
    $("release-refresh").addEventListener("click", load);
    return load;
  };
})();
