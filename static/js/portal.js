// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // With JavaScript the menu collapses below 992 px (Bootstrap's bundle opens it); without, it stays open.
  document.body.classList.remove("no-js");
  // Live word counters for text areas that declare a limit (data-word-limit); the server checks again.
  document.querySelectorAll("textarea[data-word-limit]").forEach(function (area) {
    var limit = parseInt(area.getAttribute("data-word-limit"), 10);
    var output = document.getElementById(area.id + "-count");
    if (!output) { return; }
    // The same count as the server's (portal/applications/steps.py): each CJK character is a word.
    var cjk = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/g;
    function update() {
      var text = area.value;
      var cjkCount = (text.match(cjk) || []).length;
      var rest = text.replace(cjk, " ").trim();
      var words = cjkCount + (rest ? rest.split(/\s+/).length : 0);
      output.textContent = words + " / " + limit;
      output.classList.toggle("too-many", words > limit);
    }
    area.addEventListener("input", update);
    update();
  });
  // Ask before buttons that declare a confirmation text (data-confirm); without JS the server's own step remains.
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Step forms save themselves every 30 seconds and before the page is left (portal/applications/views/steps.py answers
  // in JSON); the version still guards against another tab: a stale or refused save stops and keeps the text here.
  var tracked = Array.prototype.slice.call(document.querySelectorAll("form[data-track-changes]"));
  var dirty = [];
  var stopped = false;
  var leaving = false;
  var leaveText = (document.querySelector("[data-leave]") || document.body).getAttribute("data-leave") || "";
  function markDirty(form) { if (dirty.indexOf(form) < 0) { dirty.push(form); } }
  function clean(form) { dirty = dirty.filter(function (f) { return f !== form; }); }
  function say(form, key, value) {
    var note = form.querySelector(".autosave-note");
    if (note) { note.textContent = (note.getAttribute("data-" + key) || "").replace("{time}", value).replace("{reason}", value); }
  }
  function setField(form, name, value) {
    var input = form.querySelector("input[name='" + name + "']");
    if (input && value !== undefined && value !== null) { input.value = value; }
  }
  function save(form, keepalive) {
    if (stopped || dirty.indexOf(form) < 0 || !form.hasAttribute("data-autosave")) { return Promise.resolve(dirty.indexOf(form) < 0); }
    clean(form);
    say(form, "saving", "");
    return fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin", keepalive: !!keepalive,
      headers: {"X-Autosave": "1", "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      if (answer.ok && answer.body.saved) {
        setField(form, "version", answer.body.version);
        setField(form, "csrf_token", answer.body.csrf);
        var time = new Date().toLocaleTimeString(document.documentElement.lang || undefined, {hour: "2-digit", minute: "2-digit"});
        say(form, "saved", time);
        return true;
      }
      markDirty(form);
      if (answer.body.stale || answer.body.closed || answer.body.signed_out) { stopped = true; }
      say(form, "failed", (answer.body.errors || [answer.body.error]).join(" "));
      return false;
    }).catch(function () { markDirty(form); say(form, "offline", ""); return false; });
  }
  tracked.forEach(function (form) {
    form.addEventListener("input", function () { markDirty(form); });
    form.addEventListener("change", function () { markDirty(form); });
    form.addEventListener("submit", function () { leaving = true; });
  });
  if (tracked.length) {
    window.setInterval(function () { tracked.forEach(function (form) { save(form, false); }); }, 30000);
    // Another step chosen in the sidebar: save first; what cannot be saved by itself is only left when confirmed.
    document.querySelectorAll(".step-list a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        if (!dirty.length) { return; }
        event.preventDefault();
        Promise.all(dirty.slice().map(function (form) { return save(form, false); })).then(function (results) {
          if (results.every(Boolean) || window.confirm(leaveText)) { leaving = true; window.location.href = link.href; }
        });
      });
    });
    // Phones seldom say beforeunload (another app opened, the tab closed from the switcher): a page that goes out of
    // sight saves what it holds, kept alive should it never come back.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && !leaving) { dirty.slice().forEach(function (form) { save(form, true); }); }
    });
    window.addEventListener("beforeunload", function (event) {
      if (leaving || !dirty.length) { return; }
      dirty.slice().forEach(function (form) { save(form, true); });
      event.preventDefault();
      event.returnValue = leaveText;
    });
  }
})();
