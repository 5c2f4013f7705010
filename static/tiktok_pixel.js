/* tiktok-pixel no-inline runtime: generated from templates/tiktok_pixel/runtime.js.jinja by
   `make static`; do not edit. Reads each <script type="application/json" data-tiktok-pixel>
   block once and drives window.ttq with it, so the page needs no inline JavaScript. */
(function (w, d) {
var run = function(w,d,c){var t="ttq",q,P=c.pixels,n=P.length,i,k,a,j,o,r=0;if(c.existing){t=w.TiktokAnalyticsObject||t;var W=function(){q=w[t];if(q&&q.track){if(c.hold)q.holdConsent();for(k=0;k<c.calls.length;k++){a=c.calls[k];for(j=0;j<(n>1?n:1);j++){o=n>1?q.instance(P[j]):q;o[a[0]].apply(o,a.slice(1))}}}else if(++r<200)setTimeout(W,50)};W();return}w.TiktokAnalyticsObject=t;q=w[t]=w[t]||[];if(!q.load){q.methods="page track identify instances debug on off once ready alias group enableCookie disableCookie holdConsent revokeConsent grantConsent".split(" ");q.setAndDefer=function(o,m){o[m]=function(){o.push([m].concat([].slice.call(arguments)))}};var S=function(o){for(var i=0,M=q.methods;i<M.length;i++)q.setAndDefer(o,M[i]);return o};S(q);q.instance=function(p){return S(q._i[p]||[])};q.load=function(p,o){var u=c.sdk||"https://analytics.tiktok.com/i18n/pixel/events.js",s=d.createElement("script"),f=d.getElementsByTagName("script")[0];(q._i=q._i||{})[p]=[];q._i[p]._u=u;(q._t=q._t||{})[p]=+new Date;(q._o=q._o||{})[p]=o||{};s.async=!0;s.src=u+"?sdkid="+p+"&lib="+t;f.parentNode.insertBefore(s,f)}}if(c.hold)q.holdConsent();for(i=0;i<n;i++){if(!(q._i&&q._i[P[i]])){q.load(P[i],c.options);if(c.page!==!1)(n>1?q.instance(P[i]):q).page()}}for(k=0;k<c.calls.length;k++){a=c.calls[k];for(j=0;j<(n>1?n:1);j++){o=n>1?q.instance(P[j]):q;o[a[0]].apply(o,a.slice(1))}}};
var scan = function () {
var s = d.querySelectorAll('script[type="application/json"][data-tiktok-pixel]'), i;
for (i = 0; i < s.length; i++) {
if (!s[i].ttpDone) {
s[i].ttpDone = 1;
try {
run(w, d, JSON.parse(s[i].textContent));
} catch (e) {}
}
}
};
scan();
if (d.readyState == "loading") d.addEventListener("DOMContentLoaded", scan);
})(window, document);
