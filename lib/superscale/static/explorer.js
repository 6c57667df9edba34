/* Two independent sliders on one plotly figure: the book's headline explorer (chapter 4).
 *
 * Plotly's built-in sliders act alone; the explorer's two sliders (alpha and gamma) have steps that do
 * nothing by themselves (method "skip"). This script, served by the book next to plotly.min.js, finds
 * every figure whose layout.meta holds an "explorer" entry (written by
 * superscale.chapters.ch4_explorer.explorer_meta) and, whenever either slider moves, shows the traces
 * and the title of the (alpha, gamma) pair the two sliders select:
 *   pair k = i * gammas.length + j, traces first + k * per_pair ... first + (k + 1) * per_pair - 1.
 * Figures without that entry are left alone. Safe to load twice (each figure is wired once).
 */
(function () {
  "use strict";

  function explorerOf(gd) {
    var meta = gd && gd.layout && gd.layout.meta;
    return meta && meta.explorer && Array.isArray(meta.explorer.titles) ? meta.explorer : null;
  }

  function activeOf(gd, index) {
    var full = gd._fullLayout && gd._fullLayout.sliders && gd._fullLayout.sliders[index];
    if (full && typeof full.active === "number") return full.active;
    return (gd.layout.sliders && gd.layout.sliders[index] && gd.layout.sliders[index].active) || 0;
  }

  function showPair(gd) {
    var ex = explorerOf(gd);
    if (!ex || !window.Plotly) return;
    var nGamma = ex.gammas.length;
    var nPairs = ex.alphas.length * nGamma;
    var i = activeOf(gd, ex.alpha_slider);
    var j = activeOf(gd, ex.gamma_slider);
    var k = i * nGamma + j;
    if (k < 0 || k >= nPairs || gd._explorerPair === k) return;
    var vis = [];
    for (var t = 0; t < gd.data.length; t++) {
      var p = t - ex.first;
      if (p < 0 || p >= nPairs * ex.per_pair) vis.push(gd.data[t].visible === undefined ? true : gd.data[t].visible);
      else vis.push(Math.floor(p / ex.per_pair) === k);
    }
    gd._explorerPair = k;
    window.Plotly.update(gd, { visible: vis }, { "title.text": ex.titles[k] });
  }

  function wire(gd) {
    if (gd._explorerWired || !explorerOf(gd) || typeof gd.on !== "function") return;
    gd._explorerWired = true;
    // The pair drawn when the figure was written is the one its sliders show.
    var ex = explorerOf(gd);
    gd._explorerPair = activeOf(gd, ex.alpha_slider) * ex.gammas.length + activeOf(gd, ex.gamma_slider);
    gd.on("plotly_sliderchange", function () {
      showPair(gd);
    });
    showPair(gd);
  }

  function scan() {
    var divs = document.querySelectorAll("div.plotly-graph-div, div.js-plotly-plot");
    for (var n = 0; n < divs.length; n++) wire(divs[n]);
  }

  window.superscaleExplorer = { scan: scan, wire: wire, showPair: showPair };
  scan();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  window.addEventListener("load", scan);
  // Figures drawn later (a notebook output, a responsive redraw): look again a few times.
  [300, 1000, 3000].forEach(function (ms) {
    setTimeout(scan, ms);
  });
})();
