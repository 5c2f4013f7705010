/* the pixel base code, as TikTok documents its shape: queue, stubs, instance(), load() */
!function (w, d, t) {
  w.TiktokAnalyticsObject = t;
  var ttq = w[t] = w[t] || [];
  ttq.methods = ["page", "track", "identify", "instances", "debug", "on", "off", "once", "ready",
    "alias", "group", "enableCookie", "disableCookie", "holdConsent", "revokeConsent", "grantConsent"];
  ttq.setAndDefer = function (target, name) {
    target[name] = function () { target.push([name].concat([].slice.call(arguments))); };
  };
  for (var i = 0; i < ttq.methods.length; i++) ttq.setAndDefer(ttq, ttq.methods[i]);
  ttq.instance = function (code) {
    var queue = ttq._i[code] || [];
    for (var k = 0; k < ttq.methods.length; k++) ttq.setAndDefer(queue, ttq.methods[k]);
    return queue;
  };
  ttq.load = function (code, options) {
    var url = "https://analytics.tiktok.com/i18n/pixel/events.js";
    ttq._i = ttq._i || {}; ttq._i[code] = []; ttq._i[code]._u = url;
    ttq._t = ttq._t || {}; ttq._t[code] = +new Date;
    ttq._o = ttq._o || {}; ttq._o[code] = options || {};
    var s = d.createElement("script"); s.async = true;
    s.src = url + "?sdkid=" + code + "&lib=" + t;
    var first = d.getElementsByTagName("script")[0]; first.parentNode.insertBefore(s, first);
  };
