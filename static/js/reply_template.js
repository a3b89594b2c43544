// Reply templates (定型文): choosing one inserts its body into the reply box at the cursor.
// Without JavaScript the page offers ?template=<id> links that pre-fill the box instead.
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-insert-into]");
  if (!select) {
    return;
  }
  var option = select.options[select.selectedIndex];
  var text = option && option.getAttribute("data-body");
  var box = document.getElementById(select.getAttribute("data-insert-into"));
  if (!text || !box) {
    return;
  }
  var start = box.selectionStart || 0;
  var end = box.selectionEnd || 0;
  if (box.value === "") {
    box.value = text;
  } else {
    box.value = box.value.slice(0, start) + text + box.value.slice(end);
  }
  box.focus();
  select.selectedIndex = 0;
});
