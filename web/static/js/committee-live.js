/* Committee dashboard while voting is open: fetch the figures again every few seconds
 * (data-refresh-seconds, OWNERVOTE_DASHBOARD_REFRESH_SECONDS) from data-live-url and swap
 * them in without reloading the page.  Nothing is fetched while the tab is hidden; on
 * coming back the figures are fetched at once.  When the assembly's status changes (voting
 * closed), the page is loaded again once: its buttons and wording change with it.
 */
(function () {
  "use strict";

  const live = document.getElementById("live");
  if (!live || !live.dataset.liveUrl) return;
  const every = Math.min(30, Math.max(1, Number(live.dataset.refreshSeconds) || 15)) * 1000;
  let timer = null;
  let busy = false;

  async function refresh() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const res = await fetch(live.dataset.liveUrl, {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      });
      if (!res.ok) return;  // signed out or a passing fault: the next tick tries again
      const answer = await res.json();
      if (answer.status !== live.dataset.status) {
        window.location.reload();
        return;
      }
      live.innerHTML = answer.html;
    } catch (err) {
      /* the network is down for a moment: keep the figures shown, try again later */
    } finally {
      busy = false;
    }
  }

  function start() {
    stop();
    timer = setInterval(refresh, every);
  }

  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      stop();
    } else {
      refresh();
      start();
    }
  });
  if (!document.hidden) start();
})();
