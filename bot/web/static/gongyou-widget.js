/* 工友 chat widget. Embed on any page with one tag:
 *   <script src="https://YOUR-HOST:8080/static/gongyou-widget.js" defer></script>
 * It talks only to the server it was loaded from (/api/chat, /api/hotlines).
 * Everything from users and from the bot is inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = (script && script.src) ? new URL(script.src).origin : window.location.origin;
  if (script && script.dataset.server) { base = script.dataset.server.replace(/\/$/, ""); }
  var startOpen = script && script.dataset.open === "true";
  var STORE = "gongyou-chat-v1";

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE)) || null; } catch (e) { return null; }
  }
  function save(state) {
    try { window.localStorage.setItem(STORE, JSON.stringify(state)); } catch (e) { /* private mode: no history */ }
  }
  function newId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return "web-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  var state = load() || { sender: newId(), history: [], open: startOpen };
  if (startOpen) { state.open = true; }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  var css = el("link");
  css.rel = "stylesheet";
  css.href = base + "/static/gongyou-widget.css";
  document.head.appendChild(css);

  var root = el("div", "gy-root");
  root.setAttribute("lang", "zh-CN");
  var launcher = el("button", "gy-launcher", "有劳动问题？问工友");
  launcher.type = "button";
  launcher.setAttribute("aria-expanded", "false");
  var panel = el("section", "gy-panel");
  panel.setAttribute("aria-label", "工友劳动权益咨询对话");
  panel.hidden = true;
  var header = el("div", "gy-header");
  header.appendChild(el("h2", null, "工友 · 劳动权益咨询"));
  // On a shared phone the next person should not see this conversation.
  var clear = el("button", "gy-clear", "清除记录");
  clear.type = "button";
  clear.setAttribute("aria-label", "清除这台设备上的对话记录，开始新的对话");
  header.appendChild(clear);
  var close = el("button", "gy-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "关闭对话");
  header.appendChild(close);
  var alertBox = el("div", "gy-alert");
  alertBox.setAttribute("role", "alert");
  alertBox.hidden = true;
  var log = el("div", "gy-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "对话记录");
  var typing = el("div", "gy-typing");
  typing.setAttribute("aria-live", "polite");
  var form = el("form", "gy-form");
  var label = el("label", "gy-sr", "输入您的问题");
  label.setAttribute("for", "gy-input");
  var input = el("textarea", "gy-input");
  input.id = "gy-input";
  input.rows = 2;
  input.maxLength = 2000;
  input.placeholder = "比如：老板拖欠我三个月工资怎么办";
  var send = el("button", "gy-send", "发送");
  send.type = "submit";
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  panel.appendChild(header); panel.appendChild(alertBox); panel.appendChild(log); panel.appendChild(typing); panel.appendChild(form);
  root.appendChild(panel); root.appendChild(launcher);

  function setOpen(open) {
    state.open = open; save(state);
    panel.hidden = !open;
    launcher.hidden = open;
    launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { input.focus(); log.scrollTop = log.scrollHeight; } else { launcher.focus(); }
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  clear.addEventListener("click", function () {
    state = { sender: newId(), history: [], open: true };
    save(state);
    while (log.firstChild) { log.removeChild(log.firstChild); }
    alertBox.hidden = true;
    input.focus();
  });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { setOpen(false); } });

  function renderCard(route) {
    var card = el("div", "gy-card");
    card.appendChild(el("h3", null, route.name || ""));
    if (route.phone) {
      var p = el("p", null, "电话：");
      var a = el("a", null, route.phone);
      a.href = "tel:" + String(route.phone).replace(/[^0-9+]/g, "");
      p.appendChild(a);
      card.appendChild(p);
    }
    if (route.address) { card.appendChild(el("p", null, "地址：" + route.address)); }
    if (route.hours) { card.appendChild(el("p", null, "时间：" + route.hours)); }
    if (route.why) { card.appendChild(el("p", null, route.why)); }
    return card;
  }

  function link(text, href, download) {
    var a = el("a", null, text);
    a.href = /^(https?:\/\/|\/)/.test(String(href)) ? href : "#";
    a.target = "_blank";
    a.rel = "noopener";
    if (download) { a.setAttribute("download", ""); }
    return a;
  }

  // The documents the bot filled in: PDF to print, Word to edit (links valid for 24 hours).
  function renderDocuments(documents) {
    var card = el("div", "gy-card gy-documents");
    card.appendChild(el("h3", null, "文书下载"));
    documents.forEach(function (d) {
      var p = el("p", null, (d.title || "") + "：");
      p.appendChild(link("PDF", d.pdf, false));
      p.appendChild(document.createTextNode(" · "));
      p.appendChild(link("Word", d.docx, true));
      card.appendChild(p);
    });
    return card;
  }

  function renderBot(message, live) {
    var custom = message.custom || {};
    if (message.text) { log.appendChild(el("div", "gy-msg gy-bot", message.text)); }
    if (custom.documents_page) {
      // The long document link in the words is for text channels; here the card has the links.
      var said = log.querySelectorAll(".gy-bot");
      for (var i = said.length - 1; i >= 0 && i >= said.length - 2; i--) {
        if (said[i].textContent.indexOf(custom.documents_page) >= 0) {
          said[i].textContent = said[i].textContent.split(custom.documents_page).join("（见下面的链接）");
        }
      }
    }
    (custom.routes || []).forEach(function (route) { log.appendChild(renderCard(route)); });
    if (custom.documents && custom.documents.length) { log.appendChild(renderDocuments(custom.documents)); }
    if (custom.citations && custom.citations.length) {
      var cite = el("div", "gy-cite", "依据：" + custom.citations.map(function (c) { return typeof c === "string" ? c : (c.text || c.title || ""); }).join("；"));
      log.appendChild(cite);
    }
    if (live && message.buttons && message.buttons.length) {
      var row = el("div", "gy-buttons");
      row.setAttribute("role", "group");
      row.setAttribute("aria-label", "快捷回复");
      message.buttons.forEach(function (b) {
        var button = el("button", null, b.title);
        button.type = "button";
        button.addEventListener("click", function () { row.remove(); ask(b.payload || b.title, b.title); });
        row.appendChild(button);
      });
      log.appendChild(row);
    }
  }

  function renderUser(text) { log.appendChild(el("div", "gy-msg gy-user", text)); }

  function replay() {
    state.history.forEach(function (item, i) {
      if (item.from === "user") { renderUser(item.text); }
      else { renderBot(item.message, i === state.history.length - 1); }
    });
    log.scrollTop = log.scrollHeight;
  }

  var hotlines = null;
  function showUnreachable() {
    alertBox.hidden = false;
    alertBox.textContent = "暂时连不上工友，请稍后再试。";
    function fill(list) {
      if (!list || !list.length) { return; }
      alertBox.textContent = "暂时连不上工友，请稍后再试。着急的话可以直接打电话：" +
        list.map(function (h) { return h.name + " " + h.phone; }).join("；");
    }
    if (hotlines) { fill(hotlines); return; }
    fetch(base + "/api/hotlines").then(function (r) { return r.json(); }).then(function (list) { hotlines = list; fill(list); })
      .catch(function () { /* the page itself is down too: keep the short notice */ });
  }

  var busy = false;
  function ask(payload, shown) {
    var text = shown !== undefined ? shown : payload;
    if (busy) { return; }
    renderUser(text);
    state.history.push({ from: "user", text: text });
    save(state);
    busy = true; send.disabled = true;
    typing.textContent = "工友正在输入…";
    log.scrollTop = log.scrollHeight;
    fetch(base + "/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: state.sender, message: payload })
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(function (messages) {
      alertBox.hidden = true;
      if (!messages.length) { messages = [{ text: "（工友没有回复，请换个说法试试。）" }]; }
      messages.forEach(function (m, i) {
        renderBot(m, i === messages.length - 1 || !!(m.buttons && m.buttons.length));
        state.history.push({ from: "bot", message: m });
      });
      if (state.history.length > 400) { state.history = state.history.slice(-400); }
      save(state);
    }).catch(function () {
      showUnreachable();
    }).then(function () {
      busy = false; send.disabled = false; typing.textContent = "";
      log.scrollTop = log.scrollHeight;
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    input.value = "";
    ask(text);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
  });

  function mount() {
    document.body.appendChild(root);
    replay();
    setOpen(!!state.open);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", mount); } else { mount(); }
}());
