// Push notifications: asked only when the client presses the button (never
// on page load), then this browser's subscription goes to the portal.
// Without push support the section stays hidden.
// On the profile page, the list of devices marks this browser and, when the
// client stops notifications on it, unsubscribes it before the form goes.
(function () {
  'use strict';
  if (window.photoNotifyPush) { return; }  // included by two fragments
  window.photoNotifyPush = true;
  if (!('serviceWorker' in navigator) || !('PushManager' in window) ||
      !('Notification' in window)) { return; }
  var devices = document.getElementById('push-devices');

  // This browser's subscription, without registering anything: null when
  // none.
  function current() {
    return navigator.serviceWorker.getRegistration('/')
      .then(function (registration) {
        return registration ? registration.pushManager.getSubscription()
          : null;
      });
  }

  // The device's token in the page: outbox.digest of the endpoint.
  function digest(text) {
    return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
      .then(function (buffer) {
        return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
          return ('0' + b.toString(16)).slice(-2);
        }).join('').slice(0, 16);
      });
  }

  // Marks this browser in the list; true when it is there.
  function markThisDevice(subscription) {
    if (!devices || !subscription || !window.crypto || !crypto.subtle) {
      return false;
    }
    return digest(subscription.endpoint).then(function (token) {
      var item = devices.querySelector('[data-device="' + token + '"]');
      if (!item) { return false; }
      item.classList.add('current');
      item.querySelector('.this-device').hidden = false;
      var form = item.querySelector('form');
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        // The server forgets it either way; the browser too, if it can.
        subscription.unsubscribe().catch(function () {
          return false;
        }).then(function () { form.submit(); });
      });
      return true;
    });
  }

  var box = document.getElementById('push-optin');
  var listed = current().catch(function () { return null; })
    .then(markThisDevice);
  if (!box) { return; }
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
  if (Notification.permission === 'granted') {
    // On the profile: say so when this browser is listed there already
    listed.then(function (found) { if (found) { show('on'); } });
  }
  button.addEventListener('click', function () {
    button.disabled = true;
    Notification.requestPermission().then(function (permission) {
      if (permission !== 'granted') { show('denied'); return; }
      return subscribe().then(function () {
        show('on');
        // The profile's list of devices shows this one now
        if (devices) { window.location.reload(); }
      });
    }).catch(function () {
      show('failed');
    }).then(function () { button.disabled = false; });
  });
})();
