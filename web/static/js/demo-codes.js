/* The demo's sign-in page: its table of current one-time codes counts down each second and,
 * when a code expires, shows the new ones (the table is fetched again from this page; what
 * was typed into the form stays). Only served in the demo. */
(function () {
  "use strict";

  let section = document.getElementById("demo-codes");
  if (!section) return;
  let refreshing = false;

  function cells() {
    return Array.from(section.querySelectorAll("[data-seconds-left]"));
  }

  async function refresh() {
    refreshing = true;
    try {
      const answer = await fetch(window.location.pathname, { credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.getElementById("demo-codes");
      if (fresh) {
        section.replaceWith(fresh);
        section = fresh;
      }
    } catch (err) {
      /* offline for a moment: try again on the next tick */
    } finally {
      refreshing = false;
    }
  }

  function tick() {
    let expired = false;
    for (const cell of cells()) {
      const left = Math.max(0, Number(cell.dataset.secondsLeft) - 1);
      cell.dataset.secondsLeft = String(left);
      cell.textContent = section.dataset.msgSeconds.replace("{n}", String(left));
      if (left === 0) expired = true;
    }
    if (expired && !refreshing) refresh();
  }

  setInterval(tick, 1000);
})();
