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
document.addEventListener("htmx:beforeSwap", function (event) {
  var xhr = event.detail.xhr;
  if (xhr.status === 503 && xhr.getResponseHeader("HX-Retarget") === "#kiosk-outage") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
