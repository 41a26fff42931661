"""Text messages' HTTP face: phone templates (JFW's ``v1/events/.../phone-templates``) and the
local stack's ``v1/dev/texts``. The rules are notify's: texter.py, phonetemplates.py,
segments.py."""
