"""Portal texts: English is the source, Russian the default language.

Kept as a small catalogue next to the templates; model texts (service and
studio names, messages) come from Tryton's own translations."""
LANGUAGES = ('ru', 'en')

MONTHS = {
    'en': ["January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December"],
    'ru': ["Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль",
        "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь"],
    }
WEEKDAYS = {
    'en': ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"],
    'ru': ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"],
    }

# Time zones by the name people use; others by their city.
ZONE_NAMES = {
    'Europe/Moscow': "Moscow time",
    'Europe/Kaliningrad': "Kaliningrad time",
    'Europe/Samara': "Samara time",
    'Asia/Yekaterinburg': "Yekaterinburg time",
    'Asia/Omsk': "Omsk time",
    'Asia/Novosibirsk': "Novosibirsk time",
    'Asia/Krasnoyarsk': "Krasnoyarsk time",
    'Asia/Irkutsk': "Irkutsk time",
    'Asia/Vladivostok': "Vladivostok time",
    'Europe/Berlin': "Berlin time",
    'UTC': "UTC",
    }

STATE_LABELS = {
    'hold': "Held",
    'requested': "Awaiting approval",
    'confirmed': "Confirmed",
    'done': "Done",
    'no_show': "No-show",
    'cancelled': "Cancelled",
    }

