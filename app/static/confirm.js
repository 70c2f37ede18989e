// Asks before a destructive form is sent: any <form data-confirm="message"> shows the
// message (already in the person's language) and is not sent if they refuse. The CSP allows
// only our own scripts, so this is wired here, never with inline handlers.
"use strict";

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    const message = form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  },
  true,
);
