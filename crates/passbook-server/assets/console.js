// Progressive enhancement of the console; every page works without it.
// - Filter forms marked data-auto submit when a choice changes.
// - A region marked data-live is fetched again every 15 seconds and swapped in place.
"use strict";

document.querySelectorAll("form[data-auto] select").forEach((select) => {
  select.addEventListener("change", () => select.form.requestSubmit());
});

const live = document.querySelector("[data-live]");
if (live) {
  const refresh = async () => {
    if (document.hidden) return;
    try {
      const answer = await fetch(live.dataset.live, { credentials: "same-origin", headers: { accept: "text/html" } });
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.querySelector("[data-live]");
      if (fresh) live.replaceChildren(...fresh.childNodes);
      live.dataset.refreshed = String(Date.now());
    } catch (_) {
      // Offline for a moment: the next round tries again.
    }
  };
  setInterval(refresh, 15000);
}
