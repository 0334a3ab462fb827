// The booking's conversation: new messages appear without a reload.
// Short polling every data-poll-ms while the page is visible; posting
// (text and a file) goes through fetch, and the form still works without
// JavaScript. Messages are built as DOM text nodes, never as HTML: only
// the server's http(s) links become <a rel="noopener nofollow ugc">.
(function () {
  'use strict';
  const list = document.getElementById('chat');
  const form = document.getElementById('chat-form');
  if (!list || !form) {
    return;
  }
  const url = list.dataset.url;
  const pollMs = Number(list.dataset.pollMs) || 1000;
  const maxFile = Number(list.dataset.maxFile) || 0;
  const errorBox = document.getElementById('chat-error');
  let last = Number(list.dataset.last) || 0;
  let busy = false;

  function showError(message) {
    errorBox.textContent = message || '';
    errorBox.hidden = !message;
  }

  function element(tag, className) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    return node;
  }

  function textOf(message) {
    const text = element('span', 'chat-text');
    (message.segments || [['text', message.text]]).forEach(function (part) {
      if (part[0] === 'link' && /^https?:\/\//i.test(part[1])) {
        const link = element('a');
        link.href = part[1];
        link.rel = list.dataset.rel;
        link.target = '_blank';
        link.textContent = part[1];
        text.append(link);
      } else {
        text.append(document.createTextNode(part[1]));
      }
    });
    return text;
  }

  function fileOf(file) {
    const box = element('span', 'chat-file');
    if (file.image) {
      const open = element('a');
      open.href = file.url;
      open.target = '_blank';
      open.rel = 'noopener';
      const image = element('img');
      image.src = file.url;
      image.alt = file.name;
      image.loading = 'lazy';
      open.append(image);
      box.append(open);
    }
    const download = element('a');
    download.href = file.download;
    download.setAttribute('download', '');
    download.textContent = file.name;
    box.append(download);
    return box;
  }

  function add(message) {
    if (message.id <= last) {
      return;
    }
    last = message.id;
    const item = element('li', 'chat-message' + (message.mine ? ' mine' : ''));
    item.dataset.id = message.id;
    const meta = element('span', 'chat-meta');
    meta.textContent = message.author + ' · ' + message.time;
    item.append(meta);
    if (message.text) {
      item.append(textOf(message));
    }
    (message.files || []).forEach(function (file) {
      item.append(fileOf(file));
    });
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

  async function refusal(response) {
    // The server's error page says why (too long, too large, wrong type).
    try {
      const page = new DOMParser().parseFromString(
        await response.text(), 'text/html');
      const alert = page.querySelector('[role=alert]');
      return alert ? alert.textContent.trim() : list.dataset.error;
    } catch (e) {
      return list.dataset.error;
    }
  }

  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    const button = form.querySelector('button');
    const input = form.querySelector('input[type=file]');
    const file = input && input.files[0];
    if (file && maxFile && file.size > maxFile) {
      showError(list.dataset.tooLarge);
      return;
    }
    showError('');
    button.disabled = true;
    try {
      const response = await fetch(url, {
        method: 'POST', body: new FormData(form), credentials: 'same-origin',
        headers: {Accept: 'application/json'}});
      if (!response.ok) {
        showError(await refusal(response));
        return;
      }
      form.querySelector('textarea').value = '';
      if (input) {
        input.value = '';
      }
      await poll();
    } catch (e) {
      showError(list.dataset.error);
    } finally {
      button.disabled = false;
    }
  });
  setInterval(poll, pollMs);
  document.addEventListener('visibilitychange', poll);
}());
