// Switchboard's own script: live updates over Server-Sent Events, countdowns, keyboard
// shortcuts and the help overlay. Every page works without it.
"use strict";

(function () {
  document.documentElement.classList.add("js");

  function csrfToken() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // Countdowns: elements with data-until (RFC 3339) show the time left, then "late".
  function formatLeft(ms) {
    var negative = ms < 0;
    var total = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
    var text = (h > 0 ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return negative ? "-" + text : text;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-until]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-until")) - now;
      el.textContent = formatLeft(left);
      el.classList.toggle("late", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 5 * 60 * 1000);
    });
  }

  // Live updates: the server says "changed" when the agent's offers or items (or the lead
  // board's figures) change.
  function listen() {
    var url = document.body.getAttribute("data-live");
    if (!url || !window.EventSource) { return; }
    var source = new EventSource(url);
    // A field changed and not yet sent (a status picked, a reason typed) is a choice in progress.
    var edited = false;
    document.addEventListener("change", function () { edited = true; });
    document.addEventListener("input", function () { edited = true; });
    source.addEventListener("changed", function () {
      // A page where the user is choosing (ticked boxes, a field in use or changed) says so
      // instead of reloading away their choice.
      var stale = document.getElementById("live-stale");
      var busy = edited || document.querySelector("input[type=checkbox]:checked, input:focus, select:focus, textarea:focus");
      if (stale && busy) {
        stale.hidden = false;
        return;
      }
      source.close();
      window.location.reload();
    });
  }

  // Keyboard: j/k move through rows marked data-row, o opens, / searches, ? shows help.
  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }
  function select(index) {
    var all = rows();
    if (all.length === 0) { return; }
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (row, i) { row.classList.toggle("selected", i === index); });
    all[index].scrollIntoView({ block: "nearest" });
  }
  function selectedIndex() { return rows().findIndex(function (row) { return row.classList.contains("selected"); }); }
  function toggleHelp() {
    var help = document.getElementById("help");
    if (help) { help.hidden = !help.hidden; }
  }
  function onKey(event) {
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if (typing || event.ctrlKey || event.metaKey || event.altKey) { return; }
    switch (event.key) {
      case "j": select(selectedIndex() + 1); break;
      case "k": select(selectedIndex() - 1); break;
      case "o":
      case "Enter": {
        var row = rows()[selectedIndex()];
        var link = row && row.querySelector("a[data-open]");
        if (!link) { return; }
        window.location.assign(link.getAttribute("href"));
        break;
      }
      case "/": {
        var field = document.querySelector("input[name=q]");
        if (field) { field.focus(); } else { window.location.assign("/search"); }
        break;
      }
      case "?": toggleHelp(); break;
      case "Escape": {
        var help = document.getElementById("help");
        if (help && !help.hidden) { help.hidden = true; }
        return;
      }
      default: return;
    }
    event.preventDefault();
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    window.setInterval(tick, 1000);
    listen();
    document.addEventListener("keydown", onKey);
    document.querySelectorAll("[data-help-toggle]").forEach(function (button) {
      button.addEventListener("click", toggleHelp);
    });
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    window.switchboardCsrfToken = csrfToken;
  });
})();
