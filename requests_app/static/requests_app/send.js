// The send page: choosing a force shows its letter at once. A file, because the
// Content-Security-Policy runs no inline script (an onchange attribute would be refused).
"use strict";
document.getElementById("preview-force-select")?.addEventListener("change", (event) => {
  event.target.form.submit();
});
