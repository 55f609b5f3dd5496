/* dailypapers community: optional upgrades of plain forms (everything works without this file).
 *
 * Upvote forms ([data-upvote]) update at once (optimistically) and POST in the background with the
 * form's own CSRF token; the server's answer then sets the true count, and a failure puts the old
 * state back. An anonymous click is sent to the log-in page, which returns here afterwards. */
(function () {
  "use strict";

  function show(form, voted, count) {
    var button = form.querySelector("button");
    form.querySelector("input[name=vote]").value = voted ? "0" : "1";
    button.classList.toggle("is-voted", voted);
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    button.dataset.count = String(count);
    button.querySelector(".upvote-count").textContent = String(count);
  }

  function vote(form) {
    var button = form.querySelector("button");
    var wasVoted = form.querySelector("input[name=vote]").value === "0";
    var before = parseInt(button.dataset.count, 10) || 0;
    var body = new FormData(form); // read before show() flips the form's vote field for the next click
    show(form, !wasVoted, before + (wasVoted ? -1 : 1));
    // Busy, not disabled: disabling the focused button would throw keyboard focus back to the page.
    button.setAttribute("aria-busy", "true");
    fetch(form.action, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (response.status === 401 && data.login_url) {
          window.location.assign(data.login_url);
          return;
        }
        if (!response.ok) throw new Error(data.error || response.statusText);
        show(form, data.voted, data.upvotes);
      });
    }).catch(function () {
      show(form, wasVoted, before);
    }).finally(function () {
      button.removeAttribute("aria-busy");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-upvote") || !window.fetch) return;
    event.preventDefault();
    if (form.querySelector("button[aria-busy=true]")) return; // one request at a time
    vote(form);
  });
})();
