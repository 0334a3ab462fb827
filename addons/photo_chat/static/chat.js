// The booking's conversation: new messages appear without a reload.
// Short polling every data-poll-ms while the page is visible; posting
// goes through fetch, and the form still works without JavaScript.
(function () {
  'use strict';
  const list = document.getElementById('chat');
  const form = document.getElementById('chat-form');
  if (!list || !form) {
    return;
  }
  const url = list.dataset.url;
  const pollMs = Number(list.dataset.pollMs) || 1000;
  let last = Number(list.dataset.last) || 0;
  let busy = false;

  function add(message) {
    if (message.id <= last) {
      return;
    }
    last = message.id;
    const item = document.createElement('li');
    item.className = 'chat-message' + (message.mine ? ' mine' : '');
    item.dataset.id = message.id;
    const meta = document.createElement('span');
    meta.className = 'chat-meta';
    meta.textContent = message.author + ' · ' + message.time;
    const text = document.createElement('span');
    text.className = 'chat-text';
    text.textContent = message.text;  // text, never HTML
    item.append(meta, text);
    list.append(item);
    const empty = document.querySelector('.chat-empty');
    if (empty) {
      empty.hidden = true;
    }
    item.scrollIntoView({block: 'nearest'});
  }

  async function poll() {
    if (busy || document.visibilityState !== 'visible') {
      return;
    }
    busy = true;
    try {
      const response = await fetch(url + '/messages?after=' + last,
        {credentials: 'same-origin', headers: {Accept: 'application/json'}});
      if (response.ok) {
        (await response.json()).forEach(add);
      }
    } catch (e) {
      // Offline for a moment: the next poll tries again.
    } finally {
      busy = false;
    }
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const response = await fetch(url, {
        method: 'POST', body: new FormData(form), credentials: 'same-origin',
        headers: {Accept: 'application/json'}});
      if (!response.ok) {
        throw new Error(response.status);
      }
      form.querySelector('textarea').value = '';
      await poll();
    } catch (e) {
      window.alert(list.dataset.error);
    } finally {
      button.disabled = false;
    }
  });
  setInterval(poll, pollMs);
  document.addEventListener('visibilitychange', poll);
}());
