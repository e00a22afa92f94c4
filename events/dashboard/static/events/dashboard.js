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
    showFor();
  });
  // Fields that apply to some values of another field only: data-show-for="name:value value"
  // (digest settings: the hour and weekday; the rule editor: the chosen members).
  function showFor() {
    document.querySelectorAll("[data-show-for]").forEach(function (field) {
      var spec = field.getAttribute("data-show-for").split(":");
      var control = document.querySelector(
        "select[name='" + spec[0] + "'], input[name='" + spec[0] + "']:checked"
      );
      field.hidden = spec[1].split(" ").indexOf(control ? control.value : "") < 0;
    });
  }
  showFor();
})();
