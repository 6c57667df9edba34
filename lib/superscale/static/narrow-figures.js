/* Phone width: every plotly figure keeps a usable plot area.
 *
 * On a narrow screen (window narrower than 600 px) each plotly figure of the page is relaid out:
 * its legend lies flat above the plot area (below the title) instead of taking a column at the
 * right, the side margins and the fonts of titles shrink, sliders span the full width with smaller labels,
 * panels side by side are stacked one under the other (each the full width), colour bars lie flat (above the plot, or below it when the legend is above). Back on a wide screen
 * the figure's own layout returns. Desktop figures are never changed. Served by the book itself
 * (_config.yml: html_static_path, html_js_files); tools/check_html.py checks the result at 400 px.
 */
(function () {
  "use strict";
  var NARROW = 600;
  var saved = new WeakMap(); // figure div -> its own layout values before the narrow relayout

  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }

  function narrowUpdate(gd) {
    var lay = gd.layout || {};
    var full = gd._fullLayout || {};
    var up = { "margin.l": 48, "margin.r": 12 };
    // subplot titles and other notes: a smaller font, so that neighbouring panels' titles do not collide
    (lay.annotations || []).forEach(function (a, k) {
      up["annotations[" + k + "].font.size"] = 10;
    });
    // the explorer (chapter 4) keeps its legend inside the plot and its three-line title where they are
    var explorer = !!(lay.meta && lay.meta.explorer);
    if (!explorer) up["title.font.size"] = 13;
    if (full.showlegend && !explorer) {
      up["legend.orientation"] = "h";
      up["legend.x"] = 0;
      up["legend.xanchor"] = "left";
      up["legend.y"] = 1.02;
      up["legend.yanchor"] = "bottom";
      up["legend.font.size"] = 10;
      up["legend.bgcolor"] = "rgba(255,255,255,0)";
      // the title goes to the very top, above the flat legend
      up["title.automargin"] = true;
      up["title.yref"] = "container";
      up["title.y"] = 0.99;
      up["title.yanchor"] = "top";
    }
    // every axis: smaller tick labels and titles, so the margins they push take less of the width;
    // a second y axis at the right: its title goes (the legend names its curves), its tick labels shrink and move inside
    Object.keys(full).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key) && full[key]) {
        up[key + ".tickfont.size"] = 10;
        up[key + ".title.font.size"] = 11;
      }
      if (/^yaxis\d*$/.test(key) && full[key] && full[key].side === "right") {
        up[key + ".title.text"] = "";
        up[key + ".tickfont.size"] = 9;
        up[key + ".ticklabelposition"] = "inside"; // its tick labels inside the plot, not in a right margin
      }
    });
    (lay.sliders || []).forEach(function (s, k) {
      up["sliders[" + k + "].x"] = 0;
      up["sliders[" + k + "].len"] = 1;
      up["sliders[" + k + "].pad.l"] = 0;
      up["sliders[" + k + "].pad.r"] = 0;
      up["sliders[" + k + "].font.size"] = 9;
      up["sliders[" + k + "].currentvalue.font.size"] = 12;
    });
    return up;
  }

  // Panels side by side (one row of two or three subplots) are stacked, one under the other, each the
  // full width; the figure grows taller and each subplot title moves above its panel. Returns false
  // (and changes nothing) for any other arrangement.
  function stackUpdate(gd, up) {
    var full = gd._fullLayout || {};
    var lay = gd.layout || {};
    var xs = Object.keys(full).filter(function (k) {
      return /^xaxis\d*$/.test(k) && full[k] && full[k].domain && !full[k].overlaying;
    });
    if (xs.length < 2 || xs.length > 3) return false;
    var panels = xs.map(function (xk) {
      var yk = "yaxis" + String(full[xk].anchor || "y").slice(1);
      return { xk: xk, yk: yk, x: full[xk].domain.slice(), y: (full[yk] || {}).domain };
    });
    if (panels.some(function (p) { return !p.y; })) return false;
    panels.sort(function (a, b) { return a.x[0] - b.x[0]; });
    for (var i = 0; i < panels.length; i++) {
      if (Math.abs(panels[i].y[0] - panels[0].y[0]) > 0.01 || Math.abs(panels[i].y[1] - panels[0].y[1]) > 0.01) return false;
      if (i > 0 && panels[i].x[0] < panels[i - 1].x[1] - 0.001) return false; // overlapping: not one row
    }
    var n = panels.length;
    var gap = 0.14; // between panels, room for the x axis title of one and the subplot title of the next
    var h = (1 - gap * (n - 1)) / n;
    panels.forEach(function (p, i) {
      var top = 1 - i * (h + gap);
      up[p.xk + ".domain"] = [0, 1];
      up[p.yk + ".domain"] = [top - h, top];
      (lay.annotations || []).forEach(function (a, k) {
        var centre = 0.5 * (p.x[0] + p.x[1]);
        var paper = (a.xref || "paper") === "paper" && (a.yref || "paper") === "paper";
        if (paper && Math.abs((a.x || 0) - centre) < 0.02 && (a.y || 0) >= p.y[1] - 0.02) {
          up["annotations[" + k + "].x"] = 0.5;
          up["annotations[" + k + "].y"] = top;
        }
      });
    });
    up.height = Math.round((full.height || 450) * (n === 2 ? 1.6 : 2.2));
    return true;
  }

  // Colour bars (heatmaps, coloured markers) lie flat: above the plot when there is no legend there,
  // below it otherwise. A vertical bar at the right would take a quarter of the width.
  function colorbarUpdates(gd) {
    var full = gd._fullLayout || {};
    var out = [];
    var SCALED = ["heatmap", "contour", "histogram2d", "histogram2dcontour"];
    var fullData = gd._fullData || [];
    (gd.data || []).forEach(function (tr, k) {
      // every step of a built-in slider: traces hidden now may be shown later
      var fd = fullData[k] || {};
      var markerScale = tr.marker && (tr.marker.showscale === true || (fd.marker && fd.marker.showscale === true));
      var prefix = SCALED.indexOf(tr.type) >= 0 && tr.showscale !== false ? "colorbar"
        : (markerScale ? "marker.colorbar" : null);
      if (!prefix) return;
      var up = {};
      up[prefix + ".thickness"] = 10;
      up[prefix + ".orientation"] = "h";
      up[prefix + ".x"] = 0.5;
      up[prefix + ".xanchor"] = "center";
      up[prefix + ".len"] = 0.9;
      up[prefix + ".title.side"] = "top";
      if (!full.showlegend) {
        up[prefix + ".y"] = 1.02;
        up[prefix + ".yanchor"] = "bottom";
      } else {
        // the legend lies above the plot: the bar goes below the x axis instead of taking a column at the right
        up[prefix + ".y"] = -0.3;
        up[prefix + ".yanchor"] = "top";
      }
      out.push({ index: k, up: up });
    });
    return out;
  }

  function savedValues(obj, up) {
    var before = {};
    Object.keys(up).forEach(function (k) {
      var v = get(obj, k.replace(/\[(\d+)\]/g, ".$1"));
      before[k] = v === undefined ? null : v;
    });
    return before;
  }

  // One restyle call per attribute set (not one redraw per trace): values given per trace.
  function restyleAll(gd, bars) {
    var groups = {};
    bars.forEach(function (b) {
      var key = Object.keys(b.up).join("|");
      (groups[key] = groups[key] || []).push(b);
    });
    Object.keys(groups).forEach(function (key) {
      var list = groups[key];
      var up = {};
      key.split("|").forEach(function (attr) {
        up[attr] = list.map(function (b) { return b.up[attr]; });
      });
      window.Plotly.restyle(gd, up, list.map(function (b) { return b.index; }));
    });
  }

  function adapt(gd) {
    if (!window.Plotly || !gd._fullLayout) return;
    var narrow = window.innerWidth < NARROW;
    if (narrow && !saved.has(gd)) {
      var up = narrowUpdate(gd);
      var stacked = stackUpdate(gd, up);
      var bars = colorbarUpdates(gd);
      var flat = bars.length > 0;
      saved.set(gd, {
        layout: savedValues(gd.layout, up),
        styleHeight: gd.style.height,
        parentHeight: gd.parentElement ? gd.parentElement.style.height : "",
        flat: flat,
        bars: bars.map(function (b) { return { index: b.index, up: savedValues(gd.data[b.index], b.up) }; }),
      });
      restyleAll(gd, bars);
      // the div's own CSS height (set by the page) would clip the taller stacked figure
      // (plotly's own wrapper div carries the old height too)
      if (stacked) {
        gd.style.height = up.height + "px";
        if (gd.parentElement && gd.parentElement.style.height) gd.parentElement.style.height = "auto";
      }
      window.Plotly.relayout(gd, up);
      // a colour bar turned flat needs a fresh plot (its axis is not recomputed by restyle)
      if (flat) window.Plotly.newPlot(gd, gd.data, gd.layout, gd._context);
    } else if (!narrow && saved.has(gd)) {
      var back = saved.get(gd);
      saved.delete(gd);
      restyleAll(gd, back.bars);
      gd.style.height = back.styleHeight;
      if (gd.parentElement) gd.parentElement.style.height = back.parentHeight;
      window.Plotly.relayout(gd, back.layout);
      // a fresh plot: a colour bar moved back to the right keeps stale margins otherwise
      if (back.flat) window.Plotly.newPlot(gd, gd.data, gd.layout, gd._context);
    }
  }

  function adaptAll() {
    document.querySelectorAll("div.plotly-graph-div").forEach(adapt);
  }

  var timer = null;
  function later() {
    clearTimeout(timer);
    timer = setTimeout(adaptAll, 150);
  }

  if (document.readyState === "complete") later();
  else window.addEventListener("load", later);
  window.addEventListener("resize", later);
})();
