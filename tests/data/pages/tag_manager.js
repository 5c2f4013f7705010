/* A stand-in "tag manager": 300 ms after load it injects the base code and a call. */
window.addEventListener("load", function () {
  setTimeout(function () {
    var tag = document.createElement("script");
    tag.text = "/* BASE CODE: base_code.js */\n  ttq.load(\"C3MV4QR3G487IS97GFI0\");\n  ttq.page();\n  ttq.track(\"Lead\", {value: 1, currency: \"EUR\"});\n}(window, document, 'ttq');\n";
    document.head.appendChild(tag);
    window.tagManagerDone = true;
  }, 300);
});
