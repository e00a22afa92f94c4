// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copy.textContent = "Copied";
        });
      }
      return;
    }
    var confirmable = event.target.closest("[data-confirm]");
    if (confirmable && !window.confirm(confirmable.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      var form = event.target.form;
      form.querySelectorAll("input[name=issue]").forEach(function (box) {
        box.checked = event.target.checked;
      });
    }
    if (event.target.matches("[data-autosubmit]")) {
      event.target.form.requestSubmit();
    }
    if (event.target.matches("[data-frequency]")) {
      showFor(event.target.value);
    }
  });
  // Fields that apply to some values of a select only (digest settings: hour, weekday).
  function showFor(value) {
    document.querySelectorAll("[data-show-for]").forEach(function (field) {
      field.hidden = field.getAttribute("data-show-for").split(" ").indexOf(value) < 0;
    });
  }
  var frequency = document.querySelector("[data-frequency]");
  if (frequency) {
    showFor(frequency.value);
  }
})();
