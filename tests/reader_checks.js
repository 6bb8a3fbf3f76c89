// What a reader would call broken on a page of the site, each problem named
// with its element. Run by tests/test_browser.py::test_what_the_reader_sees.
() => {
  const name = (e) =>
    e.tagName.toLowerCase() +
    (e.id ? "#" + e.id : "") +
    (e.className && typeof e.className === "string"
      ? "." + e.className.trim().split(/\s+/).slice(0, 2).join(".")
      : "");
  const where = (e) => {
    const section = e.closest("section[id]");
    return name(e) + (section ? " in section #" + section.id : "");
  };
  const problems = [];
  // a Markdown table printed by code and rendered as a paragraph
  for (const p of document.querySelectorAll("main p")) {
    if (/\|\s*:?-{3}|\u2014\|\u2014/.test(p.textContent)) {
      problems.push(
        "a Markdown table row as text: " + where(p) + ": " +
          p.textContent.slice(0, 60),
      );
    }
  }
  for (const t of document.querySelectorAll("main table")) {
    if (!t.querySelector("thead")) {
      problems.push("a table without a header row: " + where(t));
    }
  }
  // an output box that holds nothing but a number (a bare glued value)
  const bare = /^['"]?[-+]?[0-9][0-9.,eE%+-]*['"]?$/;
  for (const o of document.querySelectorAll("main .cell_output .output")) {
    // the text of the output itself, not the copy button's tooltip
    const text = (o.querySelector("pre") || o).textContent.trim();
    if (!o.querySelector("img, table") && bare.test(text)) {
      problems.push(
        "an output holding only a number (" + text + "): " + where(o),
      );
    }
  }
  // plots drawn at twice the size they are shown at (sharp on any screen)
  if (window.innerWidth > 1000) {
    for (const img of document.querySelectorAll("main .cell_output img")) {
      const shown = img.getBoundingClientRect().width;
      if (shown && img.naturalWidth < 1.5 * shown) {
        problems.push(
          "a plot not sharp on a high-density screen (natural " +
            img.naturalWidth + " px shown at " + Math.round(shown) +
            " px): " + where(img),
        );
      }
    }
  }
  // plots keep their proportions at every width
  for (const img of document.querySelectorAll("main .cell_output img")) {
    const box = img.getBoundingClientRect();
    if (box.width && img.naturalWidth && img.naturalHeight) {
      const drawn = img.naturalWidth / img.naturalHeight;
      const shown = box.width / box.height;
      if (Math.abs(shown / drawn - 1) > 0.03) {
        problems.push(
          "a plot squashed (width/height " + shown.toFixed(2) +
            " shown, " + drawn.toFixed(2) + " drawn): " + where(img),
        );
      }
    }
  }
  // nothing wider than the screen, unless it scrolls inside its own box
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth > width) {
    const scrollable = ["auto", "scroll", "hidden"];
    const clipped = (e) => {
      for (let a = e.parentElement; a; a = a.parentElement) {
        if (
          scrollable.includes(getComputedStyle(a).overflowX) &&
          a.getBoundingClientRect().right <= width + 1
        ) {
          return true;
        }
      }
      return false;
    };
    const wide = [...document.querySelectorAll("body *")].filter(
      (e) =>
        e.getClientRects().length &&
        getComputedStyle(e).visibility !== "hidden" &&
        e.getBoundingClientRect().right > width + 1 &&
        !clipped(e),
    );
    const outer = wide.filter((e) => !wide.includes(e.parentElement));
    problems.push(
      "the page is " + (document.documentElement.scrollWidth - width) +
        " px wider than the screen, because of: " +
        outer.slice(0, 3).map(where).join("; "),
    );
  }
  return problems;
}
