/* A report pack's page: polls packs:status (JSON) until the pack is finished and updates the
   status, the progress bar, the message (a status region, so screen readers hear each change)
   and the list of councils, then shows the download link or the error. Without JavaScript the
   page offers a "Refresh" link instead. */
(function () {
  "use strict";
  var INTERVAL = 1500;      /* milliseconds between polls */
  var RETRY = 5000;         /* after a failed poll */
  var TAGS = { queued: "tag--grey", running: "tag--blue", done: "tag--green", failed: "tag--red" };

  function start(root) {
    var url = root.getAttribute("data-status-url");
    var find = function (name) { return root.querySelector("[data-pack-" + name + "]"); };
    var refresh = find("refresh");
    var lastCouncils = "";

    function setText(element, text) {
      /* Only on change: a status region announces every change. */
      if (element && element.textContent !== text) { element.textContent = text; }
    }

    function show(state) {
      var tag = find("status");
      if (tag) {
        setText(tag, state.status_label);
        Object.keys(TAGS).forEach(function (status) { tag.classList.remove(TAGS[status]); });
        tag.classList.add(TAGS[state.status] || TAGS.queued);
      }
      var bar = find("bar");
      if (bar) {
        bar.max = Math.max(state.total, 1);
        bar.value = state.processed;
        setText(bar, state.counts);
      }
      setText(find("counts"), state.counts);
      setText(find("message"), state.message);
      setText(find("error"), state.error || "");
      find("failure").hidden = !state.error;
      find("download").hidden = !state.download_url;
      var councils = JSON.stringify(state.councils);
      if (councils !== lastCouncils) {
        lastCouncils = councils;
        var list = find("councils");
        list.replaceChildren.apply(list, state.councils.map(function (outcome) {
          var item = document.createElement("li");
          var what = outcome.error ? outcome.error : outcome.file;
          item.textContent = [outcome.council + ": " + what].concat(outcome.notes).join(" ");
          return item;
        }));
        find("no-councils").hidden = state.councils.length > 0;
      }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("status " + response.status); }
          return response.json();
        })
        .then(function (state) {
          if (refresh) { refresh.hidden = true; }
          show(state);
          if (!state.finished) { window.setTimeout(poll, INTERVAL); }
        })
        .catch(function () {
          /* Signed out, or the server is restarting: offer the link and try again later. */
          if (refresh) { refresh.hidden = false; }
          window.setTimeout(poll, RETRY);
        });
    }

    if (refresh) { refresh.hidden = true; }
    window.setTimeout(poll, INTERVAL);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-pack-progress]");
    if (root && root.getAttribute("data-finished") !== "true") { start(root); }
  });
})();
