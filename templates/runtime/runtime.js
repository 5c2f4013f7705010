/*
 * tiktok-pixel page runtime: our own TikTok base code, plus the replay of the calls the server
 * rendered for this page (and of calls that arrive later in a "tiktok-pixel" DOM event, which
 * htmx dispatches from an HX-Trigger response header).
 *
 * This one source is built by templates/runtime/build.mjs with terser (which encloses it in a function,
 * so nothing here becomes a global) into:
 *  - the inline programs, one per configuration (static/tiktok_pixel.inline.json). The Python side
 *    writes `<script>` + the program with the payload in place of PAYLOAD + `</script>`. Each
 *    configuration flag below is a compile-time constant, so terser drops the code a
 *    configuration cannot need;
 *  - static/tiktok_pixel.js, the no-inline runtime: the same code with every flag read from the
 *    payload, applied to each `<script type="application/json" data-tiktok-pixel>` data block.
 *
 * The payload (JSON, written by tiktok_pixel/render.py and read back by tiktok_pixel/pagescan.py):
 *   {"pixels": [code, ...], "calls": [[method, ...args], ...]}
 * plus, only when not the default: "sdk": events.js URL, "options": load options, "hold": true,
 * "page": false, "existing": true.
 *
 * See docs/runtime.md. Keep tiktok_pixel/pagescan.py's replay() in step with this file.
 */

/* Compile-time constants (terser global_defs); never defined at run time.
 * INLINE      true for an inline program (flags below fixed), false for the static script;
 * EXISTING    use-existing-pixel mode: no loader, hand the calls to the site's own ttq;
 * SEVERAL     several pixels: each call goes to every pixel through ttq.instance(code);
 * HOLD        consent="hold": ttq.holdConsent() before anything else;
 * PAGE        automatic ttq.page() for each pixel this run loads;
 * OPTIONS     load options (limited data use) are passed to ttq.load();
 * CUSTOM_SDK  the events.js URL comes from the payload instead of TikTok's default;
 * PAYLOAD     stands for the payload in an inline program: the build checks it appears once,
 *             and tiktok_pixel/runtime.py splits the program there. */
/* global INLINE, EXISTING, SEVERAL, HOLD, PAGE, OPTIONS, CUSTOM_SDK, PAYLOAD */

