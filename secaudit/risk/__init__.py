"""The risk register and its ratings.

``register`` turns failed controls into register entries (lifecycle, treatments, waivers);
``matrix`` rates them on the configured risk matrix; ``workbook`` writes the register as
xlsx, csv or json and reads officers' treatment decisions back from the workbook, whose
columns and words are in ``layout`` and whose sheets ``sheet`` draws. The launch decision
is ``secaudit.gate``.
"""
