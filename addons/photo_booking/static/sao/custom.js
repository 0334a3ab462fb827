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
