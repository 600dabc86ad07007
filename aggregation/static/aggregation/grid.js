// Clicking the grid fills in the correction and mapping forms below it (no inline script:
// the site's content security policy allows only files served from /static/).
document.addEventListener("DOMContentLoaded", () => {
  const grid = document.getElementById("grid");
  if (!grid) return;
  const set = (id, value) => {
    const field = document.getElementById(id);
    if (field) field.value = value;
  };
  grid.addEventListener("click", (event) => {
    const head = event.target.closest("th.row-head, th.col-head, td.cell");
    if (!head) return;
    if (head.dataset.row) {
      set("correct-row", head.dataset.row);
      set("correct-column", "");
    } else if (head.dataset.column) {
      set("correct-column", head.dataset.column);
      set("correct-row", "");
    } else if (head.dataset.value) {
      set("map-label", head.dataset.value);
      const label = document.getElementById("map-label");
      if (label) label.scrollIntoView({ block: "center" });
    }
  });
});
