"""The one warning for Keras 1/2 spellings (`lr=`, `nb_epoch=`, `output_dim=`, ...), shared by every
module that accepts one; each message names today's spelling."""

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class LegacyArgumentWarning(FutureWarning):
    """An old Keras spelling was used; the message names today's. (FutureWarning is shown to
    end users by default, unlike DeprecationWarning, which Python hides outside __main__.)"""


def warn_legacy(message: str) -> None:
    """Warn, attributing the warning to the first caller outside neuronio (the user's line)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, LegacyArgumentWarning, stacklevel=level)


def renamed(owner: str, old: str, new: str, value):
    """Warn that `old` is spelled `new` today and return the value unchanged."""
    warn_legacy(f"{owner}: `{old}=` is the Keras 1/2 spelling; use `{new}=` (got {old}={value!r}).")
    return value
