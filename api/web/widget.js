/* kefu chat widget: one tag on any page.
 *
 *   <script src="https://kefu.example.com/widget.js" data-kb="shop" data-key="kefu_..." async></script>
 *
 * Optional: data-api (the kefu base URL; default: where this script came from), data-title,
 * data-open="true" (start open), data-user-id. Use a customer key: it can only chat, and only
 * see the sessions it created. The site's origin must be in KEFU_CORS_ORIGINS.
 * Answers stream over server-sent events read with fetch (EventSource cannot send the key).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var cfg = {
    kb: script.dataset.kb || "default",
    key: script.dataset.key || "",
    api: (script.dataset.api || new URL(script.src, location.href).origin).replace(/\/+$/, ""),
    title: script.dataset.title || "Help",
    open: script.dataset.open === "true",
    userId: script.dataset.userId || null,
  };
  var storageKey = "kefu:" + cfg.api + ":" + cfg.kb + ":session";
  var sessionId = sessionStorage.getItem(storageKey);
  var lastSeq = 0;
  var polling = null;
  var busy = false;

  var CSS = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI','PingFang SC','Microsoft YaHei',sans-serif}",
    ".launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:#2563eb;color:#fff;font-size:24px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}",
    ".panel{position:fixed;right:20px;bottom:88px;width:360px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 120px);background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:none;flex-direction:column;overflow:hidden;z-index:2147483000;color:#111827;font-size:14px}",
    ".panel.open{display:flex}",
    "header{background:#2563eb;color:#fff;padding:10px 14px;display:flex;align-items:center;justify-content:space-between}",
    "header b{font-size:15px}",
    "header button{background:rgba(255,255,255,.18);color:#fff;border:0;border-radius:6px;padding:5px 8px;cursor:pointer;font-size:12px}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f9fafb}",
    ".msg{margin:6px 0;padding:8px 10px;border-radius:10px;max-width:88%;white-space:pre-wrap;word-wrap:break-word;line-height:1.45}",
    ".user{background:#2563eb;color:#fff;margin-left:auto}",
    ".bot{background:#fff;border:1px solid #e5e7eb}",
    ".agent{background:#ecfdf5;border:1px solid #a7f3d0}",
    ".system{background:none;color:#6b7280;font-size:12px;text-align:center;margin:6px auto}",
    ".cites{margin-top:6px;display:flex;flex-direction:column;gap:2px;font-size:12px}",
    ".cites a{color:#2563eb;text-decoration:none}.cites a:hover{text-decoration:underline}",
    ".snippet{display:none;color:#4b5563;background:#f3f4f6;border-radius:6px;padding:4px 6px;margin:2px 0}",
    ".snippet.shown{display:block}",
    ".actions{margin-top:6px;display:flex;gap:6px;align-items:center}",
    ".actions button{border:1px solid #d1d5db;background:#fff;border-radius:6px;cursor:pointer;padding:2px 8px;font-size:13px}",
    ".actions button.chosen{background:#dbeafe;border-color:#2563eb}",
    ".actions span{color:#6b7280;font-size:12px}",
    "form{display:flex;border-top:1px solid #e5e7eb}",
    "textarea{flex:1;border:0;padding:10px;resize:none;height:48px;font-size:14px;outline:none}",
    "form button{border:0;background:#2563eb;color:#fff;padding:0 16px;cursor:pointer}",
    "form button:disabled{background:#93c5fd}",
    ".error{color:#b91c1c}",
  ].join("\n");

  // Inline SVG icons: emoji render as empty boxes where no emoji font is installed.
  function svgIcon(path, size) {
    size = size || 18;
    return '<svg viewBox="0 0 24 24" width="' + size + '" height="' + size + '" fill="currentColor" aria-hidden="true">' +
      '<path d="' + path + '"/></svg>';
  }
  var ICON = {
    chat: svgIcon("M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z", 26),
    up: svgIcon("M2 10h3v10H2zM7 10l4-8c1.7 0 3 1.3 3 3v3h5.5c1.1 0 2 1 1.8 2.1l-1.5 8.2c-.2 1-1 1.7-2 1.7H7z"),
    down: svgIcon("M2 4h3v10H2zM7 14l4 8c1.7 0 3-1.3 3-3v-3h5.5c1.1 0 2-1 1.8-2.1l-1.5-8.2c-.2-1-1-1.7-2-1.7H7z"),
  };

  var host = document.createElement("div");
  host.id = "kefu-widget";
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" + CSS + "</style>" +
    '<button class="launcher" part="launcher" aria-label="Open chat">' + ICON.chat + "</button>" +
    '<section class="panel" role="dialog" aria-label="Chat">' +
    '<header><b></b><button class="human" type="button">Talk to a human</button></header>' +
    '<div class="log" aria-live="polite"></div>' +
    '<form><textarea placeholder="Ask a question…" aria-label="Your question"></textarea>' +
    '<button type="submit">Send</button></form></section>';
  document.body.appendChild(host);

  var panel = root.querySelector(".panel");
  var log = root.querySelector(".log");
  var form = root.querySelector("form");
  var input = root.querySelector("textarea");
  var sendButton = root.querySelector("form button");
  var humanButton = root.querySelector(".human");
  root.querySelector("header b").textContent = cfg.title;
  root.querySelector(".launcher").addEventListener("click", function () {
    panel.classList.toggle("open");
    if (panel.classList.contains("open")) input.focus();
  });
  if (cfg.open) panel.classList.add("open");

  function headers(extra) {
    var h = { Authorization: "Bearer " + cfg.key, "Content-Type": "application/json" };
    for (var k in extra || {}) h[k] = extra[k];
    return h;
  }

  function call(method, path, body) {
    return fetch(cfg.api + path, {
      method: method,
      headers: headers(),
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) throw new Error(typeof data.detail === "string" ? data.detail : "HTTP " + res.status);
        return data;
      });
    });
  }

  function bubble(kind, text) {
    var div = document.createElement("div");
    div.className = "msg " + kind;
    var body = document.createElement("div");
    body.className = "text";
    body.textContent = text || "";
    div.appendChild(body);
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }

  function renderCitations(div, citations) {
    var old = div.querySelector(".cites");
    if (old) old.remove();
    if (!citations || !citations.length) return;
    var box = document.createElement("div");
    box.className = "cites";
    citations.forEach(function (c) {
      var a = document.createElement("a");
      a.className = "kefu-cite";
      a.textContent = "[" + c.n + "] " + (c.title || c.source);
      var snippet = document.createElement("div");
      snippet.className = "snippet";
      snippet.textContent = c.snippet;
      if (c.url && /^https?:\/\//i.test(c.url)) {
        a.href = c.url;
        a.target = "_blank";
        a.rel = "noopener";
      } else {
        a.href = "#";
        a.addEventListener("click", function (e) {
          e.preventDefault();
          snippet.classList.toggle("shown");
        });
      }
      a.title = c.snippet;
      box.appendChild(a);
      box.appendChild(snippet);
    });
    div.appendChild(box);
  }

  function renderFeedback(div, messageId) {
    if (!messageId) return;
    var bar = document.createElement("div");
    bar.className = "actions";
    var up = document.createElement("button");
    up.className = "thumb-up";
    up.type = "button";
    up.innerHTML = ICON.up;
    up.setAttribute("aria-label", "Helpful");
    var down = document.createElement("button");
    down.className = "thumb-down";
    down.type = "button";
    down.innerHTML = ICON.down;
    down.setAttribute("aria-label", "Not helpful");
    var note = document.createElement("span");
    function rate(rating, button) {
      call("POST", "/v1/messages/" + encodeURIComponent(messageId) + "/feedback", { rating: rating })
        .then(function () {
          up.disabled = down.disabled = true;
          button.classList.add("chosen");
          note.textContent = "Thanks for the feedback";
        })
        .catch(function (e) { note.textContent = e.message; });
    }
    up.addEventListener("click", function () { rate(1, up); });
    down.addEventListener("click", function () { rate(-1, down); });
    bar.appendChild(up);
    bar.appendChild(down);
    bar.appendChild(note);
    div.appendChild(bar);
  }

  function ensureSession() {
    if (sessionId) return Promise.resolve(sessionId);
    // The page without its query or fragment: those can carry keys and tokens, and the profile is
    // stored and shown to agents.
    var profile = { page: location.origin + location.pathname };
    return call("POST", "/v1/sessions", { kb: cfg.kb, channel: "widget", user_id: cfg.userId, user_profile: profile })
      .then(function (s) {
        sessionId = s.id;
        sessionStorage.setItem(storageKey, sessionId);
        return sessionId;
      });
  }

  // Server-sent events from a fetch body: blocks separated by a blank line, "event:" and "data:" lines.
  function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    function pump() {
      return reader.read().then(function (chunk) {
        if (chunk.done) return;
        buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
        var at;
        while ((at = buffer.indexOf("\n\n")) >= 0) {
          var block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          var event = "message";
          var data = [];
          block.split("\n").forEach(function (line) {
            if (line.indexOf("event:") === 0) event = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (data.length) onEvent(event, JSON.parse(data.join("\n")));
        }
        return pump();
      });
    }
    return pump();
  }

  function ask(text) {
    busy = true;
    sendButton.disabled = true;
    bubble("user", text);
    var div = bubble("bot", "…");
    var body = div.querySelector(".text");
    var streamed = "";
    return ensureSession()
      .then(function (id) {
        return fetch(cfg.api + "/v1/sessions/" + encodeURIComponent(id) + "/messages", {
          method: "POST",
          headers: headers({ Accept: "text/event-stream" }),
          body: JSON.stringify({ text: text }),
        });
      })
      .then(function (res) {
        if (!res.ok) {
          return res.json().catch(function () { return {}; }).then(function (data) {
            if (res.status === 404) {
              sessionStorage.removeItem(storageKey);
              sessionId = null;
            }
            throw new Error(typeof data.detail === "string" ? data.detail : "HTTP " + res.status);
          });
        }
        return readEvents(res, function (event, data) {
          if (event === "token") {
            streamed += data.text;
            body.textContent = streamed;
          } else if (event === "final") {
            div.dataset.messageId = data.message_id || "";
            div.dataset.mode = data.mode;
            if (data.mode === "human") {
              div.className = "msg system";
              body.textContent = "An agent will reply here.";
              startPolling();
            } else if (data.mode === "escalated") {
              body.textContent = data.text;
              startPolling();
            } else {
              body.textContent = data.text;
              renderCitations(div, data.citations);
              renderFeedback(div, data.message_id);
            }
          } else if (event === "error") {
            body.textContent = data.detail;
            div.classList.add("error");
          }
          log.scrollTop = log.scrollHeight;
        });
      })
      .catch(function (e) {
        body.textContent = e.message;
        div.classList.add("error");
      })
      .then(function () {
        busy = false;
        sendButton.disabled = false;
      });
  }

  // After a hand-off, agent replies arrive by polling the session's history.
  function poll() {
    if (!sessionId) return;
    call("GET", "/v1/sessions/" + encodeURIComponent(sessionId) + "/messages?after=" + lastSeq)
      .then(function (messages) {
        messages.forEach(function (m) {
          lastSeq = Math.max(lastSeq, m.seq);
          if (m.role === "agent") bubble("agent", m.content);
        });
      })
      .catch(function () {});
  }

  function startPolling() {
    if (!polling) polling = setInterval(poll, 3000);
  }

  humanButton.addEventListener("click", function () {
    ensureSession()
      .then(function (id) {
        return call("POST", "/v1/sessions/" + encodeURIComponent(id) + "/escalate", { reason: "" });
      })
      .then(function () {
        // Agent replies are the messages after this point.
        return call("GET", "/v1/sessions/" + encodeURIComponent(sessionId) + "/messages");
      })
      .then(function (messages) {
        messages.forEach(function (m) { lastSeq = Math.max(lastSeq, m.seq); });
        bubble("system", "You asked for a human agent. Someone will reply here soon.");
        startPolling();
      })
      .catch(function (e) { bubble("system", e.message); });
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    ask(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  // A page reload keeps the conversation of this browser tab.
  if (sessionId) {
    Promise.all([
      call("GET", "/v1/sessions/" + encodeURIComponent(sessionId)),
      call("GET", "/v1/sessions/" + encodeURIComponent(sessionId) + "/messages"),
    ])
      .then(function (both) {
        var session = both[0];
        both[1].forEach(function (m) {
          lastSeq = Math.max(lastSeq, m.seq);
          var kind = m.role === "assistant" ? "bot" : m.role;
          if (m.role === "system" || (m.role === "assistant" && !m.content)) return;
          var div = bubble(kind, m.content);
          if (m.role === "assistant") renderCitations(div, m.citations);
        });
        if (session.state === "human") startPolling();
      })
      .catch(function () {
        sessionStorage.removeItem(storageKey);
        sessionId = null;
      });
  }
})();
