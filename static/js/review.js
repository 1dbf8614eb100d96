// The review page's enhancements; the page works without this file (templates/review/application.html).
(function () {
  "use strict";

  // The document chooser loads the frame by its name; here it also marks the chosen document and points the toolbar's
  // "open in a new tab" and "download" at it.
  var chooser = document.querySelector(".document-chooser");
  var toolbar = document.querySelector(".document-toolbar");
  if (chooser && toolbar) {
    var openLink = toolbar.querySelector(".document-open");
    var downloadLink = toolbar.querySelector(".document-download");
    toolbar.hidden = false;
    chooser.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-open]");
      if (!link) { return; }
      chooser.querySelectorAll("a[data-open]").forEach(function (other) {
        other.classList.remove("active");
        other.removeAttribute("aria-current");
      });
      link.classList.add("active");
      link.setAttribute("aria-current", "true");
      openLink.href = link.getAttribute("data-open");
      downloadLink.href = link.getAttribute("data-download");
    });
  }

  // Once every criterion has a score, suggest the recommendation that the mean score points to (the limits come from
  // the server: review.models.SUGGESTED_RECOMMENDATIONS), unless the reviewer has chosen one; they may change it.
  var form = document.querySelector("form.review-form[data-suggestions]");
  if (!form) { return; }
  var limits = form.getAttribute("data-suggestions").split(";").map(function (pair) {
    var parts = pair.split(":");
    return { limit: parseFloat(parts[0]), value: parts[1] };
  });
  var rubric = form.querySelector(".rubric");
  var hint = form.querySelector(".recommendation-hint");
  var choices = Array.prototype.slice.call(form.querySelectorAll("input[name=recommendation]"));
  var chosen = choices.some(function (choice) { return choice.checked; });
  choices.forEach(function (choice) {
    choice.addEventListener("change", function () { chosen = true; hint.hidden = true; });
  });
  rubric.addEventListener("change", function () {
    if (chosen) { return; }
    var scores = Array.prototype.map.call(rubric.querySelectorAll("fieldset"), function (criterion) {
      var checked = criterion.querySelector("input:checked");
      return checked ? parseInt(checked.value, 10) : null;
    });
    if (scores.some(function (score) { return score === null; })) { return; }
    var mean = scores.reduce(function (sum, score) { return sum + score; }, 0) / scores.length;
    var suggested = limits.find(function (entry) { return mean >= entry.limit; });
    choices.forEach(function (choice) { choice.checked = suggested && choice.value === suggested.value; });
    hint.hidden = false;
  });
})();
