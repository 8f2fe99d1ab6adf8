// sentry-fake: the little the pages do in the browser.  Every fragment inserted here was
// rendered (and escaped) by the server; nothing from an event is turned into markup here.
"use strict";

(function () {
  const UNITS = [[31536000, "yr"], [2592000, "mo"], [604800, "wk"], [86400, "day"],
                 [3600, "hr"], [60, "min"]];

  function ago(date) {
    const seconds = Math.abs(Date.now() - date.getTime()) / 1000;
    if (seconds < 45) return "just now";
    let amount = 1, unit = "min";
    for (const [size, name] of UNITS) {
      if (seconds >= size) { amount = Math.floor(seconds / size); unit = name; break; }
    }
    const text = amount + " " + unit + (amount !== 1 && unit !== "min" && unit !== "mo" ? "s" : "");
    return date.getTime() > Date.now() ? "in " + text : text + " ago";
  }

  function refreshTimes(root) {
    for (const node of (root || document).querySelectorAll("time[data-ago]")) {
      const date = new Date(node.getAttribute("datetime"));
      if (!isNaN(date)) node.textContent = ago(date);
    }
  }

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function flash(node) {
    node.classList.remove("fresh");
    void node.offsetWidth;
    node.classList.add("fresh");
  }

  // Each kind of row the live feed sends: the attribute its key is in, and the attribute of
  // the lists it goes to (whose value says whether new rows go on top or only replace).
  const ROWS = {
    issue: ["data-issue", "data-live-issues"], event: ["data-event", "data-live-events"],
    trace: ["data-trace", "data-live-traces"], log: ["data-log", "data-live-logs"],
  };

  function place(body, row, key, kind) {
    const [attribute, list] = ROWS[kind];
    const old = body.querySelector("[" + attribute + '="' + CSS.escape(key) + '"]');
    const mode = body.getAttribute(list);
    if (mode !== "top" && !old) return false;
    const placeholder = body.querySelector("tr.placeholder");
    if (placeholder) placeholder.remove();
    if (mode === "top") {
      if (old) old.remove();
      body.insertBefore(row, body.firstElementChild);
      const limit = Number(body.dataset.max || 50);
      while (body.children.length > limit) body.lastElementChild.remove();
    } else {
      old.replaceWith(row);
    }
    refreshTimes(row);
    flash(row);
    return true;
  }

  function notice(count) {
    const box = document.querySelector("[data-notice]");
    if (!box) return;
    const counter = box.querySelector(".fresh-count");
    if (counter) counter.textContent = String(Number(counter.textContent || 0) + count);
    box.hidden = false;
  }

  function connect(query) {
    const indicator = document.getElementById("live");
    const source = new EventSource("/__parlel/live?" + query);
    source.addEventListener("open", () => { indicator.className = "live on"; indicator.textContent = "Live"; });
    source.addEventListener("error", () => { indicator.className = "live off"; indicator.textContent = "Reconnecting"; });
    source.addEventListener("issue", (message) => {
      const data = JSON.parse(message.data);
      let placed = false;
      for (const body of document.querySelectorAll("[data-live-issues]")) {
        placed = place(body, fragment(data.html), data.id, "issue") || placed;
      }
      if (!placed) notice(1);
    });
    source.addEventListener("event", (message) => {
      const data = JSON.parse(message.data);
      for (const body of document.querySelectorAll("[data-live-events]")) {
        place(body, fragment(data.html), data.id, "event");
      }
    });
    for (const kind of ["trace", "log"]) {
      source.addEventListener(kind, (message) => {
        const data = JSON.parse(message.data);
        for (const body of document.querySelectorAll("[" + ROWS[kind][1] + "]")) {
          place(body, fragment(data.html), data.id, kind);
        }
      });
    }
    source.addEventListener("region", (message) => {
      // A part of the page rendered again (a trace that grew): what was open stays open.
      const data = JSON.parse(message.data);
      const region = document.querySelector('[data-region="' + CSS.escape(data.name) + '"]');
      if (!region) return;
      const open = new Set([...region.querySelectorAll("details[open]")]
        .map((node) => node.closest("[data-span], [data-log]"))
        .filter((node) => node)
        .map((node) => node.dataset.span || node.dataset.log));
      const replacement = fragment(data.html);
      for (const node of replacement.querySelectorAll("[data-span], [data-log]")) {
        const details = node.matches("details") ? node : node.querySelector("details");
        if (details && open.has(node.dataset.span || node.dataset.log)) details.open = true;
      }
      region.replaceWith(replacement);
      refreshTimes(replacement);
    });
    source.addEventListener("counts", (message) => {
      const data = JSON.parse(message.data);
      for (const [name, html] of Object.entries(data)) {
        for (const node of document.querySelectorAll('[data-count="' + name + '"]')) {
          node.replaceChildren(fragment(html));
        }
      }
    });
    source.addEventListener("fields", (message) => {
      const data = JSON.parse(message.data);
      for (const [name, html] of Object.entries(data)) {
        for (const node of document.querySelectorAll('.issue-head [data-field="' + name + '"]')) {
          node.replaceChildren(fragment(html));
          refreshTimes(node);
        }
      }
    });
    source.addEventListener("notice", () => {
      const box = document.querySelector("[data-notice]");
      if (box) box.hidden = false;
    });
  }

  function loadFragments(attempt) {
    for (const node of document.querySelectorAll("[data-fragment]")) {
      fetch(node.dataset.fragment, {headers: {Accept: "text/html"}})
        .then((answer) => answer.ok ? answer.text() : Promise.reject(answer.status))
        .then((html) => {
          const replacement = fragment(html);
          node.replaceWith(replacement);
          if (replacement.hasAttribute("data-fragment") && attempt < 5) {
            setTimeout(() => loadFragments(attempt + 1), 1000);
          }
        })
        .catch(() => {});
    }
  }

  function copyButtons() {
    for (const button of document.querySelectorAll("[data-copy]")) {
      button.addEventListener("click", () => {
        const source = document.getElementById(button.dataset.copy);
        if (!source || !navigator.clipboard) return;
        navigator.clipboard.writeText(source.textContent).then(() => {
          button.textContent = "Copied";
          button.classList.add("done");
          setTimeout(() => { button.textContent = "Copy"; button.classList.remove("done"); }, 1500);
        });
      });
    }
  }

  document.addEventListener("keydown", (key) => {
    const search = document.querySelector("[data-search]");
    if (key.key === "/" && search && document.activeElement !== search
        && !/INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName)) {
      key.preventDefault();
      search.focus();
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    refreshTimes();
    setInterval(refreshTimes, 30000);
    copyButtons();
    loadFragments(0);
    const query = document.body.dataset.live;
    if (query) connect(query);
  });
})();
