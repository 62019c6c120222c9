/* What every console page needs: safe element building and the JSON API with the session's CSRF
 * token. Nodes are built with textContent only, so customer text is always shown literally.
 */
window.ConsoleCommon = (function () {
  "use strict";

  var CSRF = document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* A caller of one API prefix ("/api/console", "/api/review"): JSON in and out, the detail of an
   * error as the thrown message, and back to the login page when the session has ended. */
  function apiFor(prefix) {
    return function (method, path, body) {
      var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
      if (method !== "GET") options.headers["X-CSRF-Token"] = CSRF;
      if (body !== undefined) {
        options.headers["Content-Type"] = "application/json";
        options.body = JSON.stringify(body);
      }
      return fetch(prefix + path, options).then(function (response) {
        if (response.status === 401) { window.location.assign("/console/login"); throw new Error("Signed out."); }
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) throw new Error(typeof data.detail === "string" ? data.detail : "Request failed (" + response.status + ").");
          return data;
        });
      });
    };
  }

  return { el: el, apiFor: apiFor };
})();
