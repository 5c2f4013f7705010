/* Demo shop: the consent banner. The pixel renders ttq.holdConsent() before load, so TikTok sends
   nothing until this script calls ttq.grantConsent(). The choice is remembered in localStorage and
   replayed on every page. It is also kept in a cookie, which tells the server whether it may send
   the page's events to the Events API (TIKTOK_PIXEL_CONSENT_GRANTED). */
(function (w, d) {
  "use strict";
  var KEY = "demo-tiktok-consent";
  var COOKIE = "demo_tiktok_consent";
  var ttq = function () {
    return w[w.TiktokAnalyticsObject || "ttq"];
  };
  var apply = function (choice) {
    var q = ttq();
    if (q && choice === "granted") q.grantConsent();
    if (q && choice === "revoked") q.revokeConsent();
    d.cookie = COOKIE + "=" + choice + "; path=/; max-age=31536000; SameSite=Lax";
    d.dispatchEvent(new CustomEvent("demo-consent", { detail: choice }));
  };
  var stored = null;
  try {
    stored = w.localStorage.getItem(KEY);
  } catch (e) {}
  var banner = d.getElementById("consent-banner");
  if (stored === "granted" || stored === "revoked") {
    apply(stored);
    return;
  }
  if (!banner) return;
  banner.hidden = false;
  var choose = function (choice) {
    try {
      w.localStorage.setItem(KEY, choice);
    } catch (e) {}
    banner.hidden = true;
    apply(choice);
  };
  d.getElementById("consent-accept").addEventListener("click", function () {
    choose("granted");
  });
  d.getElementById("consent-decline").addEventListener("click", function () {
    choose("revoked");
  });
})(window, document);
