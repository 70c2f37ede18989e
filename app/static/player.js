// The lesson player: answers are saved as the student works, and every answer the server has
// not confirmed yet is kept in this browser (localStorage) until it has, so a closed tab, a lost
// connection or an ended session loses nothing. A timed lesson counts down. Without this script
// the Save and Submit buttons do the saving. The words it shows come from the page (data-*
// attributes rendered in the student's language): scripts have no gettext.
(function () {
  "use strict";

  var PREFIX = "tutor-player:";

  function storage(kind) {
    try {
      var store = window[kind];
      var probe = PREFIX + "probe";
      store.setItem(probe, "1");
      store.removeItem(probe);
      return store;
    } catch (error) {
      return null; // private mode or storage switched off: the server copy is all there is
    }
  }

  var local = storage("localStorage");
  var session = storage("sessionStorage");

  // A submitted attempt: what this browser kept for the assignment is on the server now.
  var done = document.getElementById("player-done");
  if (done) {
    if (local) {
      var prefix = PREFIX + done.getAttribute("data-assignment") + ":";
      for (var i = local.length - 1; i >= 0; i--) {
        var name = local.key(i);
        if (name && name.indexOf(prefix) === 0) {
          local.removeItem(name);
        }
      }
    }
    return;
  }

  var form = document.getElementById("player-form");
  var texts = document.getElementById("player-texts");
  if (!form || !texts) {
    return;
  }
  var status = document.getElementById("save-status");
  var saveUrl = form.getAttribute("data-save-url");
  var assignment = texts.getAttribute("data-assignment");
  var attempt = texts.getAttribute("data-attempt");
  var draftKey = PREFIX + assignment + ":" + attempt;
  var TYPING_PAUSE_MS = 800;
  // Time between saves counts as work only up to this (the server caps it too).
  var MAX_SECONDS = 600;
  // After a lost connection: try again after these pauses (the last one repeats).
  var RETRY_MS = [2000, 5000, 10000, 30000, 60000];
  var timer = null;
  var retryTimer = null;
  var retries = 0;
  var inFlight = false;
  var again = false;
  var sessionEnded = false;
  var locked = false;
  var lastSave = Date.now();
  var memoryDraft = null; // the unsent answers when the browser keeps no storage

  function text(name) {
    return texts.getAttribute("data-" + name) || "";
  }

  var restoredNote = ""; // said with every message until the student changes an answer

  function say(message, link) {
    if (!status) {
      return;
    }
    status.textContent = restoredNote ? restoredNote + " " + (message || "") : message || "";
    if (link) {
      status.appendChild(document.createTextNode(" "));
      var anchor = document.createElement("a");
      anchor.href = link.href;
      anchor.textContent = link.text;
      status.appendChild(anchor);
    }
  }

  // --- the answers, as a plain object: field name → the values it holds (a radio or a
  // checkbox group: the checked values), in the order of the page

  function answerFields() {
    return Array.prototype.filter.call(form.elements, function (field) {
      return field.name && field.name.indexOf("answer.") === 0;
    });
  }

  function currentAnswers() {
    var answers = {};
    answerFields().forEach(function (field) {
      var values = answers[field.name] || (answers[field.name] = []);
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) {
          values.push(field.value);
        }
      } else {
        values.push(field.value);
      }
    });
    return answers;
  }

  function applyAnswers(answers) {
    answerFields().forEach(function (field) {
      var values = answers[field.name];
      if (!Array.isArray(values)) {
        return; // a question the kept copy does not know (the lesson changed): left as it is
      }
      if (field.type === "radio" || field.type === "checkbox") {
        field.checked = values.indexOf(field.value) !== -1;
      } else {
        field.value = values.length ? String(values[0]) : "";
      }
      // Word counters and the like see the restored text (not bubbling: no autosave of its own).
      field.dispatchEvent(new Event("input", { bubbles: false }));
    });
  }

  // --- the copy kept in the browser until the server has it

  function readDraft() {
    if (!local) {
      return memoryDraft;
    }
    try {
      var draft = JSON.parse(local.getItem(draftKey) || "null");
      return draft && typeof draft.answers === "object" ? draft : null;
    } catch (error) {
      return null;
    }
  }

  function keepDraft() {
    var draft = { answers: currentAnswers(), typedAt: new Date().toISOString() };
    memoryDraft = draft;
    if (local) {
      try {
        local.setItem(draftKey, JSON.stringify(draft));
      } catch (error) {
        // Storage full: the answers stay in memory and on the page.
      }
    }
    return draft;
  }

  function forgetDraft(sent) {
    var kept = readDraft();
    // Only the copy that was sent: answers typed while it was on its way stay kept.
    if (kept && JSON.stringify(kept.answers) === sent) {
      memoryDraft = null;
      if (local) {
        local.removeItem(draftKey);
      }
    }
  }

  function forgetOtherAttempts() {
    if (!local) {
      return;
    }
    var prefix = PREFIX + assignment + ":";
    for (var i = local.length - 1; i >= 0; i--) {
      var name = local.key(i);
      if (name && name.indexOf(prefix) === 0 && name !== draftKey) {
        local.removeItem(name);
      }
    }
  }

  // --- saving

  function csrfToken() {
    // The cookie, not the field: a login in another tab rotates the token.
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    var field = form.querySelector('input[name="csrf_token"]');
    if (match && field) {
      field.value = decodeURIComponent(match[1]);
    }
    return field ? field.value : "";
  }

  function loginLink() {
    return { href: text("login-url"), text: text("log-in") };
  }

  function retryLater() {
    if (retryTimer !== null) {
      return;
    }
    var pause = RETRY_MS[Math.min(retries, RETRY_MS.length - 1)];
    retries += 1;
    retryTimer = setTimeout(function () {
      retryTimer = null;
      save();
    }, pause);
  }

  function failureMessage(response) {
    // The server's own message, in the student's language: plain text from the page routes,
    // or the one error shape {detail, code, field, errors} of the JSON API.
    var type = response.headers.get("content-type") || "";
    if (type.indexOf("application/json") !== -1) {
      return response.json().then(function (body) {
        return (body && typeof body.detail === "string" && body.detail) || form.getAttribute("data-failed");
      });
    }
    if (type.indexOf("text/plain") !== -1) {
      return response.text().then(function (body) {
        body = body.trim();
        return body && body.length <= 300 ? body : form.getAttribute("data-failed");
      });
    }
    return Promise.resolve(form.getAttribute("data-failed"));
  }

  function onSaved(sent, sentAt) {
    sessionEnded = false;
    retries = 0;
    forgetDraft(sent);
    say(form.getAttribute("data-saved"));
    startClockOnFirstSave(sentAt);
  }

  function save() {
    timer = null;
    if (locked) {
      return;
    }
    if (inFlight) {
      again = true; // one more save after this one, with the newest answers
      return;
    }
    if (retryTimer !== null) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    var draft = readDraft() || keepDraft();
    var sent = JSON.stringify(draft.answers);
    inFlight = true;
    var body = new URLSearchParams(new FormData(form));
    var now = Date.now();
    body.set("csrf_token", csrfToken());
    body.set("time_spent_seconds", String(Math.min(MAX_SECONDS, Math.round((now - lastSave) / 1000))));
    lastSave = now;
    fetch(saveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      // Without a session the server answers a page request with a redirect to the login
      // form; followed, it would look like a success. Unfollowed, it is recognisable.
      redirect: "manual",
      headers: { "X-Requested-With": "fetch", "X-CSRF-Token": csrfToken() }
    })
      .then(function (response) {
        if (response.status === 204) {
          onSaved(sent, now);
          return null;
        }
        if (response.type === "opaqueredirect" || response.status === 401) {
          sessionEnded = true;
          say(text("session-ended"), loginLink());
          return null;
        }
        return failureMessage(response).then(function (message) {
          say(message);
          if (response.status === 409 && deadlineAt !== null && remaining() <= 0) {
            timeIsUp(false);
          }
        });
      }, function () {
        // No answer at all: offline, or the server unreachable.
        say(text("offline"));
        retryLater();
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

  function changed(delay) {
    if (locked) {
      return;
    }
    restoredNote = "";
    keepDraft();
    schedule(delay);
  }

  form.addEventListener("input", function (event) {
    if (isTyping(event.target)) {
      changed(TYPING_PAUSE_MS);
    }
  });
  form.addEventListener("change", function () {
    changed(0);
  });

  // Back online, or back in the tab (perhaps after logging in in another one): try again.
  window.addEventListener("online", function () {
    if (readDraft()) {
      save();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && sessionEnded && readDraft()) {
      save();
    }
  });

  var submittingByTimer = false;
  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!submittingByTimer && button && button.hasAttribute("data-confirm-submit") &&
        !window.confirm(form.getAttribute("data-submit-confirm"))) {
      event.preventDefault();
      return;
    }
    // The form itself carries the answers now; a pending autosave would only race it. The
    // kept copy stays until the next page shows the server has them (a post without a
    // session goes to the login form first, and comes back to this page).
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    unlockFields(); // disabled fields would not be sent
    if (!locked) {
      keepDraft();
    }
    csrfToken();
  });

  // --- the countdown of a timed lesson, by the server's clock

  var limitMinutes = parseInt(text("limit-minutes"), 10) || 0;
  var skew = 0; // the server's clock minus this browser's
  var deadlineAt = null; // on this browser's clock
  if (limitMinutes && texts.hasAttribute("data-now")) {
    var serverNow = Date.parse(text("now"));
    if (!isNaN(serverNow)) {
      skew = serverNow - Date.now();
    }
    var deadline = Date.parse(text("deadline"));
    if (!isNaN(deadline)) {
      deadlineAt = deadline - skew;
    }
  }
  var box = document.getElementById("time-left");
  var live = document.getElementById("time-left-live");
  var clock = document.getElementById("time-left-clock");
  var announcer = document.getElementById("time-announcer");
  var upMessage = document.getElementById("time-up-message");
  var WARNINGS = [[10, "left-10"], [5, "left-5"], [1, "left-1"]];
  var lastLeft = null;
  var tickTimer = null;

  function remaining() {
    return deadlineAt - Date.now();
  }

  function announce(message) {
    if (announcer) {
      announcer.textContent = message;
    }
  }

  function two(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function shown(milliseconds) {
    var seconds = Math.max(0, Math.ceil(milliseconds / 1000));
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var rest = two(minutes) + ":" + two(seconds % 60);
    return hours ? hours + ":" + rest : rest;
  }

  function tick() {
    tickTimer = null;
    var left = remaining();
    if (clock) {
      clock.textContent = shown(left);
    }
    if (lastLeft !== null) {
      WARNINGS.forEach(function (warning) {
        var edge = warning[0] * 60000;
        if (lastLeft > edge && left <= edge && left > 0) {
          announce(text(warning[1]));
        }
      });
    }
    lastLeft = left;
    if (left <= 0) {
      timeIsUp(true);
      return;
    }
    // The next whole second of the countdown.
    tickTimer = setTimeout(tick, (left % 1000) || 1000);
  }

  function startClock() {
    if (deadlineAt === null || tickTimer !== null) {
      return;
    }
    if (box) {
      box.hidden = false;
    }
    if (live) {
      live.hidden = false;
    }
    tick();
  }

  function startClockOnFirstSave(sentAt) {
    // The server starts the time with the first saved answer.
    if (limitMinutes && deadlineAt === null) {
      deadlineAt = sentAt + limitMinutes * 60000;
      var notice = document.getElementById("time-limit-notice");
      if (notice) {
        notice.hidden = true;
      }
      startClock();
    }
  }

  function lockFields() {
    locked = true;
    answerFields().forEach(function (field) {
      field.disabled = true;
    });
    var saveButton = form.querySelector(".player-actions button:not([formaction])");
    if (saveButton) {
      saveButton.hidden = true;
    }
  }

  function unlockFields() {
    answerFields().forEach(function (field) {
      field.disabled = false;
    });
  }

  function timeIsUp(whileWorking) {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (clock) {
      clock.textContent = shown(0);
    }
    if (locked) {
      return;
    }
    if (!whileWorking) {
      lockFields();
      return;
    }
    if (upMessage) {
      upMessage.hidden = false;
    }
    announce(upMessage ? upMessage.textContent : "");
    keepDraft();
    lockFields();
    // Submitted once, by itself, a moment after saying so (the server still takes the answers
    // in the form for a short while after the time is up). Once: a reload does not repeat it.
    var onceKey = PREFIX + "submitted-by-timer:" + assignment + ":" + attempt;
    if (session && session.getItem(onceKey)) {
      return;
    }
    if (session) {
      session.setItem(onceKey, "1");
    }
    setTimeout(function () {
      var submit = form.querySelector("button[data-confirm-submit]");
      submittingByTimer = true;
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit(submit || undefined);
      } else if (submit) {
        submit.click();
      }
    }, 3000);
  }

  // --- on load: answers kept in this browser that the server does not show yet

  forgetOtherAttempts();
  var kept = readDraft();
  if (texts.hasAttribute("data-time-is-up") || (deadlineAt !== null && remaining() <= 0)) {
    if (kept) {
      applyAnswers(kept.answers);
    }
    timeIsUp(false);
  } else {
    if (kept) {
      if (JSON.stringify(kept.answers) !== JSON.stringify(currentAnswers())) {
        applyAnswers(kept.answers);
        keepDraft();
        restoredNote = text("restored");
        say("");
        save();
      } else {
        save(); // the page shows these answers; the server confirms it has them, then forgotten
      }
    }
    startClock();
  }
})();
