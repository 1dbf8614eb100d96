// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
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
})();
