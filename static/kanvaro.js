// Kanvaro's own behaviour: attached through data attributes and htmx events (no inline script).
(function () {
  "use strict";
  // After htmx swaps in a page with an error summary, move focus to it so it is announced.
  document.addEventListener("htmx:afterSettle", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
  // Confirm destructive actions when JavaScript is on; without it the form posts directly.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
