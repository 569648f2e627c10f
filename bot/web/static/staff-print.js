// The print view's "打印" button (a script file: the console's CSP allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
});
