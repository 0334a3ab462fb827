"""Texts of the portal's chat pages: English is the source; added to the
portal's catalogue (photo_portal.i18n.add_texts) on import."""

RU = {
    'Messages': 'Сообщения',
    'Messages with the studio': 'Переписка со студией',
    'unread': 'непрочитанных',
    'You': 'Вы',
    'No messages yet. Ask the studio anything about this shoot.': 'Сообщений пока нет. Спросите студию о чём угодно по этой съёмке.',
    'Your message': 'Ваше сообщение',
    'Send': 'Отправить',
    'Back to my bookings': 'К моим записям',
    'Write a message first.': 'Сначала напишите сообщение.',
    'A message is at most %(count)s characters.': 'Сообщение — не больше %(count)s символов.',
    'The message was not sent. Please try again.': 'Сообщение не отправлено. Попробуйте ещё раз.',
}

TEXTS = {'ru': RU}
