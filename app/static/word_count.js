// The essay's live word counter (lms/blocks/essay.html): words counted as the server counts
// them (app/schemas/lms/blocks/essay.py `count_words`: whitespace-separated pieces with a letter
// or a digit). The visible count follows every keystroke; screen readers hear it once typing
// pauses, not on every key.
(function () {
  "use strict";
  var PAUSE_MS = 1500;
  var WORD = /[\p{L}\p{N}]/u;

  function countWords(text) {
    return text.split(/\s+/).filter(function (token) { return WORD.test(token); }).length;
  }

  function describe(counter, count) {
    var min = parseInt(counter.dataset.min, 10);
    var max = parseInt(counter.dataset.max, 10);
    var template = counter.dataset.words;
    if (!isNaN(min) && count < min) {
      template = counter.dataset.short;
    } else if (!isNaN(max) && count > max) {
      template = counter.dataset.long;
    }
    return template
      .replace("{count}", String(count))
      .replace("{min}", String(min))
      .replace("{max}", String(max));
  }

  function attach(area) {
    var counter = document.getElementById(area.dataset.wordCount);
    if (!counter) {
      return;
    }
    var live = document.getElementById(counter.id + "-live");
    var timer = null;
    function update(announce) {
      var text = describe(counter, countWords(area.value));
      counter.textContent = text;
      if (!announce || !live) {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { live.textContent = text; }, PAUSE_MS);
    }
    counter.hidden = false;
    area.addEventListener("input", function () { update(true); });
    update(false);
  }

  document.querySelectorAll("textarea[data-word-count]").forEach(attach);
})();
