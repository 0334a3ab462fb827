/* Served as sao's custom.js under /admin/ (photo_booking/wsgi.py).

   sao 8.0's form selection widget empties and refills its options at each
   display and selects the field's value only later, in a promise. A click
   in between reads the first option: the Cancel Booking dialog, displayed
   again when its reason is left for its button, recorded "Client" (and the
   client's fee) while it showed "Studio". Keep the selected value while the
   options are refilled. */
(function() {
    'use strict';
    const widget = Sao.View.Form.Selection.prototype;
    const set_selection = widget.set_selection;
    widget.set_selection = function(selection, help) {
        const value = this.select.val();
        set_selection.call(this, selection, help);
        if ((value !== null) && this.select.find('option').filter(
                (i, option) => option.value === value).length) {
            this.select.val(value);
        }
    };
}());

/* sao 8.0 redraws a calendar with fullcalendar's 'render', which loses the
   time grid's scroll, and draws it first while its tab is still hidden,
   when the grid has no height to scroll to fullcalendar's scrollTime: every
   week opened at 0:00. Keep the scroll across sao's redraws, and scroll to
   the scrollTime at the first redraw on screen; the bookings' calendar to
   the hour the earliest studio opens, in the browser's time as its grid. */
(function() {
    'use strict';
    const calendar = Sao.View.Calendar.prototype;
    const init = calendar.init;
    calendar.init = function(view_id, screen, xml) {
        init.call(this, view_id, screen, xml);
        this.scroll_pending = true;
        if (screen.model_name == 'photo.booking') {
            Sao.rpc({
                method: 'model.photo.studio.earliest_openings',
                params: [screen.context],
            }, Sao.Session.current_session).then((openings) => {
                if (!openings.length) {
                    return;
                }
                this.el.fullCalendar('option', 'scrollTime', moment.duration(
                    Math.min(...openings.map(
                        (opening) => opening.hour() * 60 + opening.minute())),
                    'minutes'));
                if (!this.scroll_pending) {  // already shown: scroll again
                    this.el.fullCalendar('getView').applyScroll(
                        {isDateInit: true});
                }
            });
        }
    };
    const display = calendar.display;
    calendar.display = function() {
        const scroll = this.scroll_pending ? {isDateInit: true} :
            this.el.fullCalendar('getView').queryScroll();
        const result = display.apply(this, arguments);
        if (this.el.is(':visible')) {
            this.el.fullCalendar('getView').applyScroll(scroll);
            this.scroll_pending = false;
        }
        return result;
    };
}());

/* sao 8.0's date and time widgets compare what they show with the record,
   and write it back, even when read-only: shown without seconds
   (photo_booking/display.py), a stored hold expiry or payment time looked
   changed, and closing its form asked to save it. A read-only widget
   changes nothing. */
(function() {
    'use strict';
    const widget = Sao.View.Form.Date.prototype;
    const set_value = widget.set_value;
    widget.set_value = function() {
        if (!this.date.prop('readonly')) {
            set_value.call(this);
        }
    };
    const modified = Object.getOwnPropertyDescriptor(widget, 'modified');
    Object.defineProperty(widget, 'modified', {
        get() {
            return !this.date.prop('readonly') && modified.get.call(this);
        },
    });
}());
