# A stdout callback for ansible-playbook that prints every task's result per
# host and the recap as one JSON document, in the shape of ansible.posix's
# json callback (not shipped with ansible-core): internal/ansiblecmp reads it.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

from ansible.parsing.ajson import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
    name: ferry_results
    type: stdout
    short_description: task results and recap as one JSON document
    description: for ferry's comparison tests
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'ferry_results'

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.tasks = []

    def _start(self, task):
        self.tasks.append({'task': {'name': task.get_name().strip()}, 'hosts': {}})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _record(self, result, **extra):
        r = dict(result._result)
        r.update(extra)
        self.tasks[-1]['hosts'][result._host.get_name()] = r

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, **kwargs):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result, **kwargs):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        recap = {h: stats.summarize(h) for h in sorted(stats.processed.keys())}
        doc = {'plays': [{'tasks': self.tasks}], 'stats': recap}
        self._display.display(json.dumps(doc, cls=AnsibleJSONEncoder, sort_keys=True))
