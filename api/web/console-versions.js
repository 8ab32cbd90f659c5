/* kefu console, Versions page: a knowledge base's versions (the published one marked), the diff of
   two of them (documents added, removed, changed; chunks; configuration) and, for owners, publish
   and roll back. console.js calls window.kefuVersionsPage(helpers) and adds the page it returns. */
(function () {
  "use strict";

  window.kefuVersionsPage = function (c) {
    var $ = c.$, el = c.el, api = c.api, kb = c.kb, showError = c.showError, role = c.role;
    var OWNERS = ["owner", "admin"];  // publish and roll back (the API's KNOWLEDGE roles)
    var shown = [];  // the versions listed, newest first

    function base() { return "/v1/kbs/" + encodeURIComponent(kb()); }
    function canPublish() { return OWNERS.indexOf(role()) >= 0; }
    function when(value) { return value ? value.replace("T", " ").slice(0, 19) : ""; }

    function load() {
      showError("versions-error");
      $("versions-diff").innerHTML = "";
      $("versions-rollback").hidden = true;
      if (!kb()) { $("versions-list").innerHTML = ""; return Promise.resolve(); }
      return api("GET", base() + "/versions").then(render).catch(function (e) { showError("versions-error", e); });
    }

    function render(versions) {
      shown = versions;
      var published = versions.filter(function (v) { return v.state === "published"; })[0];
      $("versions-meta").textContent = published
        ? "Customers are served version " + published.version + "."
        : "No version is published: customers get no answers from this knowledge base yet.";
      $("versions-rollback").hidden = !(published && canPublish());
      var body = $("versions-list");
      body.innerHTML = "";
      versions.forEach(function (v) {
        var tr = el("tr", { "data-version": v.version, "data-state": v.state, class: v.state });
        tr.appendChild(el("td", {}, "v" + v.version));
        var state = el("td");
        state.appendChild(el("span", { class: "badge " + v.state }, v.state));
        tr.appendChild(state);
        [when(v.created_at), when(v.published_at), v.documents, v.chunks,
          "+" + v.docs_added + " ~" + v.docs_changed + " −" + v.docs_removed].forEach(function (value) {
          tr.appendChild(el("td", {}, value));
        });
        var actions = el("td");
        if (canPublish() && v.state !== "published" && v.state !== "legacy") {
          var publish = el("button", { type: "button", class: "publish" }, "Publish");
          publish.addEventListener("click", function () {
            if (!confirm("Serve version " + v.version + " of " + kb() + " to customers?")) return;
            act("POST", base() + "/versions/" + v.version + "/publish");
          });
          actions.appendChild(publish);
        }
        tr.appendChild(actions);
        body.appendChild(tr);
      });
      fillChoices(published);
    }

    /* The diff's two versions: by default the published one (else the one before the newest)
       against the newest. */
    function fillChoices(published) {
      var a = $("versions-a"), b = $("versions-b");
      [a, b].forEach(function (select) {
        select.innerHTML = "";
        shown.forEach(function (v) {
          select.appendChild(el("option", { value: v.version }, "v" + v.version + " (" + v.state + ")"));
        });
      });
      $("versions-diff-form").hidden = shown.length < 2;
      if (shown.length < 2) return;
      var newest = shown[0].version;
      var older = published && published.version !== newest ? published.version : shown[1].version;
      a.value = String(older);
      b.value = String(newest);
    }

    function act(method, path) {
      showError("versions-error");
      return api(method, path).then(load).catch(function (e) { showError("versions-error", e); });
    }

    function diff(a, b) {
      showError("versions-error");
      return api("GET", base() + "/versions/" + a + "/diff/" + b).then(function (d) {
        var box = $("versions-diff");
        box.innerHTML = "";
        box.appendChild(el("p", { class: "summary" },
          "v" + d.a + " → v" + d.b + ": " + d.documents.length + " documents changed; chunks added " +
          d.chunks_added + ", removed " + d.chunks_removed + ", shared " + d.chunks_shared + "."));
        if (d.documents.length) {
          var table = el("table", { class: "diff" });
          var head = el("tr");
          ["document", "change", "chunks before", "chunks after"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
          table.appendChild(el("thead")).appendChild(head);
          var body = table.appendChild(el("tbody"));
          d.documents.forEach(function (doc) {
            var tr = el("tr", { class: "change " + doc.change, "data-source": doc.source, "data-change": doc.change });
            [doc.source, doc.change, doc.chunks_before, doc.chunks_after].forEach(function (value) {
              tr.appendChild(el("td", {}, value));
            });
            body.appendChild(tr);
          });
          box.appendChild(table);
        }
        var keys = Object.keys(d.config);
        if (keys.length) {
          var config = el("table", { class: "diff-config" });
          var top = el("tr");
          ["setting", "v" + d.a, "v" + d.b].forEach(function (h) { top.appendChild(el("th", {}, h)); });
          config.appendChild(el("thead")).appendChild(top);
          var rows = config.appendChild(el("tbody"));
          keys.forEach(function (key) {
            var tr = el("tr");
            [key, JSON.stringify(d.config[key][0]), JSON.stringify(d.config[key][1])].forEach(function (value) {
              tr.appendChild(el("td", {}, value));
            });
            rows.appendChild(tr);
          });
          box.appendChild(config);
        }
      }).catch(function (e) { showError("versions-error", e); });
    }

    $("versions-diff-form").addEventListener("submit", function (e) {
      e.preventDefault();
      diff($("versions-a").value, $("versions-b").value);
    });
    $("versions-rollback").addEventListener("click", function () {
      if (!confirm("Serve the version published before the current one?")) return;
      act("POST", base() + "/rollback");
    });

    return load;
  };
})();
