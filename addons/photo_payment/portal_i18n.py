"""Texts of the portal's payment pages: English is the source; added to
photo_booking's portal catalogue (portal_i18n.add_texts) on import."""

RU = {
    # details page
    'To pay now: %(amount)s': 'К оплате сейчас: %(amount)s',
    'the full price': 'полная стоимость',
    'a prepayment of %(percent)s %%': 'предоплата %(percent)s %%',
    'Full price %(price)s; the rest, %(rest)s, is paid at the shoot.': 'Полная стоимость %(price)s; остаток, %(rest)s, оплачивается на съёмке.',
    'Already paid: %(amount)s': 'Уже оплачено: %(amount)s',
    'Code %(code)s applied: −%(discount)s %%': 'Код %(code)s применён: −%(discount)s %%',
    'Once you book, you pay online; the time stays held for you while you pay.': 'После записи вы оплатите её онлайн; пока вы платите, время остаётся за вами.',
    'Promo or gift code': 'Промокод или код сертификата',
    'Apply': 'Применить',
    'Enter a code.': 'Введите код.',
    'This code is not valid.': 'Такого кода нет.',
    # pay page
    'Payment': 'Оплата',
    'Pay for your booking': 'Оплатите запись',
    'We are waiting for your payment; this page updates by itself.': 'Ждём вашу оплату; страница обновится сама.',
    'We are preparing your payment; this page updates by itself.': 'Готовим оплату; страница обновится сама.',
    'To pay now': 'К оплате сейчас',
    'Full price': 'Полная стоимость',
    'The rest, at the shoot': 'Остаток, на съёмке',
    'Pay by': 'Оплатить до',
    'Pay %(amount)s': 'Оплатить %(amount)s',
    'You pay on the secure page of %(gateway)s.': 'Оплата проходит на защищённой странице %(gateway)s.',
    'Payment received': 'Оплата получена',
    'The payment arrived after the time had been released, so it is refunded.': 'Оплата пришла, когда время уже освободилось, поэтому мы её вернём.',
    'The payment did not go through': 'Оплата не прошла',
    'The payment was cancelled': 'Оплата отменена',
    'Nothing was charged and the time has been released. You can choose another time.': 'Деньги не списаны, время освобождено. Вы можете выбрать другое время.',
    # cabinet
    'Payments and refunds': 'Оплаты и возвраты',
    'Refund': 'Возврат',
    'Receipt (54-FZ)': 'Чек (54-ФЗ)',
    'Pay': 'Оплатить',
    'The time is held for you until %(time)s.': 'Время закреплено за вами до %(time)s.',
    'Awaiting payment': 'Ожидает оплаты',
    'Received': 'Получена',
    'Failed': 'Не прошла',
    'Cancelled': 'Отменена',
    'Refunded': 'Возвращена',
    'In progress': 'Выполняется',
    'Completed': 'Выполнен',
    'Refused': 'Отклонён',
    'Withdrawn': 'Отменён',
    'Full prepayment': 'Полная предоплата',
    'Partial prepayment': 'Частичная предоплата',
    'Full payment': 'Полный расчёт',
}

TEXTS = {'ru': RU}
