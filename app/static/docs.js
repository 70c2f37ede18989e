// Starts Swagger UI on /docs (app/api/docs.py). A file rather than an inline script, so the
// page's Content-Security-Policy allows scripts from 'self' only, with no hash.
(function () {
  "use strict";

  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // Swagger UI's default would send the schema to validator.swagger.io for a badge: a
    // request to a third party on every visit.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
  });
})();
