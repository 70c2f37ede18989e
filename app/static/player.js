// The lesson player's autosave: answers are saved as the student works, so a closed tab or a
// lost connection loses nothing. Without this script the Save button does the same job.
(function () {
  "use strict";

  var form = document.getElementById("player-form");
  if (!form) {
    return;
  }
  var status = document.getElementById("save-status");
  var saveUrl = form.getAttribute("data-save-url");
  var TYPING_PAUSE_MS = 800;
  // Time between saves counts as work only up to this (the server caps it too).
  var MAX_SECONDS = 600;
  var timer = null;
  var inFlight = false;
  var again = false;
  var lastSave = Date.now();

  function say(text) {
    if (status) {
      status.textContent = text || "";
    }
  }

  function csrfToken() {
    var field = form.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }

  function save() {
    timer = null;
    if (inFlight) {
      again = true; // one more save after this one, with the newest answers
      return;
    }
    inFlight = true;
    var body = new URLSearchParams(new FormData(form));
    var now = Date.now();
    body.set("time_spent_seconds", String(Math.min(MAX_SECONDS, Math.round((now - lastSave) / 1000))));
    lastSave = now;
    fetch(saveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRF-Token": csrfToken() }
    })
      .then(function (response) {
        say(response.status === 204 ? form.getAttribute("data-saved") : form.getAttribute("data-failed"));
      })
      .catch(function () {
        say(form.getAttribute("data-failed"));
      })
      .then(function () {
        inFlight = false;
        if (again) {
          again = false;
          save();
        }
      });
  }

  function schedule(delay) {
    if (timer !== null) {
      clearTimeout(timer);
    }
    timer = setTimeout(save, delay);
  }

  function isTyping(target) {
    return target && (target.tagName === "TEXTAREA" ||
      (target.tagName === "INPUT" && (target.type === "text" || target.type === "number")));
  }

  form.addEventListener("input", function (event) {
    if (isTyping(event.target)) {
      schedule(TYPING_PAUSE_MS);
    }
  });
  form.addEventListener("change", function () {
    schedule(0);
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (button && button.hasAttribute("data-confirm-submit") &&
        !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    // The form itself carries the answers now; a pending autosave would only race it.
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  });
})();
