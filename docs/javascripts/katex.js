// Render the math that pymdownx.arithmatex (generic mode) leaves in the page,
// with the KaTeX copy vendored under assets/katex: no CDN, works offline.
// Material's instant navigation swaps page bodies, so render on every page.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
  });
});
