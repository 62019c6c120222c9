/* Console header: which model the assistant runs and when it was trained (GET /api/console/model). */
(function () {
  "use strict";
  var box = document.getElementById("model-status");
  if (!box) return;
  function when(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? String(iso) : date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  }
  fetch("/api/console/model", { credentials: "same-origin", headers: { "Accept": "application/json" } })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(new Error(String(response.status))); })
    .then(function (info) {
      var text = "Model " + (info.version || "unknown") + (info.trained_at ? " · trained " + when(info.trained_at) : "");
      if (info.gate && info.gate.candidate) {
        text += " · held-out intent " + (100 * info.gate.candidate.intent_accuracy).toFixed(1) + " %";
      }
      box.textContent = text;
      box.title = "Rasa model id " + (info.model_id || "?");
    })
    .catch(function () { box.textContent = "Model: the assistant is not answering"; });
})();
