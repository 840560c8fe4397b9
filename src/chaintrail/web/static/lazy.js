/* Fill placeholders (class "lazy", data-src) with HTML fragments after the page has loaded. */
(function () {
  "use strict";
  document.querySelectorAll(".lazy[data-src]").forEach(function (el) {
    fetch(el.dataset.src, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) { el.innerHTML = html; el.classList.add("loaded"); })
      .catch(function () { el.textContent = "Could not load this section."; });
  });
})();
