"""Errors that mean "the user's input is wrong", as opposed to a bug.

The command line turns any :class:`UserInputError` into exit status 2 and one
readable line on stderr that names the culprit (file, key, value).
"""


class UserInputError(ValueError):
    """Bad input: a missing file, a malformed table, an unknown key."""


class ParamsError(UserInputError):
    """A profile (params YAML) is invalid; the message names file and key."""


class DatasetError(UserInputError):
    """A dataset folder or its metadata cannot be read as the official layout."""
