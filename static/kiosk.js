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
