// The pay page: go on to the gateway right after the details form, and
// while the payment is pending, ask its status until it is settled.
// Without JavaScript the page still has its Pay button and can be reloaded.
(function () {
  'use strict';
  var box = document.getElementById('payment');
  if (!box) { return; }
  var go = box.getAttribute('data-go') === '1';
  var payUrl = box.getAttribute('data-pay-url');
  var pageUrl = box.getAttribute('data-page-url');
  if (go && payUrl) {
    // Replace this page: Back from the gateway shows the status page.
    window.location.replace(payUrl);
    return;
  }
  if (box.getAttribute('data-state') !== 'pending' || !window.fetch) { return; }
  var started = Date.now();
  var delay = 2500;
  var limit = 45 * 60 * 1000;
  function poll() {
    if (Date.now() - started > limit) { return; }
    fetch(box.getAttribute('data-status-url'), {
      credentials: 'same-origin', cache: 'no-store',
      headers: {'Accept': 'application/json'}
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (status) {
      if (status && status.state !== 'pending') {
        window.location.replace(pageUrl);
      } else if (status && status.pay_url && status.pay_url !== payUrl) {
        window.location.replace(go ? status.pay_url : pageUrl);
      } else {
        setTimeout(poll, delay);
      }
    }).catch(function () {
      setTimeout(poll, delay * 2);
    });
  }
  setTimeout(poll, delay);
})();
