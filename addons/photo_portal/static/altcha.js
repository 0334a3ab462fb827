// The proof-of-work page: solve the server's ALTCHA challenge in a Web
// Worker, put the payload (base64 of the JSON, as ALTCHA's widget sends
// it) in the form's "altcha" field and post the form again.
(function () {
  'use strict';
  var form = document.getElementById('proof');
  var status = document.getElementById('proof-status');
  if (!form || !window.Worker) { return; }
  var challenge = JSON.parse(form.getAttribute('data-challenge'));
  var worker = new Worker('/static/altcha-worker.js');
  worker.onmessage = function (event) {
    if (event.data.number === null) {
      status.textContent = status.getAttribute('data-failed');
      return;
    }
    form.elements.altcha.value = btoa(JSON.stringify({
      algorithm: challenge.algorithm, challenge: challenge.challenge,
      number: event.data.number, salt: challenge.salt,
      signature: challenge.signature, took: event.data.took}));
    status.textContent = status.getAttribute('data-done');
    form.submit();
  };
  worker.onerror = function () {
    status.textContent = status.getAttribute('data-failed');
  };
  worker.postMessage(challenge);
}());
