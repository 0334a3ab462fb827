// Progressive enhancements only: every page works without JavaScript.
(function () {
  'use strict';
  if ('serviceWorker' in navigator) {
    window.addEventListener('load', function () {
      navigator.serviceWorker.register('/sw.js', {scope: '/'}).catch(function () {});
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    var locate = document.getElementById('locate');
    var form = document.getElementById('near-form');
    if (locate && form && 'geolocation' in navigator) {
      locate.hidden = false;
      locate.addEventListener('click', function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          form.elements.lat.value = position.coords.latitude.toFixed(5);
          form.elements.lon.value = position.coords.longitude.toFixed(5);
          form.elements.city.value = '';
          form.submit();
        });
      });
    }
    // Avoid double submissions on slow phones.
    document.querySelectorAll('form[method=post]').forEach(function (f) {
      f.addEventListener('submit', function () {
        var button = f.querySelector('button[type=submit]');
        if (button) { setTimeout(function () { button.disabled = true; }, 0); }
      });
    });
  });
})();
