// Push notifications: asked only when the client presses the button (never
// on page load), then this browser's subscription goes to the portal.
// Without push support the section stays hidden.
(function () {
  'use strict';
  var box = document.getElementById('push-optin');
  if (!box || !('serviceWorker' in navigator) || !('PushManager' in window) ||
      !('Notification' in window)) { return; }
  var button = box.querySelector('button');
  var status = box.querySelector('.push-status');

  function show(state) {
    box.setAttribute('data-state', state);
    status.textContent = box.getAttribute('data-text-' + state) || '';
    // .button sets display, which [hidden] alone does not override
    button.style.display = (state === 'on' || state === 'denied') ? 'none' : '';
  }

  function keyBytes(base64url) {
    var text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/') +
      '===='.slice(base64url.length % 4 || 4));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes;
  }

  function send(subscription) {
    var form = new URLSearchParams();
    form.append('csrf', box.getAttribute('data-csrf'));
    form.append('subscription', JSON.stringify(subscription));
    return fetch(box.getAttribute('data-url'), {
      method: 'POST', credentials: 'same-origin', body: form
    }).then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
    });
  }

  function subscribe() {
    return navigator.serviceWorker.register('/sw.js', {scope: '/'})
      .then(function () { return navigator.serviceWorker.ready; })
      .then(function (registration) {
        return registration.pushManager.getSubscription()
          .then(function (existing) {
            return existing || registration.pushManager.subscribe({
              userVisibleOnly: true,
              applicationServerKey: keyBytes(box.getAttribute('data-key'))
            });
          });
      }).then(send);
  }

  box.hidden = false;
  if (Notification.permission === 'denied') { show('denied'); return; }
  button.addEventListener('click', function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== 'granted') { show('denied'); return; }
      return subscribe().then(function () { show('on'); });
    }).catch(function () {
      show('failed');
    }).then(function () { button.disabled = false; });
  });
})();
