/* Kiosk's own script: no inline scripts anywhere (the CSP forbids them). */
"use strict";

// Any element marked data-print prints the page (the receipt's Print button).
document.addEventListener("click", function (event) {
  var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (target) {
    event.preventDefault();
    window.print();
  }
});

// htmx does not swap error answers. The one exception: the kiosk's "database unavailable" notice
// (503, retargeted at #kiosk-outage by kiosk/routes/outage.py), which must reach the cashier.
// A boosted form the kiosk refused (400) is answered with its page, the message by the field that
// caused it: that page is shown like any other (nothing was saved).
document.addEventListener("htmx:beforeSwap", function (event) {
  var xhr = event.detail.xhr;
  var outage = xhr.status === 503 && xhr.getResponseHeader("HX-Retarget") === "#kiosk-outage";
  var refused = xhr.status === 400 && event.detail.boosted;
  if (outage || refused) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// ---- Feedback on every press --------------------------------------------------------------------
// A control that waits for the server says so at once: its data-busy label ("Sending to Till 1…"),
// or a spinner beside its own words, and it is disabled until the answer comes, so a press is never
// silent and never doubled. htmx presses are followed by htmx's events; plain form posts by submit.
var idleContent = new WeakMap();

function setBusy(control) {
  if (!(control instanceof HTMLElement) || control.classList.contains("is-busy")) {
    return;
  }
  idleContent.set(control, {html: control.innerHTML, disabled: control.hasAttribute("disabled")});
  control.classList.add("is-busy");
  control.setAttribute("aria-busy", "true");
  if (control.dataset.busy) {
    control.textContent = control.dataset.busy;
  }
  if (control instanceof HTMLButtonElement) {
    control.disabled = true;
  } else {
    control.setAttribute("aria-disabled", "true");
  }
}

function setIdle(control) {
  var idle = control instanceof HTMLElement ? idleContent.get(control) : null;
  if (!idle) {
    return;
  }
  idleContent.delete(control);
  control.classList.remove("is-busy");
  control.removeAttribute("aria-busy");
  control.removeAttribute("aria-disabled");
  if (control.dataset.busy) {
    control.innerHTML = idle.html;
  }
  if (control instanceof HTMLButtonElement) {
    control.disabled = idle.disabled;
  }
}

// The control a person pressed for an htmx request: the element itself (a button or a link), or a
// form's submit button. Polls come from sections and pickers, which are never marked busy.
function pressedControl(detail) {
  var elt = detail.elt;
  if (elt instanceof HTMLButtonElement || elt instanceof HTMLAnchorElement) {
    return elt;
  }
  var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
  return trigger && trigger.submitter ? trigger.submitter : null;
}

document.addEventListener("htmx:beforeRequest", function (event) {
  var control = pressedControl(event.detail);
  if (control) {
    setBusy(control);
  } else if (event.detail.elt.querySelector(".is-busy")) {
    event.preventDefault();  // a poll would redraw a press still on its way: the next one will do
  }
});

document.addEventListener("htmx:afterRequest", function (event) {
  var control = pressedControl(event.detail);
  if (control && control.isConnected) {
    setIdle(control);  // still on the page (nothing swapped it away): usable again
  }
  if (!control) {
    return;
  }
  // No answer at all (status 0), or one htmx counts as an error (4xx, 5xx: not swapped in).
  var xhr = event.detail.xhr;
  if (!xhr || !xhr.status || event.detail.successful === false) {
    pressFailed(control, xhr);
  } else {
    var stale = failedNotice(control);
    if (stale) {
      stale.remove();
    }
  }
});

// The notice of a failed press, right after the control (or its row of actions), if there is one.
function failedNotice(control) {
  var notice = (control.closest(".actions") || control).nextElementSibling;
  return notice && notice.classList.contains("press-failed") ? notice : null;
}

// A press the kiosk did not answer (or answered with an error) is said beside the control.
function pressFailed(control, xhr) {
  var notice = failedNotice(control);
  if (!notice) {
    notice = document.createElement("p");
    notice.className = "notice bad press-failed";
    notice.setAttribute("role", "alert");
    notice.dataset.testid = "press-failed";
    (control.closest(".actions") || control).insertAdjacentElement("afterend", notice);
  }
  notice.textContent = xhr && xhr.status
    ? "The kiosk could not do that (error " + xhr.status + "). Reload the page and try again."
    : "The kiosk could not be reached: nothing was done. Check the connection and press again.";
}

// Plain form posts (and gets): the form is sent once; its button shows it is on its way.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement)) {
    return;  // htmx (or another handler) sends this one itself
  }
  if (form.dataset.sending) {
    event.preventDefault();  // a second press while the first is on its way
    return;
  }
  form.dataset.sending = "true";
  var button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  // After the browser has read the form: a disabled submit button would not be sent with it.
  window.setTimeout(function () { setBusy(button); }, 0);
});

// Back to a page kept in the browser's memory: its buttons are usable again.
window.addEventListener("pageshow", function (event) {
  if (!event.persisted) {
    return;
  }
  document.querySelectorAll("form[data-sending]").forEach(function (form) { delete form.dataset.sending; });
  document.querySelectorAll(".is-busy").forEach(setIdle);
});

// A link marked data-focus="id" (the phone's Cash button) also puts the cursor in that field.
document.addEventListener("click", function (event) {
  var link = event.target instanceof Element ? event.target.closest("a[data-focus]") : null;
  var field = link ? document.getElementById(link.dataset.focus) : null;
  if (field) {
    window.setTimeout(function () { field.focus({preventScroll: true}); }, 0);
  }
});

// ---- A lost connection is said ------------------------------------------------------------------
// The payment panel polls every second. When a poll gets no answer (network down, kiosk
// restarting) its hidden "No connection" notice shows, saying the payment goes on at the reader;
// the next answer hides it again (or redraws the panel without it). A poll left hanging counts
// as lost after a few seconds.
var POLL_TIMEOUT_MS = 4000;

function progressPanel(elt) {
  return elt instanceof Element && elt.matches(".payment-progress") ? elt : null;
}

function showConnectionLost(panel, lost) {
  var notice = panel.querySelector("[data-connection-lost]");
  if (notice) {
    notice.hidden = !lost;
  }
}

document.addEventListener("htmx:configRequest", function (event) {
  if (progressPanel(event.detail.elt) && !event.detail.timeout) {
    event.detail.timeout = POLL_TIMEOUT_MS;
  }
});

["htmx:sendError", "htmx:timeout", "htmx:responseError"].forEach(function (name) {
  document.addEventListener(name, function (event) {
    var panel = progressPanel(event.detail.elt);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (panel && (name !== "htmx:responseError" || status >= 500)) {
      showConnectionLost(panel, true);
    }
  });
});

document.addEventListener("htmx:afterRequest", function (event) {
  var panel = progressPanel(event.detail.elt);
  if (panel && panel.isConnected && event.detail.successful) {
    showConnectionLost(panel, false);
  }
});
