/* Demo shop: the pixel inspector. Loaded in <head> BEFORE the pixel tag, it taps window.ttq as the
   page creates it and records every call pushed onto the live queues (ttq and each ttq._i[CODE])
   before events.js (or the offline stand-in) drains them, and every call made on them after that.
   It shows what the browser really called, not what the server meant to render. The panel is built with textContent only (product names are
   data, never markup), and is toggled by the "Pixel inspector" button (remembered in localStorage).
   In debug mode (TIKTOK_PIXEL_DEBUG) the server also renders the validator's findings for the calls
   it rendered, as <script type="application/json" data-tiktok-pixel-findings> blocks: the panel
   lists them under "Pixel Helper warnings". Without such a block that section is left out. */
(function (w, d) {
  "use strict";
  var calls = [];
  var pushes = 0; // calls pushed onto a tapped queue so far
  var METHODS = ("page track identify instances debug on off once ready alias group enableCookie " +
    "disableCookie holdConsent revokeConsent grantConsent").split(" ");
  var HEX64 = /^[0-9a-f]{64}$/;
  var UNHASHED = { city: 1, state: 1, country: 1 };
  var scheduled = false;

  var plain = function (v) {
    try {
      return JSON.parse(JSON.stringify(v));
    } catch (e) {
      return String(v);
    }
  };
  var record = function (queue, item) {
    if (!item || typeof item.length !== "number") return;
    calls.push({ queue: queue, call: plain(Array.prototype.slice.call(item)) });
    schedule();
  };
  // Every value later assigned to obj[name] is stored as change(value) (a value already there too).
  var interceptProperty = function (obj, name, change) {
    var value, had = obj[name];
    Object.defineProperty(obj, name, {
      configurable: true,
      enumerable: true,
      get: function () {
        return value;
      },
      set: function (v) {
        value = change(v);
      }
    });
    if (had !== undefined) obj[name] = had;
  };
  // Every function later assigned to q[name] is wrapped (a function already there too).
  var wrapProperty = function (q, name, wrap) {
    interceptProperty(q, name, function (v) {
      return typeof v === "function" ? wrap(v) : v;
    });
  };
  // A queue's calls: what is pushed onto it, and, once the SDK has drained it and rebound its
  // methods (consent.js's grant after events.js loaded, an htmx answer's replay), each method
  // call that pushes nothing.
  var tapQueue = function (arr, queue) {
    if (!Array.isArray(arr) || arr.__inspected) return arr;
    Object.defineProperty(arr, "__inspected", { value: true });
    for (var i = 0; i < arr.length; i++) record(queue, arr[i]);
    var push = arr.push;
    Object.defineProperty(arr, "push", {
      configurable: true,
      writable: true,
      value: function () {
        for (var j = 0; j < arguments.length; j++) record(queue, arguments[j]);
        pushes++;
        return push.apply(this, arguments);
      }
    });
    METHODS.forEach(function (m) {
      wrapProperty(arr, m, function (method) {
        return function () {
          var before = pushes;
          var result = method.apply(this, arguments);
          if (pushes === before) record(queue, [m].concat(Array.prototype.slice.call(arguments)));
          return result;
        };
      });
    });
    return arr;
  };
  // load() creates ttq._i[CODE] and instance(CODE) hands it out: tap both as they appear.
  var hook = function (q) {
    if (!Array.isArray(q) || q.__hooked) return;
    Object.defineProperty(q, "__hooked", { value: true });
    tapQueue(q, "ttq");
    var i, codes = Object.keys(q._i || {});
    for (i = 0; i < codes.length; i++) tapQueue(q._i[codes[i]], codes[i]);
    if (!q.load) {
      wrapProperty(q, "load", function (load) {
        return function (code) {
          var r = load.apply(this, arguments);
          if (q._i) tapQueue(q._i[code], code);
          return r;
        };
      });
    }
    if (!q.instance) {
      wrapProperty(q, "instance", function (instance) {
        return function (code) {
          return tapQueue(instance.apply(this, arguments), code);
        };
      });
    }
  };
  // window.ttq, whenever it is (re)assigned: the base code's stub, or the site's own pixel.
  var name = w.TiktokAnalyticsObject || "ttq";
  interceptProperty(w, name, function (v) {
    hook(v);
    return v;
  });

  // ---- the panel -------------------------------------------------------------------------------
  var el = function (tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
  var standin = function () {
    var q = w[name];
    return q && q._standin;
  };
  var statusOf = function (call) {
    var S = standin();
    if (!S || call[0] !== "track" && call[0] !== "page") return null;
    var id = call[0] === "track" && call[3] ? call[3].event_id : null;
    var event = call[0] === "page" ? "Pageview" : call[1];
    for (var i = 0; i < S.log.length; i++) {
      var e = S.log[i];
      if (e.event === event && (id ? e.event_id === id : !e.event_id)) return e.status;
    }
    return "queued";
  };
  var consentState = function () {
    var S = standin();
    if (S) return S.consent;
    var state = "granted";
    for (var i = 0; i < calls.length; i++) {
      var m = calls[i].call[0];
      if (m === "holdConsent") state = "held";
      if (m === "grantConsent") state = "granted";
      if (m === "revokeConsent") state = "revoked";
    }
    return state;
  };
  var dl = function (fields, hashed) {
    var list = el("dl");
    Object.keys(fields).forEach(function (k) {
      list.appendChild(el("dt", null, k));
      var v = fields[k];
      var text = typeof v === "string" ? v : JSON.stringify(v);
      if (hashed) text += HEX64.test(text) ? "  ✓ sha-256" : UNHASHED[k] ? "  (normalised, not hashed)" : "  ⚠ not a hash";
      list.appendChild(el("dd", null, text));
    });
    return list;
  };
  // ---- debug mode: the validator's findings, rendered by the server beside each pixel tag ----
  var findings = null; // null: no findings block on the page (debug mode off)
  var SEVERITIES = { error: 1, warning: 1 };
  var readFindings = function () {
    var blocks = d.querySelectorAll('script[type="application/json"][data-tiktok-pixel-findings]');
    if (!blocks.length) return null;
    var all = [];
    for (var i = 0; i < blocks.length; i++) {
      try {
        var list = JSON.parse(blocks[i].textContent);
        if (Array.isArray(list)) all = all.concat(list.filter(function (f) { return f && typeof f === "object"; }));
      } catch (e) {}
    }
    return all;
  };
  var findingsFor = function (c) {
    if (!findings || c[0] !== "track" || !c[3] || !c[3].event_id) return [];
    return findings.filter(function (f) {
      return f.event === c[1] && f.event_id === c[3].event_id;
    });
  };
  var concerns = function (f) {
    var what = f.event ? "ttq.track('" + f.event + "')" : f.method ? "ttq." + f.method + "()" : "the page";
    return "on " + what + (f.event_id ? " · event_id " + f.event_id : "");
  };
  var warnings = function () {
    var section = el("section", "findings");
    section.setAttribute("aria-label", "Pixel Helper warnings");
    var title = el("h3", null, "Pixel Helper warnings ");
    title.appendChild(el("span", "count", findings.length));
    section.appendChild(title);
    section.appendChild(el("p", "source", "tiktok-pixel's validator (debug mode), on the calls the server rendered into this page"));
    if (!findings.length) {
      section.appendChild(el("p", "none", "None: the validator found nothing to report in this page's calls."));
      return section;
    }
    var list = el("ul");
    findings.forEach(function (f) {
      var severity = SEVERITIES[f.severity] ? f.severity : "other";
      var li = el("li", "finding is-" + severity);
      li.setAttribute("data-rule", String(f.rule));
      li.setAttribute("data-severity", String(f.severity));
      var head = el("div", "finding-head");
      head.appendChild(el("span", "severity is-" + severity, f.severity));
      head.appendChild(el("code", "rule", f.rule));
      li.appendChild(head);
      li.appendChild(el("p", "message", f.message));
      li.appendChild(el("p", "concerns", concerns(f)));
      if (f.explanation) li.appendChild(el("p", "why", f.explanation));
      list.appendChild(li);
    });
    section.appendChild(list);
    return section;
  };
  var item = function (entry) {
    var c = entry.call, m = c[0];
    var li = el("li", "call");
    li.setAttribute("data-method", m);
    var head = el("div", "call-head");
    var title = el("span");
    title.appendChild(el("span", "method", (entry.queue === "ttq" ? "ttq." : "ttq.instance('" + entry.queue + "').") + m + "() "));
    if (m === "track") title.appendChild(el("span", "event", c[1]));
    var flagged = findingsFor(c);
    if (flagged.length) {
      li.setAttribute("data-findings", String(flagged.length));
      var counts = {};
      flagged.forEach(function (f) {
        counts[f.severity] = (counts[f.severity] || 0) + 1;
      });
      var parts = Object.keys(counts).map(function (k) {
        return counts[k] + " " + k + (counts[k] > 1 ? "s" : "");
      });
      title.appendChild(el("span", "flag", " ⚠ " + parts.join(", ")));
    }
    if (m === "page") title.appendChild(el("span", "event", "Pageview"));
    head.appendChild(title);
    var status = statusOf(c);
    if (status) head.appendChild(el("span", "status " + status, status));
    li.appendChild(head);
    if (m === "track") {
      li.setAttribute("data-event", c[1]);
      var opts = c[3] || {};
      li.appendChild(dl({ event_id: opts.event_id || "(none)" }, false));
      li.appendChild(el("pre", "params", JSON.stringify(c[2] || {}, null, 2)));
    } else if (m === "identify") {
      li.appendChild(dl(c[1] || {}, true));
      li.appendChild(el("p", "hashed-note", "hashed on the server: no email or phone number reached this page in clear"));
    }
    return li;
  };
  var render = function () {
    scheduled = false;
    var panel = d.getElementById("pixel-inspector");
    if (!panel) return;
    panel.textContent = "";
    var header = el("header");
    header.appendChild(el("h2", null, "Pixel inspector"));
    var S = standin();
    header.appendChild(el("p", "sub", calls.length + " call(s) this page made on window.ttq, read live in the browser" +
      (S ? "; SDK: offline stand-in" : "")));
    var state = consentState();
    var badge = el("span", "consent-state " + state, "consent: " + state);
    badge.setAttribute("data-consent", state);
    header.appendChild(badge);
    panel.appendChild(header);
    if (findings) panel.appendChild(warnings());
    var list = el("ol");
    for (var i = 0; i < calls.length; i++) list.appendChild(item(calls[i]));
    if (!calls.length) panel.appendChild(el("p", "empty", "No ttq calls on this page."));
    panel.appendChild(list);
  };
  var schedule = function () {
    if (!scheduled && d.readyState !== "loading") {
      scheduled = true;
      setTimeout(render, 0);
    }
  };

  var KEY = "demo-pixel-inspector";
  var visible = function () {
    var stored = null;
    try {
      stored = w.localStorage.getItem(KEY);
    } catch (e) {}
    return stored ? stored === "on" : d.body.getAttribute("data-inspector") === "on";
  };
  var show = function (on) {
    var panel = d.getElementById("pixel-inspector"), button = d.getElementById("inspector-toggle");
    if (panel) panel.hidden = !on;
    if (button) button.setAttribute("aria-pressed", on ? "true" : "false");
    d.body.setAttribute("data-inspector", on ? "on" : "off");
  };
  d.addEventListener("DOMContentLoaded", function () {
    findings = readFindings();
    show(visible());
    var button = d.getElementById("inspector-toggle");
    if (button) {
      button.addEventListener("click", function () {
        var on = button.getAttribute("aria-pressed") !== "true";
        try {
          w.localStorage.setItem(KEY, on ? "on" : "off");
        } catch (e) {}
        show(on);
      });
    }
    render();
  });
  d.addEventListener("tiktok-standin", schedule);
  d.addEventListener("demo-consent", schedule);
  w.__pixelInspector = {
    calls: calls,
    render: render,
    findings: function () {
      return findings;
    }
  };
})(window, document);
