// The documents step: choosing a file in a slot uploads it at once. portal/applications/views/documents.py answers in
// JSON with the slots as they are now (the message in the slot, the application's new version in every form) and the
// steps' navigation; any other answer (signed out, deadline passed) sends the slot's form the ordinary way, as
// without this file.
(function () {
  "use strict";
  var box = document.getElementById("document-slots");
  if (!box || !window.FormData || !window.XMLHttpRequest) { return; }
  function say(key, values) {
    var text = box.getAttribute("data-" + key) || "";
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    return text.trim();
  }
  // With this file the choice itself uploads, so the slots' buttons are not needed.
  function enhance() {
    box.querySelectorAll("[data-upload-button]").forEach(function (button) { button.hidden = true; });
  }
  function answered(request) {
    var type = request.getResponseHeader("Content-Type") || "";
    if (type.indexOf("application/json") !== 0) { return null; }
    try { return JSON.parse(request.responseText); } catch (error) { return null; }
  }
  function upload(form, input) {
    var file = input.files && input.files[0];
    if (!file) { return; }
    var kind = form.querySelector("input[name='kind']").value;
    var progress = form.querySelector(".upload-progress");
    var data = new FormData(form);
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Upload", "1");
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", function (event) {
      var percent = event.lengthComputable ? Math.round(100 * event.loaded / event.total) + " %" : "";
      progress.textContent = say("uploading", {name: file.name, percent: percent});
    });
    function refused(key) {
      input.disabled = false;
      input.value = "";
      progress.textContent = say(key);
      progress.classList.replace("text-muted", "text-danger");
    }
    request.addEventListener("load", function () {
      if (request.status === 413) { refused("too-large"); return; }  // beyond what the server reads at all
      var body = answered(request);
      if (!body || !body.html) { input.disabled = false; form.submit(); return; }
      box.innerHTML = body.html;
      var steps = document.querySelector(".step-list");
      if (steps && body.steps) { steps.outerHTML = body.steps; }
      enhance();
      // The slot was drawn anew: keyboard users continue where they were, and hear the slot's message.
      var again = document.getElementById("file-" + kind);
      if (again) { again.focus(); }
    });
    request.addEventListener("error", function () { refused("failed"); });
    progress.classList.replace("text-danger", "text-muted");
    progress.textContent = say("uploading", {name: file.name, percent: ""});
    input.disabled = true;
    request.send(data);
  }
  box.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "file" && input.form) { upload(input.form, input); }
  });
  enhance();
})();