var run = (payload) => {
  // TikTok's default events.js URL (a configured sdk_url comes in the payload's "sdk").
  var TIKTOK_SDK = "https://analytics.tiktok.com/i18n/pixel/events.js";
  // The DOM event whose detail.calls we replay; also the window property saying we listen.
  var EVENT = "tiktok-pixel";
  var pixels = payload.pixels;
  var several = INLINE ? SEVERAL : pixels.length > 1;
  var existing = INLINE ? EXISTING : payload.existing;
  var hold = INLINE ? HOLD : payload.hold;
  var autoPage = INLINE ? PAGE : payload.page !== false;
  var sdk = INLINE && !CUSTOM_SDK ? TIKTOK_SDK : payload.sdk || TIKTOK_SDK;
  // TikTok's global: always "ttq" for our loader; the site's own name for an existing pixel.
  var name = existing ? window.TiktokAnalyticsObject || "ttq" : "ttq";

  // Apply calls ([method, ...args]) to ttq; with several pixels, to each pixel's own queue.
  var replay = (ttq, calls) => {
    calls.forEach(([method, ...args]) => {
      if (several) pixels.forEach((code) => ttq.instance(code)[method](...args));
      else ttq[method](...args);
    });
  };

  // Calls that arrive later (an htmx response's HX-Trigger header): replay them on the same
  // ttq the same way, once per event. Installed once per page: the first run listens. The
  // window property also holds what waits for the site's own ttq (existing-pixel mode).
  if (!window[EVENT]) {
    window[EVENT] = [];
    document.addEventListener(EVENT, (event) => {
      // an event without calls (htmx's plain "HX-Trigger: tiktok-pixel") does nothing
      var calls = (event.detail || {}).calls || [];
      if (existing) whenSiteTtq((ttq) => replay(ttq, calls));
      else replay(window[name], calls);
    });
  }

  // Existing-pixel mode: give the site's own ttq to `use` as soon as it appears (polled every
  // 50 ms; after 10 s `use` is dropped silently). Everything waiting runs in the order it came
  // (the fragments' calls in page order, then the events'), however many runs are polling.
  var whenSiteTtq = (use, tries) => {
    var ttq = window[name];
    var waiting = window[EVENT];
    if (!tries) waiting.push(use);
    if (ttq && ttq.track) waiting.splice(0).forEach((waited) => waited(ttq));
    else if ((tries = (tries || 0) + 1) < 200) setTimeout(whenSiteTtq, 50, use, tries);
    else window[EVENT] = waiting.filter((waited) => waited !== use);
  };

  if (existing) {
    // Use existing pixel: no loader, no load(), no page(); the site's ttq gets the calls.
    whenSiteTtq((ttq) => {
      if (hold) ttq.holdConsent();
      replay(ttq, payload.calls);
    });
  } else {
    // TikTok's queue: an Array whose methods push [method, ...args] until events.js drains
    // it and rebinds them. An already set-up ttq (our earlier run, TikTok's base code, or
    // events.js itself) is left alone.
    window.TiktokAnalyticsObject = name;
    var ttq = (window[name] = window[name] || []);
    if (!ttq.load) {
      ttq.methods = (
        "page track identify instances debug on off once ready alias group enableCookie " +
        "disableCookie holdConsent revokeConsent grantConsent"
      ).split(" ");
      ttq.setAndDefer = (target, method) => {
        target[method] = (...args) => {
          target.push([method, ...args]);
        };
      };
      var defer = (target) => {
        ttq.methods.forEach((method) => ttq.setAndDefer(target, method));
        return target;
      };
      defer(ttq);
      // A pixel's own queue, with the same methods, for calls meant for that pixel only.
      ttq.instance = (code) => defer(ttq._i[code] || []);
      // load(): note the pixel's queue and SDK URL (_i), load time (_t) and options (_o),
      // then add one async events.js?sdkid=CODE&lib=ttq to <head>. (TikTok's base code puts it
      // before the page's first script instead; for an async script the place makes no
      // difference, and <head> costs fewer bytes.)
      ttq.load = (code, options) => {
        var script = document.createElement("script");
        (ttq._i = ttq._i || {})[code] = [];
        ttq._i[code]._u = sdk;
        (ttq._t = ttq._t || {})[code] = +new Date();
        (ttq._o = ttq._o || {})[code] = options || {};
        script.async = true;
        script.src = sdk + "?sdkid=" + code + "&lib=" + name;
        document.head.appendChild(script);
      };
    }
    if (hold) ttq.holdConsent();
    // Load each pixel once per page, however often the fragment runs; page() goes with it.
    pixels.forEach((code) => {
      if (!(ttq._i && ttq._i[code])) {
        // load options only where the configuration can have some
        if (INLINE && !OPTIONS) ttq.load(code);
        else ttq.load(code, payload.options);
        if (autoPage) (several ? ttq.instance(code) : ttq).page();
      }
    });
    replay(ttq, payload.calls);
  }
};

if (INLINE) {
  run(PAYLOAD);
} else {
  // No-inline mode: run each data block once, whether this script runs before the page is
  // parsed (async), after, or more than once (the fragment rendered twice).
  var scan = () => {
    document
      .querySelectorAll('script[type="application/json"][data-tiktok-pixel]')
      .forEach((block) => {
        if (!block.tiktokPixelDone) {
          block.tiktokPixelDone = 1;
          try {
            run(JSON.parse(block.textContent));
          } catch (error) {
            // A broken block must not stop the others (nor the page's own scripts).
          }
        }
      });
  };
  scan();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
}
