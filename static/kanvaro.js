// Kanvaro's own behaviour, attached through data attributes and htmx events (no inline script).
(function () {
  "use strict";
  var CONTROL = "[data-status-control]";
  var FAILURES = {
    403: "you are not allowed to change it", 404: "the task no longer exists",
    409: "it was changed by someone else; reload to see the current state",
    422: "that status is not valid", 0: "the server could not be reached"
  };

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function buttons(form) { return form.querySelectorAll("button[name=status]"); }

  // Show a state on the control: the pressed button and the badge.
  function show(form, status) {
    var label = status;
    buttons(form).forEach(function (b) {
      var on = b.value === status;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) label = b.textContent;
    });
    var badge = form.querySelector("[data-badge]");
    if (badge) { badge.textContent = label; badge.className = "badge st-" + status; }
  }

  function current(form) {
    var pressed = form.querySelector("button[aria-pressed=true]");
    return pressed ? pressed.value : null;
  }

  function setBusy(form, busy) {
    form.setAttribute("aria-busy", busy ? "true" : "false");
    buttons(form).forEach(function (b) { b.disabled = busy; });
  }

  // Controls whose request started while they held the keyboard focus: form id -> status pressed.
  // Kept per control, since two controls can be in flight at once.
  var pendingFocus = {};

  // The focus is still where that control left it: on the control itself (its buttons are
  // disabled), on what replaced it, or dropped to <body> when it was swapped or moved.
  function focusStillWith(form) {
    var active = document.activeElement;
    return !active || active === document.body || form.contains(active);
  }

  // Optimistic: the clicked state shows at once, the buttons wait for the server.
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches(CONTROL)) return;
    var wanted = e.detail.requestConfig.formData.get("status");
    form._kvBefore = current(form);
    var focused = form.contains(document.activeElement);
    if (focused) pendingFocus[form.id] = wanted; else delete pendingFocus[form.id];
    show(form, wanted);
    setBusy(form, true);
    if (focused) form.focus();
  });

  // Any failure (4xx, 5xx, network): never swap, put back the state from before the click.
  document.addEventListener("htmx:beforeSwap", function (e) {
    var form = e.detail.elt;
    if (form.matches && form.matches(CONTROL) && e.detail.xhr.status >= 400) {
      e.detail.shouldSwap = false;
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches(CONTROL) || !document.body.contains(form)) return;
    if (e.detail.successful) return;
    var status = e.detail.xhr ? e.detail.xhr.status : 0;
    show(form, form._kvBefore);
    setBusy(form, false);
    var back = form.querySelector("button[aria-pressed=true]");
    if (form.id in pendingFocus && back && focusStillWith(form)) back.focus();
    delete pendingFocus[form.id];
    var label = form.querySelector("[role=toolbar]");
    announce("Status not changed for " + (label ? label.getAttribute("aria-label").replace("Status of ", "") : "the task") +
             ": " + (FAILURES[status] || "the server answered with an error (" + status + ")") + ".");
  });

  // The server's control replaced ours: on the board, move the card to its new column,
  // and keep keyboard focus on the button that was pressed.
  document.addEventListener("htmx:load", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches(CONTROL)) return;
    var status = current(form);
    var card = form.closest("[data-card]");
    var column = card && document.querySelector("#column-" + status + " [data-cards]");
    if (card && column && card.parentNode !== column) column.insertBefore(card, column.firstChild);
    if (form.id in pendingFocus) {
      var pressed = form.querySelector("button[value='" + pendingFocus[form.id] + "']");
      if (pressed && focusStillWith(form)) pressed.focus();
      delete pendingFocus[form.id];
    }
    announce("Status of " + (form.querySelector("[role=toolbar]").getAttribute("aria-label").replace("Status of ", "")) +
             " is now " + form.querySelector("[data-badge]").textContent + ".");
  });

  // After a boosted page swap with an error summary, move focus to it so it is read out.
  document.addEventListener("htmx:afterSettle", function (e) {
    var summary = document.getElementById("error-summary");
    if (summary && e.detail.target && e.detail.target.contains(summary)) summary.focus();
  });

  // Toolbars (a card's status and move buttons): one tab stop each, arrow keys inside.
  // Without JavaScript every button is its own tab stop, which works too.
  function rove(bar) {
    var items = Array.prototype.slice.call(bar.querySelectorAll("button"));
    var current = bar.querySelector("button[aria-pressed=true]") || items[0];
    items.forEach(function (b) { b.tabIndex = b === current ? 0 : -1; });
  }
  function roveAll(root) {
    (root.matches && root.matches("[role=toolbar]") ? [root] : []).concat(
      Array.prototype.slice.call(root.querySelectorAll ? root.querySelectorAll("[role=toolbar]") : [])
    ).forEach(rove);
  }
  document.addEventListener("keydown", function (e) {
    var bar = e.target.closest && e.target.closest("[role=toolbar]");
    if (!bar || e.target.tagName !== "BUTTON") return;
    var items = Array.prototype.slice.call(bar.querySelectorAll("button"));
    var i = items.indexOf(e.target), next = null;
    if (e.key === "ArrowRight" || e.key === "ArrowDown") next = items[(i + 1) % items.length];
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") next = items[(i - 1 + items.length) % items.length];
    else if (e.key === "Home") next = items[0];
    else if (e.key === "End") next = items[items.length - 1];
    if (!next) return;
    e.preventDefault();
    items.forEach(function (b) { b.tabIndex = b === next ? 0 : -1; });
    next.focus();
  });
  document.addEventListener("DOMContentLoaded", function () { roveAll(document); });
  document.addEventListener("htmx:load", function (e) { roveAll(e.detail.elt); });

  // Moving a card: its column's cards come back; the focus stays on the button pressed.
  var moving = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form.matches || !form.matches("[data-move]")) return;
    var card = form.closest("[data-card]");
    moving = {id: card && card.id, to: e.detail.requestConfig.formData.get("to")};
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!moving) return;
    var button = document.querySelector("#" + moving.id + " [data-move] button[value=" + moving.to + "]");
    moving = null;
    if (button) { roveAll(button.closest("[role=toolbar]")); button.focus(); announce("Moved."); }
  });

  // Drag and drop on the board (SortableJS, when the page loaded it): a drop posts the same
  // forms as the buttons: the status control's (into another column), then the move form's
  // (`before` the next card, or to the bottom). The buttons stay the way by keyboard.
  function dropped(evt) {
    var card = evt.item, list = evt.to;
    var status = list.getAttribute("data-status");
    var next = card.nextElementSibling;
    while (next && !next.matches("[data-card]")) next = next.nextElementSibling;
    var move = card.querySelector("[data-move]");
    var control = card.querySelector("[data-status-control]");
    if (!move || !control) return;
    var changed = evt.from !== evt.to;
    if (!changed && evt.oldIndex === evt.newIndex) return;
    var values = next ? {before: next.getAttribute("data-task"), view: "board"} : {to: "bottom", view: "board"};
    var first = changed
      ? htmx.ajax("POST", control.getAttribute("action"), {source: control, values: {status: status}, target: control, swap: "outerHTML"})
      : Promise.resolve();
    first.then(function () {
      return htmx.ajax("POST", move.getAttribute("action"), {source: move, values: values, target: list, swap: "innerHTML"});
    });
  }
  function sortable(root) {
    if (!window.Sortable || !root.querySelectorAll) return;
    var lists = root.matches && root.matches("[data-cards]") ? [root] : root.querySelectorAll("[data-cards]");
    Array.prototype.forEach.call(lists, function (list) {
      if (list._kvSortable || !list.querySelector("[data-move]")) return;
      list._kvSortable = window.Sortable.create(list, {
        group: "board", draggable: "[data-card]", filter: "button, input, a", preventOnFilter: false,
        forceFallback: true, fallbackTolerance: 4, onEnd: dropped
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { sortable(document); });
  document.addEventListener("htmx:load", function (e) { sortable(e.detail.elt); });

  // The message after a change takes the focus, unless a form was reopened for the next entry.
  function focusFlash() {
    var flash = document.getElementById("flash");
    if (flash && flash.textContent.trim() && !document.querySelector("[autofocus]")) flash.focus();
    if (navigator.clipboard) document.querySelectorAll("[data-copy]").forEach(function (b) { b.hidden = false; });
  }
  document.addEventListener("DOMContentLoaded", focusFlash);
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.detail.target === document.body) focusFlash();
  });
  document.addEventListener("click", function (e) {
    var id = e.target.getAttribute && e.target.getAttribute("data-copy");
    if (!id) return;
    var field = document.getElementById(id);
    var said = e.target.getAttribute("data-copied") || "Invitation link copied.";
    navigator.clipboard.writeText(field.value).then(function () { announce(said); });
  });

  // Times in the reader's own zone; without JavaScript they stay in UTC, which they say.
  var stamp = window.Intl && new Intl.DateTimeFormat(undefined, {dateStyle: "medium", timeStyle: "short"});
  function localTimes(root) {
    if (!stamp || !root.querySelectorAll) return;
    root.querySelectorAll("time[data-local]").forEach(function (t) {
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) return;
      t.title = t.textContent;
      t.textContent = stamp.format(d);
      t.removeAttribute("data-local");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { localTimes(document); });
  document.addEventListener("htmx:load", function (e) { localTimes(e.detail.elt); });

  // A destructive action's link leads to a page that asks first (it works without
  // JavaScript); with it, the page's question opens in a <dialog> over this page instead.
  var opener = null;
  function dialog() {
    var d = document.getElementById("confirm-dialog");
    if (d) return d;
    d = document.createElement("dialog");
    d.id = "confirm-dialog";
    d.className = "dialog";
    d.addEventListener("close", function () {
      d.replaceChildren();
      if (opener) opener.focus();
    });
    document.body.appendChild(d);
    return d;
  }
  document.addEventListener("click", function (e) {
    var close = e.target.closest && e.target.closest("#confirm-dialog [data-dialog-close]");
    if (close) { e.preventDefault(); e.stopPropagation(); dialog().close(); return; }
    var link = e.target.closest && e.target.closest("a[data-dialog]");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;
    e.preventDefault();
    e.stopPropagation();  // before hx-boost takes the click
    fetch(link.href, {credentials: "same-origin"}).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.text();
    }).then(function (html) {
      var question = new DOMParser().parseFromString(html, "text/html").querySelector("section.confirm");
      if (!question) throw new Error("no question");
      var d = dialog();
      opener = link;
      d.replaceChildren(document.importNode(question, true));
      var title = d.querySelector("h1, h2");
      if (title && title.id) d.setAttribute("aria-labelledby", title.id);
      if (window.htmx) htmx.process(d);
      d.showModal();
      var keep = d.querySelector("[data-dialog-close]");
      if (keep) keep.focus();
    }).catch(function () { window.location.href = link.href; });
  }, true);

  // Markdown fields (templates/_forms.html markdown_field). Typing `@` offers the people who
  // may see the project: a listbox the textarea drives (aria-controls, aria-activedescendant;
  // a textarea may not take aria-expanded), Up/Down to move, Enter or Tab to insert, Escape
  // to close. Without JavaScript the handle is typed.
  var AT = /(^|[^\w@.])@([\w.-]{0,30})$/;
  function mentions(t) { return t && t.getAttribute && t.getAttribute("data-mention") && document.getElementById(t.id + "-people"); }
  function options(l) { return l.querySelectorAll("[role=option]"); }
  function closeList(t) {
    var l = mentions(t);
    if (!l) return;
    t._kvSeq = (t._kvSeq || 0) + 1;  // a lookup still on its way must not open it again
    l.removeAttribute("aria-busy");
    l.hidden = true;
    l.textContent = "";
    t.removeAttribute("aria-activedescendant");
  }
  function pick(t, i) {
    var o = options(mentions(t)), n = o.length;
    t._kvAt = i = (i + n) % n;
    o.forEach(function (x, j) { x.setAttribute("aria-selected", j === i ? "true" : "false"); });
    t.setAttribute("aria-activedescendant", o[i].id);
    o[i].scrollIntoView({block: "nearest"});
  }
  function insert(t, o) {
    var end = t.selectionStart, head = t.value.slice(0, end).replace(/@[\w.-]*$/, "@" + o.getAttribute("data-handle") + " ");
    t.value = head + t.value.slice(end);
    t.selectionStart = t.selectionEnd = head.length;
    closeList(t);
    t.focus();
  }
  document.addEventListener("input", function (e) {
    var t = e.target, l = mentions(t);
    if (!l) return;
    var m = AT.exec(t.value.slice(0, t.selectionStart)), n = t._kvSeq = (t._kvSeq || 0) + 1;
    if (!m) return closeList(t);
    l.setAttribute("aria-busy", "true");  // until the answer to this keystroke is in
    fetch(t.getAttribute("data-mention") + "?q=" + encodeURIComponent(m[2]), {headers: {"HX-Request": "true"}})
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        if (n !== t._kvSeq) return;  // a later keystroke asked again
        l.removeAttribute("aria-busy");
        l.innerHTML = html;
        var o = options(l);
        if (!o.length) return closeList(t);
        o.forEach(function (x, j) { x.id = l.id + "-" + j; });
        l.hidden = false;
        pick(t, 0);
      })
      .catch(function () { if (n === t._kvSeq) closeList(t); });
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target, l = mentions(t), k = e.key;
    if (!l || l.hidden) return;
    if (k === "ArrowDown" || k === "ArrowUp") pick(t, t._kvAt + (k === "ArrowUp" ? -1 : 1));
    else if (k === "Enter" || k === "Tab") insert(t, options(l)[t._kvAt]);
    else if (k === "Escape") closeList(t);
    else return /^(Arrow[LR]|Home|End|Page)/.test(k) && closeList(t);  // the caret left the @word
    e.preventDefault();
  });
  document.addEventListener("mousedown", function (e) {  // before the textarea loses the focus
    var o = e.target.closest && e.target.closest("[role=listbox] [data-handle]");
    if (!o) return;
    e.preventDefault();
    insert(document.querySelector("[aria-controls='" + o.parentNode.id + "']"), o);
  });
  document.addEventListener("focusout", function (e) { closeList(e.target); });

  // Preview: the text rendered by the server as saving would, in place of the textarea, and
  // back (the button says which). Without JavaScript the button posts the form to a page.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("[data-preview]");
    if (!b) return;
    e.preventDefault();
    var t = document.getElementById(b.getAttribute("data-preview")), out = document.getElementById(t.id + "-preview");
    if (t.hidden) {
      out.textContent = "";
      t.hidden = false;
      b.firstChild.textContent = "Preview";
      t.focus();
      return;
    }
    var body = new FormData();
    body.append("text", t.value);
    body.append("csrf_token", b.form.elements.csrf_token.value);
    fetch(b.formAction, {method: "POST", body: body, headers: {"HX-Request": "true"}}).then(function (r) {
      return r.text().then(function (html) {
        out.innerHTML = html;
        if (!r.ok) return;
        t.hidden = true;
        b.firstChild.textContent = "Edit";
        announce("Preview shown. Edit goes back to the text.");
      });
    }).catch(function () { announce("The preview could not be shown."); });
  });
})();
