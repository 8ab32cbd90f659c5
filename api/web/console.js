/* kefu console: plain JavaScript over the kefu API. The key lives in sessionStorage (this tab only). */
(function () {
  "use strict";
  var KEY = "kefu.console.key";
  var KB = "kefu.console.kb";
  var me = null;
  var feedAbort = null;
  var openTicket = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var k in attrs || {}) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function kb() { return $("kb").value; }
  function key() { return sessionStorage.getItem(KEY) || ""; }

  function api(method, path, body, isForm) {
    var headers = { Authorization: "Bearer " + key() };
    if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
    return fetch(path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
    }).then(function (res) {
      if (res.status === 204) return null;
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) {
          var detail = data.detail;
          if (Array.isArray(detail)) detail = detail.map(function (d) { return (d.loc || []).join(".") + ": " + d.msg; }).join("; ");
          throw new Error(detail || "HTTP " + res.status);
        }
        return data;
      });
    });
  }

  function showError(id, error) { $(id).textContent = error ? error.message || String(error) : ""; }

  // -- login -------------------------------------------------------------------------------------

  function login(candidate) {
    sessionStorage.setItem(KEY, candidate);
    return api("GET", "/v1/me").then(function (info) {
      me = info;
      $("who").textContent = info.role + " · tenant " + info.tenant + (info.name ? " · " + info.name : "");
      $("login").hidden = true;
      $("nav").hidden = false;
      $("logout").hidden = false;
      Array.prototype.forEach.call(document.querySelectorAll("nav a"), function (a) {
        a.hidden = a.dataset.roles.split(" ").indexOf(info.role) < 0;
      });
      return loadKbs().then(route);
    }).catch(function (e) {
      sessionStorage.removeItem(KEY);
      $("login-error").textContent = e.message;
    });
  }

  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    showError("login-error");
    login($("login-key").value.trim());
  });
  $("logout").addEventListener("click", function () {
    sessionStorage.removeItem(KEY);
    location.hash = "";
    location.reload();
  });

  function loadKbs() {
    if (me.role === "customer") return Promise.resolve();
    return api("GET", "/v1/kbs").then(function (kbs) {
      var select = $("kb");
      var wanted = sessionStorage.getItem(KB);
      select.innerHTML = "";
      kbs.forEach(function (k) { select.appendChild(el("option", { value: k.name }, k.name)); });
      if (wanted && kbs.some(function (k) { return k.name === wanted; })) select.value = wanted;
    });
  }
  $("kb").addEventListener("change", function () {
    sessionStorage.setItem(KB, kb());
    route();
  });

  // -- pages ---------------------------------------------------------------------------------------

  var pages = { documents: loadDocuments, search: function () {}, faqs: loadFaqs, inbox: loadInbox };
  // The operations pages (analytics, gaps, QA, candidates, jobs) live in console-analytics.js.
  var ops = window.kefuOpsPages({ $: $, el: el, api: api, kb: kb, showError: showError });
  ["analytics", "gaps", "quality", "candidates", "jobs"].forEach(function (name) { pages[name] = ops[name]; });
  pages.faqs = function () { return Promise.all([loadFaqs(), ops.faqEntries()]); };
  // The Versions page (list, diff, publish, roll back) lives in console-versions.js.
  pages.versions = window.kefuVersionsPage({
    $: $, el: el, api: api, kb: kb, showError: showError, role: function () { return me && me.role; },
  });
  pages.releases = window.kefuReleasesPage({ $: $, el: el, api: api, kb: kb, showError: showError });

  function route() {
    if (!me) return;
    var links = Array.prototype.filter.call(document.querySelectorAll("nav a"), function (a) { return !a.hidden; });
    var name = location.hash.slice(1);
    if (!links.some(function (a) { return a.getAttribute("href") === "#" + name; })) {
      name = links.length ? links[0].getAttribute("href").slice(1) : "";
    }
    Object.keys(pages).forEach(function (p) { $(p).hidden = p !== name; });
    links.forEach(function (a) { a.classList.toggle("active", a.getAttribute("href") === "#" + name); });
    if (name !== "inbox" && feedAbort) { feedAbort.abort(); feedAbort = null; }
    if (pages[name]) pages[name]();
  }
  window.addEventListener("hashchange", route);

  // -- documents -----------------------------------------------------------------------------------

  function loadDocuments() {
    showError("documents-error");
    if (!kb()) { $("documents-list").innerHTML = ""; return Promise.resolve(); }
    return api("GET", "/v1/kbs/" + encodeURIComponent(kb()) + "/documents").then(function (docs) {
      var body = $("documents-list");
      body.innerHTML = "";
      docs.forEach(function (d) {
        var tr = el("tr", { "data-source": d.source });
        [d.source, d.title, d.file_type, d.lang, d.n_chunks, d.version, d.last_error || ""].forEach(function (v) {
          tr.appendChild(el("td", {}, v));
        });
        var td = el("td");
        var remove = el("button", { type: "button", class: "danger" }, "Delete");
        remove.addEventListener("click", function () {
          if (!confirm("Delete " + d.source + "?")) return;
          api("DELETE", "/v1/kbs/" + encodeURIComponent(kb()) + "/documents/" + d.id).then(loadDocuments)
            .catch(function (e) { showError("documents-error", e); });
        });
        td.appendChild(remove);
        tr.appendChild(td);
        body.appendChild(tr);
      });
    }).catch(function (e) { showError("documents-error", e); });
  }

  $("create-kb").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    api("POST", "/v1/kbs", { name: form.elements.name.value, description: form.elements.description.value })
      .then(function (created) {
        sessionStorage.setItem(KB, created.name);
        form.reset();
        return loadKbs().then(route);
      })
      .catch(function (err) { showError("documents-error", err); });
  });

  function pollJob(id) {
    return api("GET", "/v1/jobs/" + id).then(function (job) {
      $("job").hidden = false;
      $("job").dataset.status = job.status;
      $("job-status").textContent = "Job " + job.status + " · " + job.stage + " " + job.done + "/" + job.total + (job.error ? " · " + job.error : "");
      $("job-progress").max = Math.max(job.total, 1);
      $("job-progress").value = job.done;
      var list = $("job-files");
      list.innerHTML = "";
      job.files.forEach(function (f) {
        list.appendChild(el("li", {}, f.source + ": " + f.outcome + (f.chunks ? " (" + f.chunks + " chunks)" : "") + (f.reason ? " — " + f.reason : "")));
      });
      if (job.status === "queued" || job.status === "running") {
        return new Promise(function (resolve) { setTimeout(resolve, 700); }).then(function () { return pollJob(id); });
      }
      return loadDocuments();
    });
  }

  $("upload").addEventListener("submit", function (e) {
    e.preventDefault();
    showError("documents-error");
    var files = $("upload-files").files;
    var data = new FormData();
    for (var i = 0; i < files.length; i++) data.append("files", files[i]);
    api("POST", "/v1/kbs/" + encodeURIComponent(kb()) + "/documents", data, true)
      .then(function (out) {
        e.target.reset();
        return pollJob(out.job.id);
      })
      .catch(function (err) { showError("documents-error", err); });
  });

  // -- hit testing ---------------------------------------------------------------------------------

  $("search-form").addEventListener("submit", function (e) {
    e.preventDefault();
    showError("search-error");
    var form = e.target;
    api("POST", "/v1/search", { kb: kb(), query: form.elements.query.value, top_k: Number(form.elements.top_k.value) })
      .then(function (out) {
        $("search-meta").textContent = out.hits.length + " hits · kb version " + out.kb_version + " · " + Math.round(out.timings_ms.total || 0) + " ms";
        var box = $("search-hits");
        box.innerHTML = "";
        out.hits.forEach(function (h) {
          var div = el("div", { class: "hit" });
          div.appendChild(el("b", {}, "[" + h.n + "] " + (h.heading_path.length ? h.heading_path.join(" › ") : h.title || h.source)));
          var scores = Object.keys(h.scores).filter(function (k) { return k !== "fused"; }).map(function (k) {
            return k + " " + h.scores[k].toFixed(3) + (h.ranks[k] ? " (#" + h.ranks[k] + ")" : "");
          });
          div.appendChild(el("div", { class: "scores" }, "fused " + h.score.toFixed(4) + " · " + scores.join(" · ") + " · " + h.kind + " · " + h.source));
          div.appendChild(el("pre", {}, h.text));
          box.appendChild(div);
        });
      })
      .catch(function (err) { showError("search-error", err); });
  });

  // -- FAQ ------------------------------------------------------------------------------------------

  function resetFaqForm() {
    $("faq-form").reset();
    $("faq-form").elements.faq_id.value = "";
    $("faq-save").textContent = "Add FAQ";
    $("faq-cancel").hidden = true;
  }
  $("faq-cancel").addEventListener("click", resetFaqForm);

  function loadFaqs() {
    showError("faqs-error");
    if (!kb()) return Promise.resolve();
    return api("GET", "/v1/kbs/" + encodeURIComponent(kb()) + "/faqs").then(function (faqs) {
      var body = $("faqs-list");
      body.innerHTML = "";
      faqs.forEach(function (f) {
        var tr = el("tr");
        tr.appendChild(el("td", {}, f.question));
        tr.appendChild(el("td", {}, f.similar_questions.join("\n")));
        tr.appendChild(el("td", {}, f.answer));
        var td = el("td");
        var edit = el("button", { type: "button", class: "secondary" }, "Edit");
        edit.addEventListener("click", function () {
          var form = $("faq-form");
          form.elements.faq_id.value = f.id;
          form.elements.question.value = f.question;
          form.elements.similar.value = f.similar_questions.join("\n");
          form.elements.answer.value = f.answer;
          $("faq-save").textContent = "Save FAQ";
          $("faq-cancel").hidden = false;
        });
        var remove = el("button", { type: "button", class: "danger" }, "Delete");
        remove.addEventListener("click", function () {
          api("DELETE", "/v1/kbs/" + encodeURIComponent(kb()) + "/faqs/" + f.id).then(loadFaqs)
            .catch(function (e) { showError("faqs-error", e); });
        });
        td.appendChild(edit);
        td.appendChild(remove);
        tr.appendChild(td);
        body.appendChild(tr);
      });
    }).catch(function (e) { showError("faqs-error", e); });
  }

  $("faq-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    var body = {
      question: form.elements.question.value,
      similar_questions: form.elements.similar.value.split("\n").map(function (s) { return s.trim(); }).filter(Boolean),
      answer: form.elements.answer.value,
    };
    var base = "/v1/kbs/" + encodeURIComponent(kb()) + "/faqs";
    var request = form.elements.faq_id.value ? api("PUT", base + "/" + form.elements.faq_id.value, body) : api("POST", base, body);
    request.then(function () { resetFaqForm(); return loadFaqs(); })
      .catch(function (err) { showError("faqs-error", err); });
  });

  // -- agent inbox ---------------------------------------------------------------------------------

  function loadInbox() {
    showError("inbox-error");
    startFeed();
    return api("GET", "/v1/agent/inbox").then(renderInbox).catch(function (e) { showError("inbox-error", e); });
  }

  function renderInbox(items) {
    var list = $("inbox-list");
    list.innerHTML = "";
    if (!items.length) list.appendChild(el("li", { class: "muted" }, "Nobody is waiting."));
    items.forEach(function (ticket) {
      var li = el("li", { "data-ticket": ticket.id });
      li.appendChild(el("b", {}, "#" + ticket.id + " · " + ticket.priority_name + " · " + ticket.kb));
      var holder = ticket.assignee ? (ticket.assignee === me.id ? "yours" : "claimed") : "waiting";
      li.appendChild(el("div", { class: "muted" }, holder + " · " + ticket.reasons.join(", ") + (ticket.breached ? " · SLA breached" : "")));
      li.appendChild(el("div", {}, ticket.summary));
      if (openTicket && openTicket.id === ticket.id) {
        li.classList.add("active");
        openTicket = ticket;
        $("conversation-title").textContent = "Ticket #" + ticket.id + " · " + ticket.status;
      }
      li.addEventListener("click", function () { openConversation(ticket); });
      list.appendChild(li);
    });
  }

  function openConversation(ticket) {
    openTicket = ticket;
    $("conversation-empty").hidden = true;
    $("conversation-body").hidden = false;
    $("conversation-title").textContent = "Ticket #" + ticket.id + " · " + ticket.status;
    $("conversation-profile").textContent = ticket.summary;
    Array.prototype.forEach.call(document.querySelectorAll("#inbox-list li"), function (li) {
      li.classList.toggle("active", li.dataset.ticket === String(ticket.id));
    });
    return refreshConversation();
  }

  function refreshConversation() {
    if (!openTicket) return Promise.resolve();
    return api("GET", "/v1/sessions/" + openTicket.session_id + "/messages").then(function (messages) {
      var log = $("conversation-log");
      log.innerHTML = "";
      messages.forEach(function (m) {
        var div = el("div", { class: "m " + m.role });
        if (m.role !== "system") div.appendChild(el("b", {}, m.role + ": "));
        div.appendChild(document.createTextNode(m.content));
        log.appendChild(div);
      });
      log.scrollTop = log.scrollHeight;
    });
  }

  function act(path, body) {
    showError("inbox-error");
    return api("POST", "/v1/agent/tickets/" + openTicket.id + path, body)
      .then(function () { return Promise.all([refreshConversation(), api("GET", "/v1/agent/inbox").then(renderInbox)]); })
      .catch(function (e) { showError("inbox-error", e); throw e; });
  }
  $("claim").addEventListener("click", function () { act("/claim").catch(function () {}); });
  $("resolve").addEventListener("click", function () {
    act("/resolve", { resolution: $("resolution").value }).then(function () {
      openTicket = null;
      $("resolution").value = "";
      $("conversation-body").hidden = true;
      $("conversation-empty").hidden = false;
    }).catch(function () {});
  });
  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var form = e.target;
    act("/reply", { text: form.elements.text.value }).then(function () { form.reset(); }).catch(function () {});
  });

  // Live updates: server-sent events over fetch (EventSource cannot send the Authorization header).
  function startFeed() {
    if (feedAbort) return;
    feedAbort = new AbortController();
    var signal = feedAbort.signal;
    $("feed-state").textContent = "· live";
    fetch("/v1/agent/feed", { headers: { Authorization: "Bearer " + key(), Accept: "text/event-stream" }, signal: signal })
      .then(function (res) {
        var reader = res.body.getReader();
        var decoder = new TextDecoder();
        var buffer = "";
        function pump() {
          return reader.read().then(function (chunk) {
            if (chunk.done) return;
            buffer += decoder.decode(chunk.value, { stream: true });
            var at;
            while ((at = buffer.indexOf("\n\n")) >= 0) {
              var block = buffer.slice(0, at);
              buffer = buffer.slice(at + 2);
              if (/^event: (ticket|closed)/m.test(block)) api("GET", "/v1/agent/inbox").then(renderInbox);
              if (/^event: message/m.test(block) && openTicket && block.indexOf(openTicket.session_id) >= 0) refreshConversation();
            }
            return pump();
          });
        }
        return pump();
      })
      .catch(function () {})
      .then(function () {
        $("feed-state").textContent = "";
        feedAbort = null;
      });
  }

  if (key()) login(key());
})();
