// Store page: a product image that fails to load (a catalog's link moved or is offline) becomes the
// same lettered placeholder that products without an image show.
(function () {
  "use strict";
  function placeholder(img) {
    var ph = document.createElement("div");
    ph.className = "ph";
    ph.setAttribute("aria-hidden", "true");
    ph.textContent = img.getAttribute("data-initial") || "?";
    if (img.parentNode) img.parentNode.replaceChild(ph, img);
  }
  var images = document.querySelectorAll("img[data-initial]");
  for (var i = 0; i < images.length; i++) {
    var img = images[i];
    if (img.complete && img.naturalWidth === 0) placeholder(img);
    else img.addEventListener("error", placeholder.bind(null, img));
  }
})();
