// The report builder: save each form as the author types or ticks, then reload the
// preview. Without this script every form still saves with its button.
(function () {
  "use strict";
  var preview = document.querySelector("[data-preview]");
  var DELAY = 800;
  var builder = document.querySelector("[data-builder]");
  var text = builder ? builder.dataset : {};

  function reloadPreview() {
    if (!preview) return;
    var scrollY = 0;
    try { scrollY = preview.contentWindow.scrollY; } catch (e) { /* not loaded */ }
    preview.addEventListener("load", function restore() {
      preview.removeEventListener("load", restore);
      try { preview.contentWindow.scrollTo(0, scrollY); } catch (e) { /* ignore */ }
    });
    preview.src = preview.src;
  }

  function say(form, text) {
    var status = form.querySelector(".autosave-status");
    if (status) status.textContent = text;
  }

  function save(form) {
    var body = new FormData(form);
    say(form, text.textSaving);
    return fetch(form.action, {
      method: "POST",
      body: body,
      headers: {"Accept": "application/json"},
      credentials: "same-origin",
      keepalive: true  // finishes even when the author has moved on to another page
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.ok && data.saved) {
          say(form, text.textSaved);
          var heading = form.closest(".builder-block");
          if (heading && "edited" in data) {
            var tag = heading.querySelector("[data-edited]");
            if (data.edited && !tag) {
              var title = heading.querySelector("h4");
              tag = document.createElement("strong");
              tag.className = "tag tag--yellow";
              tag.setAttribute("data-edited", "");
              tag.textContent = text.textEdited;
              title.appendChild(document.createTextNode(" "));
              title.appendChild(tag);
            } else if (!data.edited && tag) {
              tag.remove();
            }
          }
          reloadPreview();
        } else {
          var messages = [];
          Object.keys(data.errors || {}).forEach(function (key) {
            messages = messages.concat(data.errors[key]);
          });
          say(form, [text.textNotSaved, messages.join(" "), text.textPressSave].join(" "));
        }
      });
    }).catch(function () {
      say(form, text.textOffline);
    });
  }

  // Forms with typing not yet saved: saved at once when the author presses any button
  // that leaves the page, so nothing typed is lost.
  var pending = new Map();

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    function later() {
      clearTimeout(pending.get(form));
      pending.set(form, setTimeout(function () { pending.delete(form); save(form); }, DELAY));
    }
    form.addEventListener("input", function (event) {
      if (event.target.type !== "checkbox" && event.target.type !== "radio") later();
    });
    form.addEventListener("change", function (event) {
      if (event.target.type === "checkbox" || event.target.type === "radio") later();
    });
  });

  document.addEventListener("submit", function (event) {
    pending.forEach(function (timer, form) {
      clearTimeout(timer);
      // The form being submitted saves itself, unless the button moves it elsewhere
      // (Move up, Move down): then its typing is saved first.
      var moving = event.submitter && event.submitter.name === "direction";
      if (form !== event.target || moving) save(form);
    });
    pending.clear();
  });

  // Editing a section shows that section in the preview.
  document.querySelectorAll(".builder-section[data-number]").forEach(function (section) {
    section.addEventListener("focusin", function () {
      try {
        var target = preview.contentDocument.getElementById("section-" + section.dataset.number);
        // Scroll the preview's own window: scrollIntoView would scroll this page too,
        // moving the button the author is pressing.
        if (target) preview.contentWindow.scrollTo(0, target.offsetTop);
      } catch (e) { /* the preview is still loading */ }
    });
  });

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
