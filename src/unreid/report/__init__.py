"""Reports over run folders: ``unreid report table|summary|paired|curves|selection``.

One module reads run folders (:mod:`unreid.report.run_folders`: the ``<variant>_s<seed>`` name,
``metrics.jsonl`` and ``results.json``); each report kind is one module that turns what it reads
into the lines the command prints.
"""
