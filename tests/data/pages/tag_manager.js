/* A stand-in "tag manager": 300 ms after load it injects the base code and a call. */
window.addEventListener("load", function () {
  setTimeout(function () {
    var tag = document.createElement("script");
    tag.text = "/* the pixel base code, as TikTok documents its shape: queue, stubs, instance(), load() */\n!function (w, d, t) {\n  w.TiktokAnalyticsObject = t;\n  var ttq = w[t] = w[t] || [];\n  ttq.methods = [\"page\", \"track\", \"identify\", \"instances\", \"debug\", \"on\", \"off\", \"once\", \"ready\",\n    \"alias\", \"group\", \"enableCookie\", \"disableCookie\", \"holdConsent\", \"revokeConsent\", \"grantConsent\"];\n  ttq.setAndDefer = function (target, name) {\n    target[name] = function () { target.push([name].concat([].slice.call(arguments))); };\n  };\n  for (var i = 0; i < ttq.methods.length; i++) ttq.setAndDefer(ttq, ttq.methods[i]);\n  ttq.instance = function (code) {\n    var queue = ttq._i[code] || [];\n    for (var k = 0; k < ttq.methods.length; k++) ttq.setAndDefer(queue, ttq.methods[k]);\n    return queue;\n  };\n  ttq.load = function (code, options) {\n    var url = \"https://analytics.tiktok.com/i18n/pixel/events.js\";\n    ttq._i = ttq._i || {}; ttq._i[code] = []; ttq._i[code]._u = url;\n    ttq._t = ttq._t || {}; ttq._t[code] = +new Date;\n    ttq._o = ttq._o || {}; ttq._o[code] = options || {};\n    var s = d.createElement(\"script\"); s.async = true;\n    s.src = url + \"?sdkid=\" + code + \"&lib=\" + t;\n    var first = d.getElementsByTagName(\"script\")[0]; first.parentNode.insertBefore(s, first);\n  };\n  ttq.load(\"C3MV4QR3G487IS97GFI0\");\n  ttq.page();\n  ttq.track(\"Lead\", {value: 1, currency: \"EUR\"});\n}(window, document, 'ttq');\n";
    document.head.appendChild(tag);
    window.tagManagerDone = true;
  }, 300);
});
