"""The owners' portal: a web face of the library for service owners (by invitation link) and officers.

Like the command line it only parses requests, calls ``secaudit.pipeline`` and renders pages;
no rule and no SQL lives here.
"""
