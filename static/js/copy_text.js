// 「LoGoチャット用にコピー」: copies the text of the box named by data-copy-target. Without
// JavaScript (or clipboard access) the text stays in a read-only box to select and copy by hand.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy-target]");
  if (!button) {
    return;
  }
  var box = document.getElementById(button.getAttribute("data-copy-target"));
  var status = document.getElementById(button.getAttribute("data-copy-status"));
  if (!box) {
    return;
  }
  function done(ok) {
    if (status) {
      status.textContent = ok ? button.getAttribute("data-done") : button.getAttribute("data-failed");
    }
  }
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(box.value).then(function () { done(true); },
      function () { box.select(); done(false); });
  } else {
    box.select();
    done(false);
  }
});
