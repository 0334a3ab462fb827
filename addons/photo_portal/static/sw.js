// Service worker: caches the app shell, serves the offline page when the
// network is gone, shows push notifications. Booking pages are never
// cached: times change.
const CACHE = 'photo-booking-shell-v1';
const SHELL = [
  '/offline',
  '/static/portal.css',
  '/static/portal.js',
  '/static/icons/icon.svg',
  '/static/icons/icon-192.png',
  '/manifest.webmanifest',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys().then((keys) => Promise.all(
    keys.filter((key) => key !== CACHE).map((key) => caches.delete(key)))));
  self.clients.claim();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') {
    return;
  }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) {
    return;
  }
  if (request.mode === 'navigate') {
    event.respondWith(fetch(request).catch(() => caches.match('/offline')));
    return;
  }
  if (url.pathname.startsWith('/static/')) {
    event.respondWith(caches.match(request).then(
      (cached) => cached || fetch(request)));
  }
});

// Push notifications (sent by photo_notify): {title, body, url, tag, lang}.
// The same tag replaces a notification shown already (a resend shows once).
function showPush(data) {
  return self.registration.showNotification(data.title || self.location.host, {
    body: data.body || '',
    tag: data.tag,
    lang: data.lang,
    icon: '/static/icons/icon-192.png',
    data: {url: data.url || '/account'},
  });
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = {body: event.data.text()};
  }
  event.waitUntil(showPush(data));
});

// A click opens the booking (on this site: a link's path is kept).
function pushTarget(url) {
  const target = new URL(url || '/account', self.location.origin);
  return new URL(target.pathname + target.search, self.location.origin).href;
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = pushTarget(event.notification.data && event.notification.data.url);
  event.waitUntil(self.clients.matchAll({type: 'window', includeUncontrolled: true})
    .then((windows) => {
      const open = windows.find((w) => w.url === target);
      return open ? open.focus() : self.clients.openWindow(target);
    }));
});
