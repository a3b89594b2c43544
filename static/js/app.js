// supportdesk: small progressive enhancements; every page works without this file.
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// The header menu is a <details>: CSS shows it open on wide screens where the browser knows
// ::details-content; elsewhere open it here on a wide screen (it stays a click away without).
(function () {
  var menu = document.querySelector("details.menu");
  if (!menu || (window.CSS && CSS.supports && CSS.supports("selector(::details-content)"))) {
    return;
  }
  var wide = window.matchMedia("(min-width: 641px)");
  function sync() { if (wide.matches) { menu.open = true; } }
  sync();
  wide.addEventListener("change", sync);
})();

// The municipality sheet's print button (no inline script under the CSP).
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
