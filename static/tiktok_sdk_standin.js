/* tiktok-pixel demo: an OFFLINE STAND-IN for TikTok's events.js. Not TikTok's code; it sends nothing.
   The demo shop points sdk_url here, so load() inserts it as <sdk_url>?sdkid=CODE&lib=ttq, exactly
   where events.js would go. Like events.js it drains the ttq queues (the main queue for every loaded
   pixel, ttq._i[CODE] for its own pixel), then rebinds the methods so later calls run at once.
   Consent: holdConsent() holds events, grantConsent() releases them in order, revokeConsent() drops
   them. identify() data travels with the events that follow it. What events.js would send is kept in
   ttq._standin.log (status "sent", "held" or "dropped") and announced with a "tiktok-standin" event. */
(function (w, d) {
  "use strict";
  var METHODS = "page track identify instances debug on off once ready alias group enableCookie disableCookie holdConsent revokeConsent grantConsent".split(" ");
  var slice = Array.prototype.slice;
  var script = d.currentScript;
  var args = {};
  ((script && script.src.split("?")[1]) || "").split("&").forEach(function (pair) {
    var i = pair.indexOf("=");
    if (i > 0) args[decodeURIComponent(pair.slice(0, i))] = decodeURIComponent(pair.slice(i + 1));
  });
  var lib = args.lib || w.TiktokAnalyticsObject || "ttq";
  var sdkid = args.sdkid;
  var q = w[lib];
  if (!q || !sdkid) return;

  var S = q._standin;
  if (!S) {
    S = { consent: "granted", log: [], held: [], identity: {}, loads: {} };
    Object.defineProperty(q, "_standin", { value: S, configurable: true });
  }
  S.loads[sdkid] = (S.loads[sdkid] || 0) + 1;

  var copy = function (v) {
    return v === undefined ? {} : JSON.parse(JSON.stringify(v));
  };
  var pixels = function () {
    return Object.keys(q._i || {}).length ? Object.keys(q._i) : [sdkid];
  };
  var announce = function () {
    try {
      d.dispatchEvent(new CustomEvent("tiktok-standin", { detail: S }));
    } catch (e) {}
  };
  var send = function (entry) {
    entry.status = "sent";
    entry.sent_at = Date.now();
    if (w.console && console.info) {
      console.info("[tiktok sdk stand-in] would send " + entry.event + " to pixel " + entry.pixel, entry);
    }
  };
  var emit = function (pixel, event, properties, options) {
    var entry = {
      pixel: pixel,
      event: event,
      event_id: (options && options.event_id) || null,
      properties: copy(properties),
      user: copy(S.identity[pixel])
    };
    if (S.consent === "granted") send(entry);
    else if (S.consent === "held") {
      entry.status = "held";
      S.held.push(entry);
    } else entry.status = "dropped";
    S.log.push(entry);
  };
  var handle = function (call, targets) {
    var m = call[0], a = call.slice(1), i;
    if (m === "holdConsent") S.consent = "held";
    else if (m === "revokeConsent") {
      S.consent = "revoked";
      for (i = 0; i < S.held.length; i++) S.held[i].status = "dropped";
      S.held = [];
    } else if (m === "grantConsent") {
      S.consent = "granted";
      for (i = 0; i < S.held.length; i++) send(S.held[i]);
      S.held = [];
    } else if (m === "identify") {
      for (i = 0; i < targets.length; i++) {
        var user = (S.identity[targets[i]] = S.identity[targets[i]] || {});
        var fields = a[0] || {};
        for (var k in fields) if (Object.prototype.hasOwnProperty.call(fields, k)) user[k] = fields[k];
      }
    } else if (m === "page" || m === "track") {
      var options = m === "track" ? a[2] : undefined;
      if (options && options.pixel_code) targets = [options.pixel_code];
      for (i = 0; i < targets.length; i++) {
        if (m === "page") emit(targets[i], "Pageview", {}, undefined);
        else emit(targets[i], String(a[0]), a[1], options);
      }
    }
    announce();
  };
  var bind = function (target, targets) {
    METHODS.forEach(function (m) {
      target[m] = function () {
        handle([m].concat(slice.call(arguments)), targets ? targets : pixels());
        return target;
      };
    });
    return target;
  };

  // Drain: the main queue goes to every pixel loaded so far, the instance queue to this pixel.
  var main = Array.prototype.splice.call(q, 0, q.length);
  var own = q._i && q._i[sdkid] ? Array.prototype.splice.call(q._i[sdkid], 0, q._i[sdkid].length) : [];
  var i;
  for (i = 0; i < main.length; i++) handle(main[i], pixels());
  for (i = 0; i < own.length; i++) handle(own[i], [sdkid]);

  // Rebind: from now on calls run at once instead of queueing.
  bind(q, null);
  var instances = {};
  q.instance = function (code) {
    return (instances[code] = instances[code] || bind({}, [code]));
  };
  if (q._i && q._i[sdkid]) bind(q._i[sdkid], [sdkid]);
  announce();
})(window, document);
