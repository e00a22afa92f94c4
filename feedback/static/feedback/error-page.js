/* The crash-report dialog (feedback/dialog.py), loaded by browser SDKs' showReportDialog.
   Static: the DSN, event id and defaults come from this script's own URL. Built with DOM
   calls and textContent only; the form is posted back to the same URL. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var endpoint = script.src;
  var params = new URL(endpoint).searchParams;
  var CLOSED = "__sentry_reportdialog_closed__";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  function style(node, css) { node.setAttribute("style", css); return node; }

  var wrapper = style(el("div", { "class": "sentry-error-embed-wrapper", role: "dialog",
      "aria-modal": "true", "aria-labelledby": "sentry-error-embed-title" }),
    "position:fixed;inset:0;z-index:2147483647;background:rgba(0,0,0,.5);display:flex;" +
    "align-items:center;justify-content:center;font:15px/1.4 system-ui,sans-serif");
  var box = style(el("div", { "class": "sentry-error-embed" }),
    "background:#fff;color:#222;max-width:32rem;width:90%;padding:1.5rem;border-radius:.5rem");
  wrapper.appendChild(box);
  box.appendChild(el("h2", { id: "sentry-error-embed-title" },
    params.get("title") || "It looks like we're having issues."));
  box.appendChild(el("p", {}, params.get("subtitle") ||
    "Our team has been notified. If you'd like to help, tell us what happened below."));

  var form = el("form", { "class": "sentry-error-embed-form" });
  function field(name, label, type, value, required) {
    var id = "sentry-error-embed-" + name;
    var row = style(el("p"), "margin:.5rem 0");
    row.appendChild(style(el("label", { "for": id }, label), "display:block;font-weight:600"));
    var input = type === "textarea" ? el("textarea", { id: id, name: name, rows: "4" })
      : el("input", { id: id, name: name, type: type });
    if (required) input.required = true;
    input.value = value || "";
    style(input, "width:100%;box-sizing:border-box;padding:.4rem");
    row.appendChild(input);
    form.appendChild(row);
    return input;
  }
  field("name", params.get("labelName") || "Name", "text", params.get("name"), true);
  field("email", params.get("labelEmail") || "Email", "email", params.get("email"), true);
  field("comments", params.get("labelComments") || "What happened?", "textarea", "", true);
  var status = el("p", { "class": "sentry-error-embed-status", role: "status" });
  form.appendChild(status);
  var buttons = style(el("p"), "display:flex;gap:.5rem;justify-content:flex-end");
  var close = el("button", { type: "button", "class": "sentry-error-embed-close" },
    params.get("labelClose") || "Close");
  var submit = el("button", { type: "submit", "class": "sentry-error-embed-submit" },
    params.get("labelSubmit") || "Submit Crash Report");
  buttons.appendChild(close);
  buttons.appendChild(submit);
  form.appendChild(buttons);
  box.appendChild(form);

  function dismiss() {
    if (wrapper.parentNode) wrapper.parentNode.removeChild(wrapper);
    window.postMessage(CLOSED, "*");
  }
  close.addEventListener("click", dismiss);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    submit.disabled = true;
    status.textContent = "Sending…";
    fetch(endpoint, { method: "POST", body: new URLSearchParams(new FormData(form)) })
      .then(function (r) {
        return r.json().then(function (body) { return { ok: r.ok, body: body }; });
      })
      .then(function (res) {
        if (res.ok) {
          form.parentNode.replaceChild(el("p", { "class": "sentry-error-embed-success" },
            params.get("successMessage") || "Your feedback has been sent. Thank you!"), form);
          var done = el("button", { type: "button" }, params.get("labelClose") || "Close");
          done.addEventListener("click", dismiss);
          box.appendChild(done);
        } else {
          status.textContent = (res.body && res.body.detail) || "Could not send the report.";
          submit.disabled = false;
        }
      })
      .catch(function () {
        status.textContent = "Could not send the report.";
        submit.disabled = false;
      });
  });
  (document.body || document.documentElement).appendChild(wrapper);
})();
