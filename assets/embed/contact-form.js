/* FerroCRM web form embed (served at /contact-form/<token>/embed.js with its settings appended as
   the argument). Renders the lead source's form right after its <script> tag and posts it with
   fetch; answers are shown with textContent only. Nothing here reads or writes the host page's
   cookies or storage. */
(function (cfg) {
  "use strict";
  var script = document.currentScript;
  var box = document.createElement("div");
  box.className = "ferrocrm-form";
  var form = document.createElement("form");
  form.method = "post";
  form.action = cfg.action;
  var errors = [];

  function row(name, label, type, autocomplete, multiline) {
    var p = document.createElement("p");
    var id = "ferrocrm-" + name + "-" + Math.random().toString(36).slice(2, 10);
    var l = document.createElement("label");
    l.htmlFor = id;
    l.textContent = label;
    var input = document.createElement(multiline ? "textarea" : "input");
    if (!multiline) {
      input.type = type;
      input.required = true;
      input.maxLength = name === "email" ? 254 : 200;
    } else {
      input.rows = 5;
      input.maxLength = 10000;
    }
    input.name = name;
    input.id = id;
    input.autocomplete = autocomplete || "off";
    var err = document.createElement("span");
    err.className = "ferrocrm-error";
    err.setAttribute("role", "alert");
    errors.push({ field: name, el: err });
    p.appendChild(l);
    p.appendChild(document.createElement("br"));
    p.appendChild(input);
    p.appendChild(err);
    return p;
  }

  cfg.fields.forEach(function (f) {
    form.appendChild(row(f.name, f.label, f.type, f.autocomplete, false));
  });
  form.appendChild(row("message", cfg.messageLabel, "", "off", true));

  // The honeypot: out of sight and out of the tab order; people leave it empty, bots fill it.
  var trap = document.createElement("div");
  trap.setAttribute("aria-hidden", "true");
  trap.style.position = "absolute";
  trap.style.left = "-10000px";
  trap.style.width = "1px";
  trap.style.height = "1px";
  trap.style.overflow = "hidden";
  var bait = document.createElement("input");
  bait.type = "text";
  bait.name = cfg.honeypot;
  bait.tabIndex = -1;
  bait.autocomplete = "off";
  trap.appendChild(bait);
  form.appendChild(trap);

  var fill = document.createElement("input");
  fill.type = "hidden";
  fill.name = cfg.fillName;
  fill.value = cfg.fill;
  form.appendChild(fill);

  if (cfg.captcha) {
    var widget = document.createElement("div");
    widget.className = cfg.captcha["class"];
    widget.setAttribute("data-sitekey", cfg.captcha.siteKey);
    form.appendChild(widget);
    var api = document.createElement("script");
    api.src = cfg.captcha.script;
    api.async = true;
    document.head.appendChild(api);
  }

  var button = document.createElement("button");
  button.type = "submit";
  button.textContent = cfg.submitLabel;
  var status = document.createElement("p");
  status.className = "ferrocrm-status";
  status.setAttribute("role", "status");
  form.appendChild(button);
  form.appendChild(status);

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    errors.forEach(function (x) { x.el.textContent = ""; });
    button.disabled = true;
    status.textContent = cfg.sendingLabel;
    fetch(cfg.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      mode: "cors",
      credentials: "omit"
    })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (answer.ok) {
          box.textContent = "";
          var done = document.createElement("p");
          done.className = "ferrocrm-thanks";
          done.textContent = String(answer.message || "");
          box.appendChild(done);
          return;
        }
        button.disabled = false;
        status.textContent = String(answer.message || "");
        (answer.errors || []).forEach(function (er) {
          var slot = errors.filter(function (x) { return x.field === er.field; })[0];
          if (slot) {
            slot.el.textContent = " " + String(er.message);
          } else {
            status.textContent = String(er.message);
          }
        });
      })
      .catch(function () {
        button.disabled = false;
        status.textContent = cfg.failed;
      });
  });

  box.appendChild(form);
  if (script && script.parentNode) {
    script.parentNode.insertBefore(box, script.nextSibling);
  } else {
    document.body.appendChild(box);
  }
})
