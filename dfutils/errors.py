"""Errors that mean "the user's input is wrong", as opposed to a bug, and the exit status of every command.

The command line turns any :class:`UserInputError` into exit status 2 and one
readable line on stderr that names the culprit (file, key, value); an
:class:`OSError` that is not the input's (a full disk, a folder it may not
write) into :data:`EXIT_ENVIRONMENT`.
"""

# Exit status, the same for every `dfutils` command (the README's table)
EXIT_OK = 0  # all done
EXIT_FAILED = 1  # the job failed (a notebook raised; its report says where)
EXIT_BAD_INPUT = 2  # bad input: a missing or malformed file, an unknown key or value, nothing usable
EXIT_SOME_FAILED = 3  # done, but some items failed (each recorded with its reason: faces.csv, predictions...)
EXIT_ENVIRONMENT = 4  # the machine, not the input: a full disk, no permission, a lock another process holds
EXIT_INTERRUPTED = 130  # stopped with Ctrl-C (128 + SIGINT, as shells count)


class UserInputError(ValueError):
    """Bad input: a missing file, a malformed table, an unknown key."""


class ParamsError(UserInputError):
    """A profile (params YAML) is invalid; the message names file and key."""


class DatasetError(UserInputError):
    """A dataset folder or its metadata cannot be read as the official layout."""


class EnvironmentFault(RuntimeError):
    """The machine, not the input: a lock another process holds, a full disk. Exit status 4."""


class Busy(EnvironmentFault):
    """What a command would write is held by another running process (named in the message)."""