RU = {
    'I agree to the processing of my personal data': 'Я согласен(на) на обработку моих персональных данных',
    'consent': 'согласие',
    'privacy policy': 'политика конфиденциальности',
    'Name': 'Имя',
    'Language': 'Язык',
    'Phone': 'Телефон',
    'Email': 'Эл. почта',
    'reviews': 'отзывов',
    'No reviews yet': 'Пока нет отзывов',
    'days with free time': 'дни со свободным временем',
    'times in %(tz)s': 'время — %(tz)s',
    'Moscow time': 'Москва',
    'Kaliningrad time': 'Калининград',
    'Samara time': 'Самара',
    'Yekaterinburg time': 'Екатеринбург',
    'Omsk time': 'Омск',
    'Novosibirsk time': 'Новосибирск',
    'Krasnoyarsk time': 'Красноярск',
    'Irkutsk time': 'Иркутск',
    'Vladivostok time': 'Владивосток',
    'Berlin time': 'Берлин',
    'Average rating': 'Средняя оценка',
    'Previous month': 'Предыдущий месяц',
    'Next month': 'Следующий месяц',
    'free time': 'есть свободное время',
    'Service': 'Услуга',
    'Any available': 'Любой свободный',
    'Photographer': 'Фотограф',
    'Studio': 'Студия',
    'Time': 'Время',
    'Details': 'Данные',
    'Booking steps': 'Шаги бронирования',
    '%(km)s km away': '%(km)s км от вас',
    'Time zone': 'Часовой пояс',
    'Equipment': 'Оборудование',
    'Show on the map': 'Показать на карте',
    'Photo studio booking': 'Запись в фотостудию',
    'Photo studio': 'Фотостудия',
    'Book': 'Записаться',
    'Studios': 'Студии',
    'My bookings': 'Мои записи',
    'Log in': 'Войти',
    'Privacy policy': 'Политика конфиденциальности',
    'Public offer': 'Публичная оферта',
    'Personal data consent': 'Согласие на обработку данных',
    'Your details': 'Ваши данные',
    'We hold this time for you until %(time)s.': 'Мы держим это время для вас до %(time)s.',
    'Comment': 'Комментарий',
    'Choose a photographer': 'Выберите фотографа',
    'the most free times': 'больше всего свободного времени',
    'Choose a service': 'Выберите услугу',
    'min': 'мин',
    'No services can be booked online yet.': 'Пока нет услуг для онлайн-записи.',
    'Choose a studio': 'Выберите студию',
    'No studio offers this service right now.': 'Сейчас ни одна студия не предлагает эту услугу.',
    'Choose a date and time': 'Выберите дату и время',
    'No free time on this day.': 'В этот день нет свободного времени.',
    'No free time this month. Try the next one.': 'В этом месяце нет свободного времени. Посмотрите следующий.',
    'Tap a highlighted day to see free times.': 'Нажмите на выделенный день, чтобы увидеть свободное время.',
    'Your email is confirmed. Log in to see your bookings.': 'Почта подтверждена. Войдите, чтобы увидеть свои записи.',
    'The booking has been cancelled.': 'Запись отменена.',
    'The booking has been moved.': 'Запись перенесена.',
    'Thank you for your review!': 'Спасибо за отзыв!',
    'Your profile has been saved.': 'Профиль сохранён.',
    'Confirm your email to see the bookings you made as a guest.': 'Подтвердите почту, чтобы увидеть записи, сделанные без входа.',
    'Book a shoot': 'Записаться на съёмку',
    'Upcoming': 'Предстоящие',
    'Reschedule': 'Перенести',
    'Cancel': 'Отменить',
    'No upcoming bookings.': 'Нет предстоящих записей.',
    'Past': 'Прошедшие',
    'Rating': 'Оценка',
    'Leave a review': 'Оставить отзыв',
    'No past bookings.': 'Нет прошедших записей.',
    'Account': 'Аккаунт',
    'Profile': 'Профиль',
    'Download my data': 'Скачать мои данные',
    'Log out': 'Выйти',
    'Delete my account': 'Удалить аккаунт',
    'Your name and contacts are erased; booking and payment records stay without them, as the law requires.': 'Имя и контакты будут стёрты; записи о бронированиях и оплатах останутся без них, как того требует закон.',
    'I understand, delete my account': 'Понимаю, удалить аккаунт',
    'Cancel the booking?': 'Отменить запись?',
    'Cancelling now costs a fee of %(fee)s.': 'Отмена сейчас стоит %(fee)s.',
    'Cancelling now is free of charge.': 'Сейчас отмена бесплатна.',
    'Yes, cancel the booking': 'Да, отменить запись',
    'Keep the booking': 'Оставить запись',
    'Booking confirmed': 'Запись подтверждена',
    'Request sent': 'Заявка отправлена',
    'The photographer will confirm your booking shortly.': 'Фотограф скоро подтвердит запись.',
    'Booking cancelled': 'Запись отменена',
    'Booking': 'Запись',
    'Number': 'Номер',
    'When': 'Когда',
    'Where': 'Где',
    'Price': 'Цена',
    'Download .ics': 'Скачать .ics',
    'Add to Google Calendar': 'Добавить в Google Календарь',
    'Create an account with the same email to manage this booking.': 'Создайте аккаунт с той же почтой, чтобы управлять записью.',
    'Sign up': 'Регистрация',
    'Something is not right': 'Что-то пошло не так',
    'Back to the home page': 'На главную',
    'Book a photo shoot in a minute': 'Запишитесь на фотосъёмку за минуту',
    'Choose a service, a photographer and a time that suits you.': 'Выберите услугу, фотографа и удобное время.',
    'Your account has been deleted.': 'Ваш аккаунт удалён.',
    'Services': 'Услуги',
    'Photographers': 'Фотографы',
    'Find the nearest studio': 'Найти ближайшую студию',
    'Your password has been changed. Log in with the new one.': 'Пароль изменён. Войдите с новым паролем.',
    'Password': 'Пароль',
    'Forgot your password?': 'Забыли пароль?',
    'Your booking %(number)s': 'Ваша запись %(number)s',
    'Hello, %(name)s!': 'Здравствуйте, %(name)s!',
    'Reset your password': 'Сброс пароля',
    'Open this link to set a new password:': 'Откройте ссылку, чтобы задать новый пароль:',
    'Confirm your email': 'Подтвердите почту',
    'Open this link to confirm your email:': 'Откройте ссылку, чтобы подтвердить почту:',
    'We have sent a message to %(email)s: open the link in it to go on.': 'Мы отправили письмо на %(email)s: откройте ссылку в нём, чтобы продолжить.',
    'Your account': 'Ваш аккаунт',
    'Someone tried to sign up with this email, but it already has an account. If it was you, log in or set a new password:': 'Кто-то пытался зарегистрироваться с этой почтой, но аккаунт с ней уже есть. Если это были вы, войдите или задайте новый пароль:',
    'If it was not you, ignore this message: your account has not changed.': 'Если это были не вы, не обращайте внимания на это письмо: ваш аккаунт не изменился.',
    'Someone asked to reset the password of an account with this email, but there is none. If it was you, you may have signed up with another email, or you can create an account:': 'Кто-то запросил сброс пароля для аккаунта с этой почтой, но такого аккаунта нет. Если это были вы, возможно, вы регистрировались с другой почтой; или создайте аккаунт:',
    'If it was not you, ignore this message.': 'Если это были не вы, не обращайте внимания на это письмо.',
    'You are offline': 'Нет соединения',
    'Check your connection and try again. Your bookings are safe.': 'Проверьте подключение и попробуйте снова. Ваши записи в сохранности.',
    'Try again': 'Попробовать снова',
    'Save': 'Сохранить',
    'now': 'сейчас',
    'Back to my bookings': 'К моим записям',
    'Reset the password': 'Сброс пароля',
    'If an account exists for this email, we have sent a link to set a new password.': 'Если аккаунт с этой почтой существует, мы отправили ссылку для нового пароля.',
    'Send the link': 'Отправить ссылку',
    'Set a new password': 'Новый пароль',
    'New password': 'Новый пароль',
    'Save the password': 'Сохранить пароль',
    'City': 'Город',
    'Search': 'Найти',
    'Use my location': 'Моё местоположение',
    'The nearest free times': 'Ближайшее свободное время',
    'There is no free time nearby. Please choose another day.': 'Рядом нет свободного времени. Выберите другой день.',
    'Choose another day': 'Выбрать другой день',
    'The location is not valid.': 'Некорректное местоположение.',
    'We do not know this city; all studios are shown.': 'Мы не знаем такого города; показаны все студии.',
    'Please choose a service, a studio and a time.': 'Выберите услугу, студию и время.',
    'Sorry, this time has just been taken.': 'Извините, это время только что заняли.',
    'Give your name (up to 100 characters).': 'Укажите имя (до 100 символов).',
    'Give a valid email address.': 'Укажите корректный адрес почты.',
    'Give a phone number with digits only, like +7 900 123-45-67.': 'Укажите телефон цифрами, например +7 900 123-45-67.',
    'The comment is too long.': 'Комментарий слишком длинный.',
    'Please agree to the processing of your personal data.': 'Дайте согласие на обработку персональных данных.',
    'The time was held for you for a limited time only and has been released. Please choose a time again.': 'Время было закреплено за вами ненадолго и уже освободилось. Выберите время снова.',
    'The password needs at least 8 characters.': 'Пароль должен быть не короче 8 символов.',
    'Wrong email or password.': 'Неверная почта или пароль.',
    'This link is not valid or has expired. Ask for a new one.': 'Ссылка недействительна или устарела. Запросите новую.',
    'This link is not valid or has already been used.': 'Ссылка недействительна или уже использована.',
    'Please choose a time.': 'Выберите время.',
    'Choose a rating from 1 to 5.': 'Выберите оценку от 1 до 5.',
    'You have already reviewed this shoot.': 'Вы уже оставили отзыв об этой съёмке.',
    'Tick the box to confirm deleting your account.': 'Отметьте флажок, чтобы подтвердить удаление аккаунта.',
    'Cancel your upcoming bookings before deleting the account.': 'Перед удалением аккаунта отмените предстоящие записи.',
    'Deleted client': 'Удалённый клиент',
    'Photo booking': 'Фотозапись',
    'Your session has expired. Go back, reload the page and try again.': 'Сессия устарела. Вернитесь, обновите страницу и попробуйте снова.',
    'Too many attempts. Please wait a few minutes.': 'Слишком много попыток. Подождите несколько минут.',
    'This page does not exist.': 'Такой страницы нет.',
    'We could not accept this form. Please try again.': 'Не удалось принять форму. Попробуйте ещё раз.',
    'This booking can no longer be cancelled.': 'Эту запись уже нельзя отменить.',
    'This booking can no longer be rescheduled.': 'Эту запись уже нельзя перенести.',
    'Held': 'Удерживается',
    'Awaiting approval': 'Ожидает подтверждения',
    'Confirmed': 'Подтверждена',
    'Done': 'Проведена',
    'No-show': 'Неявка',
    'Cancelled': 'Отменена',
    'Choose another time': 'Выбрать другое время',
    'On location': 'Выездная съёмка',
    'On location (at your address)': 'Выездная съёмка (по вашему адресу)',
    'The photographer comes to the address you give in the next steps.': 'Фотограф приедет по адресу, который вы укажете дальше.',
    'Address of the shoot': 'Адрес съёмки',
    'Notifications': 'Уведомления',
    'Email reminders about my bookings': 'Напоминания о записях на почту',
    'Telegram messages about my bookings': 'Сообщения о записях в Telegram',
    'Telegram messages come once you have started our bot.': 'Сообщения в Telegram приходят, после того как вы запустите нашего бота.',
    'Give the address where the shoot takes place: street, house and city (up to 200 characters).': 'Укажите адрес съёмки: улица, дом и город (до 200 символов).',
    'Back': 'Назад',
    'We have sent you a new link to confirm your email.': 'Мы отправили вам новую ссылку для подтверждения почты.',
    'No mail from us?': 'Не пришло письмо?',
    'Send the link again': 'Отправить ссылку ещё раз',
    'The photographer is assigned with the time you pick. Before you book, the next page shows their final price and whether they confirm the booking themselves.': 'Фотограф назначается вместе с выбранным временем. До записи на следующей странице вы увидите окончательную цену и то, подтверждает ли фотограф запись сам.',
    '%(name)s confirms each booking personally: until then it is a request, and we mail you the answer.': '%(name)s подтверждает каждую запись лично: до этого она остаётся заявкой, а ответ мы пришлём на почту.',
    'Final price': 'Итоговая цена',
    'Send the request': 'Отправить заявку',
    'confirms bookings personally': 'подтверждает записи лично',
    'Free cancellation at any time.': 'Бесплатная отмена в любое время.',
    'Cancelling costs %(percent)s %% of the price.': 'Отмена стоит %(percent)s %% цены.',
    'Free cancellation until %(hours)s h before the start, then %(percent)s %% of the price.': 'Бесплатная отмена не позднее чем за %(hours)s ч до начала, позже — %(percent)s %% цены.',
    'Cancellation': 'Отмена',
    'Book with %(name)s': 'Записаться к фотографу %(name)s',
    'Book in this studio': 'Записаться в эту студию',
    'In this city': 'В этом городе',
    '%(km)s km from the city centre': '%(km)s км от центра города',
    'Opening hours': 'Часы работы',
    'm²': 'м²',
}


# Per language, the texts of every module's portal pages: modules that add
# pages register theirs with add_texts when imported.
CATALOGUES = {'ru': RU}


def add_texts(lang, texts):
    "Add a module's portal texts (English source -> lang) to the catalogue."
    CATALOGUES.setdefault(lang, {}).update(texts)


def translator(lang):
    if lang in CATALOGUES:
        catalogue = CATALOGUES[lang]

        def gettext(text, **values):
            text = catalogue.get(text, text)
            return text % values if values else text
    else:
        def gettext(text, **values):
            return text % values if values else text
    return gettext


def zone_name(lang, tz_name):
    "The time zone as people of lang call it: 'Москва', 'Moscow time'."
    name = ZONE_NAMES.get(tz_name)
    if name is None:
        return tz_name.rsplit('/', 1)[-1].replace('_', ' ')
    return translator(lang)(name)


def month_name(lang, month):
    return MONTHS.get(lang, MONTHS['en'])[month - 1]


def weekday_names(lang):
    return WEEKDAYS.get(lang, WEEKDAYS['en'])
