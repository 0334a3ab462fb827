"Helpers of photo_calendar's tests."
from trytond.pool import Pool


def run_queue():
    "Run the tasks queued so far, as the worker would after the commit."
    Queue = Pool().get('ir.queue')
    for task in Queue.search([('finished_at', '=', None)],
            order=[('id', 'ASC')]):
        task.run()
