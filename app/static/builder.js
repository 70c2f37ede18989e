// The lesson builder (lms/builder.html). Each block shows as a student sees it; its editor
// stays hidden until its "Edit" button is pressed (a block that failed to save opens ready
// to fix: `data-open`). Unsaved edits are never lost silently: leaving the page, or sending
// any other form, while a `form[data-guard]` has changes asks first. A form the server sent
// back unsaved (a refused save: `data-unsaved` around it) counts as changed from the start.
// Without this script every editor is simply open. The CSP allows only our own scripts, so
// nothing here is inline.
"use strict";

(() => {
  const list = document.querySelector("[data-unsaved-message]");
  if (!list) return;
  const warning = list.dataset.unsavedMessage;
  const guarded = [...document.querySelectorAll("form[data-guard]")];
  const snapshot = (form) =>
    JSON.stringify([...new FormData(form)].filter(([, value]) => typeof value === "string"));
  const initial = new Map(guarded.map((form) => [form, snapshot(form)]));
  const isChanged = (form) =>
    form.closest("[data-unsaved]") !== null || snapshot(form) !== initial.get(form);
  let leaving = false;

  // A "Not saved" badge on the block whose form has changes.
  const markChanged = (form) => {
    const badge = form.closest(".block")?.querySelector("[data-unsaved-badge]");
    if (badge) badge.hidden = !isChanged(form);
  };
  for (const form of guarded) {
    markChanged(form);
    form.addEventListener("input", () => markChanged(form));
    form.addEventListener("change", () => markChanged(form));
  }

  for (const block of document.querySelectorAll("[data-block]")) {
    const button = block.querySelector("[data-edit-toggle]");
    const editor = button && document.getElementById(button.getAttribute("aria-controls"));
    const label = button?.querySelector("[data-label]");
    if (!editor || !label) continue;
    const closedText = label.textContent;
    const show = (open) => {
      editor.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      label.textContent = open ? label.dataset.openLabel : closedText;
    };
    show(block.hasAttribute("data-open"));
    button.hidden = false;
    button.addEventListener("click", () => {
      const open = editor.hidden;
      show(open);
      if (open) editor.querySelector("input:not([type=hidden]), textarea, select")?.focus();
    });
  }

  // Sending one form leaves the page: the others' changes would be lost. (confirm.js, in the
  // capture phase, has already asked about a `data-confirm` form; refused, it never gets here.)
  document.addEventListener("submit", (event) => {
    if (event.defaultPrevented) return;
    const form = event.target;
    const others = guarded.filter((other) => other !== form && isChanged(other));
    if (others.length > 0 && !window.confirm(warning)) {
      event.preventDefault();
      return;
    }
    leaving = true;
  });

  window.addEventListener("beforeunload", (event) => {
    if (leaving || !guarded.some(isChanged)) return;
    event.preventDefault();
    event.returnValue = "";
  });
  // Back to this page from the browser's cache: nothing is being sent any more.
  window.addEventListener("pageshow", () => {
    leaving = false;
  });
})();
